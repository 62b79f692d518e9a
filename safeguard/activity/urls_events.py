"""Activity review pages: events (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern, path

from safeguard.activity import views_events as views

urlpatterns: list[URLPattern] = [
    path("events/", views.event_list, name="event_list"),
    # Sources choose their event ids (UUIDs, "sha256:…", CloudTrail ids…), so any characters may follow.
    path("events/<path:event_uid>/", views.event_detail, name="event_detail"),
]
