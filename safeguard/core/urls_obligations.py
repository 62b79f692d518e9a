"""Obligation pages and the calendar subscription page, under /o/<org_slug>/obligations/."""

from django.urls import path

from safeguard.core.views import calendar
from safeguard.core.views import obligations as views

urlpatterns = [
    path("obligations/", views.obligation_list, name="obligation_list"),
    path("obligations/new/", views.obligation_create, name="obligation_create"),
    path("obligations/calendar/", calendar.calendar_settings, name="calendar_settings"),
    path("obligations/<uuid:obligation_id>/", views.obligation_detail, name="obligation_detail"),
    path("obligations/<uuid:obligation_id>/edit/", views.obligation_edit, name="obligation_edit"),
    path("obligations/<uuid:obligation_id>/complete/", views.obligation_complete, name="obligation_complete"),
    path("obligations/<uuid:obligation_id>/cancel/", views.obligation_cancel, name="obligation_cancel"),
]
