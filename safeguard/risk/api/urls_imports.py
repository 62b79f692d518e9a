"""Risk API routes: imports and the downloads (included under /api/v1/orgs/<org_slug>/ in the api namespace)."""

from django.urls import path

from safeguard.risk.api import imports

urlpatterns = [
    path("imports/", imports.ImportListView.as_view(), name="risk_imports"),
    path("imports/<uuid:import_id>/", imports.ImportDetailView.as_view(), name="risk_import"),
    path("imports/<uuid:import_id>/mapping/", imports.ImportMappingView.as_view(), name="risk_import_mapping"),
    path("imports/<uuid:import_id>/commit/", imports.ImportCommitView.as_view(), name="risk_import_commit"),
    path("assets/export", imports.AssetExportView.as_view(), name="risk_asset_export"),
    path("data-flows/export", imports.FlowExportView.as_view(), name="risk_flow_export"),
    path("risks/export", imports.RiskExportView.as_view(), name="risk_risks_export"),
]
