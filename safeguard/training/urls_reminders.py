"""Training pages: security reminders, their calendar, and a person's own reminders."""

from django.urls import URLPattern, path

from safeguard.training import views_reminders as views

REMINDER = "reminders/<uuid:reminder_id>/"

urlpatterns: list[URLPattern] = [
    path("reminders/", views.reminder_list, name="reminder_list"),
    path("reminders/new/", views.reminder_create, name="reminder_create"),
    path("reminders/calendar/", views.reminder_calendar, name="reminder_calendar"),
    path(REMINDER, views.reminder_detail, name="reminder_detail"),
    path(f"{REMINDER}edit/", views.reminder_edit, name="reminder_edit"),
    path(f"{REMINDER}schedule/", views.reminder_schedule, name="reminder_schedule"),
    path(f"{REMINDER}cancel/", views.reminder_cancel, name="reminder_cancel"),
    path(f"{REMINDER}send-now/", views.reminder_send_now, name="reminder_send_now"),
    path("my/reminders/", views.my_reminder_list, name="my_reminder_list"),
    path("my/reminders/<uuid:delivery_id>/", views.my_reminder, name="my_reminder"),
]
