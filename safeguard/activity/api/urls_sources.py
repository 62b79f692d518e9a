"""Activity review API routes: sources (under /api/v1/orgs/<org_slug>/, api namespace)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
