"""Activity review API routes: events (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.activity.api import events

urlpatterns: list[URLPattern] = [
    path("activity/events/", events.EventListView.as_view(), name="activity_events"),
    # Sources choose their event ids, so any characters may follow.
    path("activity/events/<path:event_uid>/", events.EventDetailView.as_view(), name="activity_event"),
]
