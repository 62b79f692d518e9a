"""Shared by the SCIM tests: a real SCIM client (scim2-client) driving the Django application in process, through
WSGI, with an organization's token; and small readers of what the endpoint wrote."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient

from safeguard.core.audit import Actor
from safeguard.core.models import Organization, User
from safeguard.workforce.models import Person, ScimToken
from safeguard.workforce.services.scim_tokens import scim_token_create

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
CORE = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class InTransactionHandler(WSGIHandler):
    """Django as a WSGI application inside the test's transaction: as Django's test client does, each request
    leaves alone the connection that holds the transaction. Per request, because the test client reconnects
    those signals after each of its own requests."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = super().__call__(environ, start_response)
            content = b"".join(response)  # read it whole while the signals are off
            response.close()
            return [content]
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


def in_process_django() -> Iterator[WSGIHandler]:
    """Django as a WSGI application, in the test's transaction (for a fixture that needs the database)."""
    yield InTransactionHandler()


def make_token(organization: Organization, user: User, name: str = "Okta") -> tuple[ScimToken, str]:
    return scim_token_create(organization=organization, actor=Actor(user=user), created_by=user, name=name)


def scim_client(app: WSGIHandler, secret: str, org: str = "clinic", discover: bool = True) -> WSGISCIMClient:
    client = WSGISCIMClient(
        app, base_url=f"http://testserver/scim/v2/{org}", headers={"Authorization": f"Bearer {secret}"}
    )
    if discover:
        client.discover()
    return client


def raw(
    app: WSGIHandler,
    method: str,
    path: str,
    *,
    secret: str | None,
    body: Any = None,
    org: str = "clinic",
    content_type: str = "application/scim+json",
    headers: dict[str, str] | None = None,
) -> Any:
    """A request as an identity provider writes it by hand (no client-side validation); the in-process response."""
    client = WSGISCIMClient(app, base_url=f"http://testserver/scim/v2/{org}")
    headers = {**(headers or {}), **({"Authorization": f"Bearer {secret}"} if secret else {})}
    if body is not None:
        headers["Content-Type"] = content_type
    payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    return client.request(method, path, content=payload, headers=headers)


def person(user_name: str) -> Person:
    return Person.objects.get(user_name__iexact=user_name)
