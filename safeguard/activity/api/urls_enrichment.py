"""Activity review API routes: enrichment data (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.activity.api import enrichment

urlpatterns: list[URLPattern] = [
    path("activity/aliases/", enrichment.AliasListView.as_view(), name="activity_aliases"),
    path("activity/aliases/<uuid:alias_id>/", enrichment.AliasDetailView.as_view(), name="activity_alias"),
    path("activity/shifts/", enrichment.ShiftListView.as_view(), name="activity_shifts"),
    path("activity/shifts/<uuid:shift_id>/", enrichment.ShiftDetailView.as_view(), name="activity_shift"),
    path("activity/workstations/", enrichment.WorkstationListView.as_view(), name="activity_workstations"),
    path(
        "activity/workstations/<uuid:workstation_id>/",
        enrichment.WorkstationDetailView.as_view(),
        name="activity_workstation",
    ),
    path("activity/patient-flags/", enrichment.PatientFlagListView.as_view(), name="activity_patient_flags"),
]
