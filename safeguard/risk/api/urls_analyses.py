"""Risk API routes: the method, the library, analyses with their scope and risks, risks recorded between
analyses, and assessing risks (under /api/v1/orgs/<org_slug>/)."""

from django.urls import URLPattern, path

from safeguard.risk.api import analyses, analysis_risks, analysis_scope, library

ANALYSIS = "analyses/<uuid:analysis_id>/"

urlpatterns: list[URLPattern] = [
    path("risk-method/", library.MethodView.as_view(), name="risk_method"),
    path("threats/", library.ThreatListView.as_view(), name="risk_threats"),
    path("threats/<uuid:threat_id>/", library.ThreatDetailView.as_view(), name="risk_threat"),
    path("vulnerabilities/", library.VulnerabilityListView.as_view(), name="risk_vulnerabilities"),
    path(
        "vulnerabilities/<uuid:vulnerability_id>/",
        library.VulnerabilityDetailView.as_view(),
        name="risk_vulnerability",
    ),
    path("analyses/", analyses.AnalysisListView.as_view(), name="risk_analyses"),
    path(ANALYSIS, analyses.AnalysisDetailView.as_view(), name="risk_analysis"),
    path(f"{ANALYSIS}submit/", analyses.AnalysisSubmitView.as_view(), name="risk_analysis_submit"),
    path(f"{ANALYSIS}return/", analyses.AnalysisReturnView.as_view(), name="risk_analysis_return"),
    path(f"{ANALYSIS}approve/", analyses.AnalysisApproveView.as_view(), name="risk_analysis_approve"),
    path(f"{ANALYSIS}scope/", analysis_scope.AnalysisScopeView.as_view(), name="risk_analysis_scope"),
    path(
        f"{ANALYSIS}scope/<uuid:asset_id>/",
        analysis_scope.AnalysisScopeItemView.as_view(),
        name="risk_analysis_scope_item",
    ),
    path(f"{ANALYSIS}risks/", analysis_risks.AnalysisRiskListView.as_view(), name="risk_analysis_risks"),
    path("unanalysed-risks/", analysis_risks.UnanalysedRiskListView.as_view(), name="risk_unanalysed_risks"),
    path("risks/<uuid:risk_id>/assessment/", analysis_risks.RiskAssessmentView.as_view(), name="risk_assessment"),
]
