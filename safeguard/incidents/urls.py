"""Incident pages under /o/<org_slug>/incidents/."""

from django.urls import URLPattern

app_name = "incidents"

urlpatterns: list[URLPattern] = []
