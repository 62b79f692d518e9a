"""Activity review pages: alerts (under /o/<org_slug>/activity/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
