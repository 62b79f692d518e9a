"""Risk pages: the ePHI asset inventory and its data flows."""

from django.urls import URLPattern, path

from safeguard.risk import views_assets as views

urlpatterns: list[URLPattern] = [
    path("assets/", views.asset_list, name="asset_list"),
    path("assets/new/", views.asset_create, name="asset_create"),
    path("assets/<uuid:asset_id>/", views.asset_detail, name="asset_detail"),
    path("assets/<uuid:asset_id>/edit/", views.asset_edit, name="asset_edit"),
    path("data-flows/", views.flow_list, name="flow_list"),
    path("data-flows/new/", views.flow_create, name="flow_create"),
    path("data-flows/diagram/", views.flow_diagram, name="flow_diagram"),
    path("data-flows/diagram.svg", views.flow_diagram_svg, name="flow_diagram_svg"),
    path("data-flows/<uuid:flow_id>/edit/", views.flow_edit, name="flow_edit"),
    path("data-flows/<uuid:flow_id>/delete/", views.flow_delete, name="flow_delete"),
]
