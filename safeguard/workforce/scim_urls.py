"""The SCIM 2.0 protocol endpoint an identity provider calls: /scim/v2/<org_slug>/… (bearer token per organization)."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
