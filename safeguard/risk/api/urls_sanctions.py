"""Risk API routes: sanctions (included under /api/v1/orgs/<org_slug>/ in the api namespace)."""

from django.urls import URLPattern, path

from safeguard.risk.api import sanctions

POLICY = "sanction-policies/<uuid:policy_id>/"

urlpatterns: list[URLPattern] = [
    path("sanction-policies/", sanctions.SanctionPolicyListView.as_view(), name="risk_sanction_policies"),
    path(POLICY, sanctions.SanctionPolicyDetailView.as_view(), name="risk_sanction_policy"),
    path(f"{POLICY}approve/", sanctions.SanctionPolicyApproveView.as_view(), name="risk_sanction_policy_approve"),
    path(f"{POLICY}review/", sanctions.SanctionPolicyReviewView.as_view(), name="risk_sanction_policy_review"),
    path("sanctions/", sanctions.SanctionListView.as_view(), name="risk_sanctions"),
    path("sanctions/log-reviews/", sanctions.SanctionLogReviewListView.as_view(), name="sanction_log_reviews"),
    path("sanctions/<uuid:sanction_id>/", sanctions.SanctionDetailView.as_view(), name="risk_sanction"),
]
