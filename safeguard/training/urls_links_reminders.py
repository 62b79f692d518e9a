"""Personal links of security reminders (/t/reminders/<token>/, no sign-in)."""

from django.urls import URLPattern, path

from safeguard.training import views_links_reminders as views

urlpatterns: list[URLPattern] = [
    path("reminders/<str:token>/", views.reminder_link, name="reminder_link"),
]
