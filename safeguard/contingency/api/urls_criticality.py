"""Criticality analysis and contingency settings routes (under /api/v1/orgs/<org_slug>/contingency/)."""

from django.urls import URLPattern, path

from safeguard.contingency.api import criticality as views
from safeguard.contingency.api import criticality_analysis as analysis
from safeguard.contingency.api import settings

urlpatterns: list[URLPattern] = [
    path("criticality/profiles/", views.ProfileListView.as_view(), name="contingency_criticality_profiles"),
    path(
        "criticality/profiles/<uuid:profile_id>/",
        views.ProfileDetailView.as_view(),
        name="contingency_criticality_profile",
    ),
    path("criticality/dependencies/", views.DependencyListView.as_view(), name="contingency_criticality_dependencies"),
    path(
        "criticality/dependencies/<uuid:asset_id>/<uuid:depends_on_id>/",
        views.DependencyDetailView.as_view(),
        name="contingency_criticality_dependency",
    ),
    path("criticality/recovery-order/", analysis.RecoveryOrderView.as_view(), name="contingency_criticality_order"),
    path("criticality/graph.svg", analysis.DependencyGraphView.as_view(), name="contingency_criticality_graph"),
    path("criticality/approvals/", analysis.ApprovalListView.as_view(), name="contingency_criticality_approvals"),
    path(
        "criticality/approvals/<uuid:approval_id>/",
        analysis.ApprovalDetailView.as_view(),
        name="contingency_criticality_approval",
    ),
    path("settings/", settings.SettingsView.as_view(), name="contingency_settings"),
]
