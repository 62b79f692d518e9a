"""The SCIM 2.0 protocol endpoint an identity provider calls: /scim/v2/<org_slug>/… (bearer token per organization)."""

from django.urls import URLPattern, URLResolver, path

from safeguard.workforce import scim

urlpatterns: list[URLPattern | URLResolver] = [
    path("<slug:org_slug>/", scim.endpoint, name="scim_root"),
    path("<slug:org_slug>/<path:scim_path>", scim.endpoint, name="scim"),
]
