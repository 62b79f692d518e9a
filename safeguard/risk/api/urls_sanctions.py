"""Risk API routes: sanctions (included under /api/v1/orgs/<org_slug>/ in the api namespace)."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
