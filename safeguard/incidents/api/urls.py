"""Incident API routes (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.incidents.api import incidents

urlpatterns: list[URLPattern] = [
    path("incidents/", incidents.IncidentListView.as_view(), name="incidents"),
    path("incidents/<uuid:incident_id>/", incidents.IncidentDetailView.as_view(), name="incident"),
]
