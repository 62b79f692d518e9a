"""Activity review pages: enrichment data (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern, path

from safeguard.activity import views_enrichment as views

urlpatterns: list[URLPattern] = [
    path("enrichment/", views.enrichment_overview, name="enrichment_overview"),
    path("enrichment/aliases/", views.alias_create, name="enrichment_alias_create"),
    path("enrichment/aliases/<uuid:alias_id>/", views.alias_edit, name="enrichment_alias_edit"),
    path("enrichment/aliases/<uuid:alias_id>/delete/", views.alias_delete, name="enrichment_alias_delete"),
    path("enrichment/shifts/", views.shift_create, name="enrichment_shift_create"),
    path("enrichment/shifts/<uuid:shift_id>/", views.shift_edit, name="enrichment_shift_edit"),
    path("enrichment/shifts/<uuid:shift_id>/delete/", views.shift_delete, name="enrichment_shift_delete"),
    path("enrichment/workstations/", views.workstation_create, name="enrichment_workstation_create"),
    path(
        "enrichment/workstations/<uuid:workstation_id>/",
        views.workstation_edit,
        name="enrichment_workstation_edit",
    ),
    path(
        "enrichment/workstations/<uuid:workstation_id>/delete/",
        views.workstation_delete,
        name="enrichment_workstation_delete",
    ),
    path("enrichment/patients/", views.enrichment_patients, name="enrichment_patients"),
]
