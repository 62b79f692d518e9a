"""Risk API routes: assets (included under /api/v1/orgs/<org_slug>/ in the api namespace)."""

from django.urls import URLPattern, path

from safeguard.risk.api import assets as views

urlpatterns: list[URLPattern] = [
    path("assets/", views.AssetListView.as_view(), name="risk_assets"),
    path("assets/<uuid:asset_id>/", views.AssetDetailView.as_view(), name="risk_asset"),
    path("data-flows/", views.FlowListView.as_view(), name="risk_flows"),
    path("data-flows/diagram.svg", views.FlowDiagramView.as_view(), name="risk_flow_diagram"),
    path("data-flows/<uuid:flow_id>/", views.FlowDetailView.as_view(), name="risk_flow"),
]
