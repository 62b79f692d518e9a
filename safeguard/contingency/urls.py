"""Contingency planning pages under /o/<org_slug>/contingency/, one module per part."""

from django.urls import URLPattern, URLResolver, include, path

app_name = "contingency"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("safeguard.contingency.urls_overview")),
    path("criticality/", include("safeguard.contingency.urls_criticality")),
    path("backups/", include("safeguard.contingency.urls_backups")),
    path("restore-tests/", include("safeguard.contingency.urls_restore_tests")),
    path("plans/", include("safeguard.contingency.urls_plans")),
    path("exercises/", include("safeguard.contingency.urls_exercises")),
]
