"""Risk pages: CSV/XLSX imports of the inventory and the risk register, and their downloads in the same format."""

from django.urls import path

from safeguard.risk import views_imports as views

urlpatterns = [
    path("imports/", views.import_list, name="import_list"),
    path("imports/new/", views.import_start, name="import_start"),
    path("imports/<uuid:import_id>/", views.import_detail, name="import_detail"),
    path("imports/<uuid:import_id>/mapping/", views.import_map, name="import_map"),
    path("imports/<uuid:import_id>/commit/", views.import_commit, name="import_commit"),
    path("assets/export", views.asset_export, name="asset_export"),
    path("data-flows/export", views.flow_export, name="flow_export"),
    path("register/export.csv", views.risk_export, name="risk_export"),
]
