"""Workforce pages under /o/<org_slug>/workforce/, one URL module per area."""

from django.urls import include, path

app_name = "workforce"

urlpatterns = [
    path("", include("safeguard.workforce.urls_people")),
    path("", include("safeguard.workforce.urls_workflows")),
    path("", include("safeguard.workforce.urls_scim")),
]
