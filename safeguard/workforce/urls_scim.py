"""Workforce pages: scim (under /o/<org_slug>/workforce/)."""

from django.urls import URLPattern, path

from safeguard.workforce import views_scim as views

urlpatterns: list[URLPattern] = [
    path("scim/tokens/", views.scim_token_list, name="scim_token_list"),
    path("scim/tokens/new/", views.scim_token_create, name="scim_token_create"),
    path("scim/tokens/<uuid:token_id>/revoke/", views.scim_token_revoke, name="scim_token_revoke"),
]
