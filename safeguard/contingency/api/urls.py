"""Contingency API routes (under /api/v1/orgs/<org_slug>/contingency/, api namespace), one module per part."""

from django.urls import URLResolver, include, path

urlpatterns: list[URLResolver] = [
    path("", include("safeguard.contingency.api.urls_overview")),
    path("", include("safeguard.contingency.api.urls_criticality")),
    path("", include("safeguard.contingency.api.urls_backups")),
    path("", include("safeguard.contingency.api.urls_restore_tests")),
    path("", include("safeguard.contingency.api.urls_plans")),
    path("", include("safeguard.contingency.api.urls_exercises")),
]
