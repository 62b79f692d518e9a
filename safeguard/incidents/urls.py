"""Incident pages under /o/<org_slug>/incidents/."""

from django.urls import URLPattern, path

from safeguard.incidents import views

app_name = "incidents"

urlpatterns: list[URLPattern] = [
    path("", views.incident_list, name="incident_list"),
    path("<uuid:incident_id>/", views.incident_detail, name="incident_detail"),
    path("<uuid:incident_id>/edit/", views.incident_edit, name="incident_edit"),
]
