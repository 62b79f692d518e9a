"""Workforce pages: scim (under /o/<org_slug>/workforce/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
