"""The SCIM 2.0 endpoint (RFC 7643/7644) an identity provider calls: /scim/v2/<org_slug>/Users and the discovery
endpoints. scim2-server does the protocol (validation, PATCH, filters' syntax, errors); this is the Django glue.

Every request, the discovery ones included, needs the organization's bearer token: nothing is served to an
anonymous caller, so no organization slug can be probed. A token of another organization is refused exactly
like an unknown one (401), before anything is read.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from scim2_models import SCIMException, UnauthorizedException
from scim2_server.handler import ScimHandler
from scim2_server.requests import ScimRequest
from scim2_server.responses import SCIM_MEDIA_TYPE, ScimResponse
from scim2_server.service import ScimService

from safeguard.core.audit import Actor
from safeguard.workforce.models import ScimToken
from safeguard.workforce.scim_schema import PROVIDER
from safeguard.workforce.scim_storage import PersonStorage
from safeguard.workforce.services.scim_tokens import scim_token_for_secret

SERVICE = ScimService(PROVIDER)


def base_url(request: HttpRequest, org_slug: str) -> str:
    """The URL to paste into the identity provider, as this request reached us."""
    return request.build_absolute_uri(reverse("scim_root", args=[org_slug])).rstrip("/")


@csrf_exempt
def endpoint(request: HttpRequest, org_slug: str, scim_path: str = "") -> HttpResponse:
    scim_request = ScimRequest(
        method=request.method or "GET",
        base_url=base_url(request, org_slug),
        path=f"/{scim_path}",
        query={key: request.GET[key] for key in request.GET},
        headers=dict(request.headers),
        body=request.body,
    )
    try:
        token = _authenticate(scim_request, org_slug)
        storage = PersonStorage(
            organization=token.organization,
            actor=Actor(user=None, ip=request.META.get("REMOTE_ADDR"), label=f"scim:{token.name}"),
            trigger=f"SCIM ({token.name})",
            removal_deactivates=scim_request.method.upper() == "PATCH",
        )
        response = ScimHandler(SERVICE, storage).handle(scim_request)
    except SCIMException as error:
        response = SERVICE.error_response(error)
    return _http_response(response)


def _authenticate(scim_request: ScimRequest, org_slug: str) -> ScimToken:
    scheme, _, secret = (scim_request.header("Authorization") or "").partition(" ")
    token = scim_token_for_secret(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None or token.organization.slug != org_slug:
        raise UnauthorizedException(detail="Send this organization's SCIM token: 'Authorization: Bearer scim_…'.")
    return token


def _http_response(response: ScimResponse) -> HttpResponse:
    body = b"" if response.body is None else json.dumps(response.body).encode()
    headers = dict(response.headers)
    http = HttpResponse(body, status=response.status.value, content_type=headers.pop("Content-Type", SCIM_MEDIA_TYPE))
    for name, value in headers.items():
        http[name] = value
    http["Cache-Control"] = "no-store"  # the bodies are personal data
    return http
