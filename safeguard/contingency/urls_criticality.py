"""Criticality analysis pages (under /o/<org_slug>/contingency/criticality/) and the contingency settings."""

from django.urls import URLPattern, path

from safeguard.contingency import views_criticality as views
from safeguard.contingency import views_criticality_analysis as analysis
from safeguard.contingency import views_settings

urlpatterns: list[URLPattern] = [
    path("", views.criticality_list, name="criticality_list"),
    path("assets/<uuid:asset_id>/profile/new/", views.criticality_profile_create, name="criticality_profile_create"),
    path("profiles/<uuid:profile_id>/", views.criticality_profile_detail, name="criticality_profile_detail"),
    path("profiles/<uuid:profile_id>/edit/", views.criticality_profile_edit, name="criticality_profile_edit"),
    path("profiles/<uuid:profile_id>/delete/", views.criticality_profile_delete, name="criticality_profile_delete"),
    path(
        "profiles/<uuid:profile_id>/dependencies/", views.criticality_dependency_add, name="criticality_dependency_add"
    ),
    path(
        "dependencies/<uuid:asset_id>/<uuid:depends_on_id>/remove/",
        views.criticality_dependency_remove,
        name="criticality_dependency_remove",
    ),
    path("order/", analysis.criticality_order, name="criticality_order"),
    path("graph/", analysis.criticality_graph, name="criticality_graph"),
    path("graph.svg", analysis.criticality_graph_svg, name="criticality_graph_svg"),
    path("approval/", analysis.criticality_approval, name="criticality_approval"),
    path("settings/", views_settings.settings_edit, name="settings_edit"),
]
