"""The REST API, /api/v1/: every route names its organization; the OpenAPI schema is at /api/v1/schema/."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from safeguard.core.api import audit, evidence, file_imports, members, obligations, organizations
from safeguard.core.api import schema as _schema  # noqa: F401  (registers the token scheme with drf-spectacular)
from safeguard.tracker import api as tracker

app_name = "api"
ORG = "orgs/<slug:org_slug>/"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("orgs/", organizations.OrganizationListView.as_view(), name="orgs"),
    path(ORG, organizations.OrganizationDetailView.as_view(), name="org"),
    path(f"{ORG}members/", members.MemberListView.as_view(), name="members"),
    path(f"{ORG}members/<uuid:public_id>/", members.MemberDetailView.as_view(), name="member"),
    # A citation such as 164.308(a)(1)(ii)(A) holds parentheses and dots but never a slash.
    path(f"{ORG}requirements/", tracker.RequirementListView.as_view(), name="requirements"),
    path(f"{ORG}requirements/<str:citation>/", tracker.RequirementDetailView.as_view(), name="requirement"),
    path(f"{ORG}attestations/", tracker.AttestationListView.as_view(), name="attestations"),
    path(
        f"{ORG}attestations/<uuid:attestation_id>/withdraw/",
        tracker.AttestationWithdrawView.as_view(),
        name="attestation_withdraw",
    ),
    path(f"{ORG}decisions/", tracker.DecisionListView.as_view(), name="decisions"),
    path(f"{ORG}decisions/<uuid:decision_id>/sign/", tracker.DecisionSignView.as_view(), name="decision_sign"),
    path(f"{ORG}evidence/", evidence.EvidenceListView.as_view(), name="evidence_list"),
    path(f"{ORG}evidence/<uuid:evidence_id>/", evidence.EvidenceDetailView.as_view(), name="evidence"),
    path(
        f"{ORG}evidence/<uuid:evidence_id>/versions/",
        evidence.EvidenceVersionListView.as_view(),
        name="evidence_versions",
    ),
    path(
        f"{ORG}evidence/<uuid:evidence_id>/versions/<int:number>/download",
        evidence.EvidenceDownloadView.as_view(),
        name="evidence_download",
    ),
    path(f"{ORG}obligations/", obligations.ObligationListView.as_view(), name="obligations"),
    path(f"{ORG}obligations/<uuid:obligation_id>/", obligations.ObligationDetailView.as_view(), name="obligation"),
    path(
        f"{ORG}obligations/<uuid:obligation_id>/complete/",
        obligations.ObligationCompleteView.as_view(),
        name="obligation_complete",
    ),
    path(f"{ORG}audit-events/", audit.AuditEventListView.as_view(), name="audit_events"),
    path(f"{ORG}file-imports/<uuid:file_import_id>/", file_imports.FileImportDetailView.as_view(), name="file_import"),
    path(
        f"{ORG}file-imports/<uuid:file_import_id>/mapping/",
        file_imports.FileImportMappingView.as_view(),
        name="file_import_mapping",
    ),
    path(
        f"{ORG}file-imports/<uuid:file_import_id>/commit/",
        file_imports.FileImportCommitView.as_view(),
        name="file_import_commit",
    ),
    path(ORG, include("safeguard.risk.api.urls_assets")),
    path(ORG, include("safeguard.risk.api.urls_analyses")),
    path(ORG, include("safeguard.risk.api.urls_register")),
    path(ORG, include("safeguard.risk.api.urls_sanctions")),
    path(ORG, include("safeguard.risk.api.urls_reports")),
    path(ORG, include("safeguard.risk.api.urls_imports")),
    path(ORG, include("safeguard.workforce.api.urls_people")),
    path(ORG, include("safeguard.workforce.api.urls_workflows")),
    path(ORG, include("safeguard.access.api.urls_systems")),
    path(ORG, include("safeguard.access.api.urls_profiles")),
    path(ORG, include("safeguard.access.api.urls_reviews")),
    path(ORG, include("safeguard.access.api.urls_breakglass")),
    path(ORG, include("safeguard.training.api.urls_courses")),
    path(ORG, include("safeguard.training.api.urls_assignments")),
    path(ORG, include("safeguard.training.api.urls_completions")),
    path(ORG, include("safeguard.training.api.urls_phishing")),
    path(ORG, include("safeguard.training.api.urls_reminders")),
    path(ORG, include("safeguard.training.api.urls_acks")),
    path(ORG, include("safeguard.training.api.urls_overview")),
    path(ORG, include("safeguard.activity.api.urls_overview")),
    path(ORG, include("safeguard.activity.api.urls_sources")),
    path(ORG, include("safeguard.activity.api.urls_enrichment")),
    path(ORG, include("safeguard.activity.api.urls_events")),
    path(ORG, include("safeguard.activity.api.urls_rules")),
    path(ORG, include("safeguard.activity.api.urls_alerts")),
    path(ORG, include("safeguard.activity.api.urls_reviews")),
    path(ORG, include("safeguard.incidents.api.urls")),
    path(f"{ORG}contingency/", include("safeguard.contingency.api.urls")),
]
