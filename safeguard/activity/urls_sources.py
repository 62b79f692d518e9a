"""Activity review pages: sources (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
