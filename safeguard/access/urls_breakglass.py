"""Access pages: breakglass (under /o/<org_slug>/access/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
