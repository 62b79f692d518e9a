"""Helpers the API tests share: token-bearing clients, the role matrix and small counters.

No tests live here.
"""

from __future__ import annotations

import secrets
from typing import Any

from rest_framework.test import APIClient

from safeguard.core.api_auth import hash_token
from safeguard.core.models import ApiToken, AuditEvent, User
from tests.conftest import Cast

# Who the authorization matrices ask, in this order: a member in each relevant role, a member of another
# organization, and nobody.
WHO = ("owner", "workforce", "auditor", "outsider", "anonymous")


def make_token(user: User, **extra: object) -> str:
    """A token row made directly (no audit event), returning its secret."""
    secret = "sg_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name="test", prefix=secret[:10], key_hash=hash_token(secret), **extra)
    return secret


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user)}")
    return client


def user_of(cast: Cast, who: str) -> User | None:
    return {
        "owner": cast.owner,
        "official": cast.official,
        "workforce": cast.workforce,
        "auditor": cast.auditor,
        "outsider": cast.outsider,
        "anonymous": None,
    }[who]


def client_as(cast: Cast, who: str) -> APIClient:
    return api_client(user_of(cast, who))


def audit_count() -> int:
    return AuditEvent.objects.count()


def error_of(response: Any) -> dict[str, Any]:
    """The envelope's body, asserting the shape every error shares."""
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]
