"""Activity review API routes: alerts, suppressions, escalation levels (under /api/v1/orgs/<org_slug>/)."""

from django.urls import URLPattern, path

from safeguard.activity.api import alerts

ALERT = "activity/alerts/<uuid:alert_id>/"

urlpatterns: list[URLPattern] = [
    path("activity/alerts/", alerts.AlertListView.as_view(), name="activity_alerts"),
    path("activity/alerts/bulk/", alerts.AlertBulkView.as_view(), name="activity_alerts_bulk"),
    path(ALERT, alerts.AlertDetailView.as_view(), name="activity_alert"),
    path(f"{ALERT}evidence/", alerts.AlertEvidenceView.as_view(), name="activity_alert_evidence"),
    path(f"{ALERT}escalate/", alerts.AlertEscalateView.as_view(), name="activity_alert_escalate"),
    path("activity/suppressions/", alerts.SuppressionListView.as_view(), name="activity_suppressions"),
    path(
        "activity/suppressions/<uuid:suppression_id>/revoke/",
        alerts.SuppressionRevokeView.as_view(),
        name="activity_suppression_revoke",
    ),
    path("activity/escalation-levels/", alerts.EscalationLevelListView.as_view(), name="activity_escalation_levels"),
    path(
        "activity/escalation-levels/<uuid:level_id>/",
        alerts.EscalationLevelDetailView.as_view(),
        name="activity_escalation_level",
    ),
]
