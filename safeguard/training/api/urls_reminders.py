"""Training API routes: security reminders, their deliveries and calendar, and the caller's own reminders (under
/api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.training.api import reminders

REMINDER = "training/reminders/<uuid:reminder_id>/"

urlpatterns: list[URLPattern] = [
    path("training/reminders/", reminders.ReminderListView.as_view(), name="training_reminders"),
    path("training/reminders/calendar/", reminders.ReminderCalendarView.as_view(), name="training_reminder_calendar"),
    path(REMINDER, reminders.ReminderDetailView.as_view(), name="training_reminder"),
    path(f"{REMINDER}schedule/", reminders.ReminderScheduleView.as_view(), name="training_reminder_schedule"),
    path(f"{REMINDER}cancel/", reminders.ReminderCancelView.as_view(), name="training_reminder_cancel"),
    path(f"{REMINDER}send-now/", reminders.ReminderSendNowView.as_view(), name="training_reminder_send_now"),
    path(f"{REMINDER}deliveries/", reminders.ReminderDeliveriesView.as_view(), name="training_reminder_deliveries"),
    path("training/me/reminders/", reminders.MyRemindersView.as_view(), name="training_my_reminders"),
    path(
        "training/me/reminders/<uuid:delivery_id>/read/",
        reminders.MyReminderReadView.as_view(),
        name="training_my_reminder_read",
    ),
]
