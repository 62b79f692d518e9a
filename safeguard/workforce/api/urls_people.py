"""Workforce API routes: people (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern, path

from safeguard.workforce.api import people

PERSON = "people/<uuid:person_id>/"

urlpatterns: list[URLPattern] = [
    path("people/", people.PersonListView.as_view(), name="workforce_people"),
    path(PERSON, people.PersonDetailView.as_view(), name="workforce_person"),
    path(f"{PERSON}issued-items/", people.IssuedItemListView.as_view(), name="workforce_person_issued_items"),
    path(
        "issued-items/<uuid:issued_item_id>/recover/",
        people.IssuedItemRecoverView.as_view(),
        name="workforce_issued_item_recover",
    ),
    path("roster-sources/", people.RosterSourceListView.as_view(), name="workforce_roster_sources"),
    path("roster-imports/", people.RosterImportView.as_view(), name="workforce_roster_imports"),
]
