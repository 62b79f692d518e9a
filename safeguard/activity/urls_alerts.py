"""Activity review pages: alerts, suppressions and escalation paths (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern, path

from safeguard.activity import views_alerts as views

ALERT = "alerts/<uuid:alert_id>/"

urlpatterns: list[URLPattern] = [
    path("alerts/", views.alert_list, name="alert_list"),
    path("alerts/mine/", views.my_alerts, name="my_alerts"),
    path("alerts/bulk/", views.alert_bulk, name="alert_bulk"),
    path(ALERT, views.alert_detail, name="alert_detail"),
    path(f"{ALERT}triage/", views.alert_triage, name="alert_triage"),
    path(f"{ALERT}escalate/", views.alert_escalate, name="alert_escalate"),
    path(f"{ALERT}evidence.ndjson", views.alert_evidence_ndjson, name="alert_evidence_ndjson"),
    path(f"{ALERT}evidence.csv", views.alert_evidence_csv, name="alert_evidence_csv"),
    path("suppressions/", views.suppression_list, name="suppression_list"),
    path("suppressions/<uuid:suppression_id>/revoke/", views.suppression_revoke, name="suppression_revoke"),
    path("escalation/", views.escalation_levels, name="escalation_levels"),
    path("escalation/<uuid:level_id>/", views.escalation_level_edit, name="escalation_level_edit"),
    path("escalation/<uuid:level_id>/delete/", views.escalation_level_delete, name="escalation_level_delete"),
]
