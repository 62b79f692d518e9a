"""Workforce pages: people, issued items, the roster file and its sources (under /o/<org_slug>/workforce/)."""

from django.urls import URLPattern, path

from safeguard.workforce import views_people as views

PERSON = "people/<uuid:person_id>/"

urlpatterns: list[URLPattern] = [
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path(PERSON, views.person_detail, name="person_detail"),
    path(f"{PERSON}edit/", views.person_edit, name="person_edit"),
    path(f"{PERSON}issued-items/", views.issued_item_create, name="issued_item_create"),
    path("issued-items/<uuid:issued_item_id>/recover/", views.issued_item_recover, name="issued_item_recover"),
    path("roster/import/", views.roster_import, name="roster_import"),
    path("roster/sources/", views.roster_source_list, name="roster_source_list"),
    path("roster/sources/<uuid:source_id>/", views.roster_source_edit, name="roster_source_edit"),
]
