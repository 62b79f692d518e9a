"""SCIM tokens: the bearer credential an identity provider uses to provision one organization's people.

The secret is shown once; only its SHA-256 is kept. Creating and revoking are audited in the organization's trail.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import ScimToken

TOKEN_PREFIX = "scim_"  # noqa: S105  (a marker, not a secret)
PREFIX_LENGTH = 12
NAME_MAX = ScimToken._meta.get_field("name").max_length or 100
# How stale last_used_at may get: writing it on every request would turn each read into a write.
TOUCH_INTERVAL = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def scim_token_create(
    *, organization: Organization, actor: Actor, created_by: User, name: str
) -> tuple[ScimToken, str]:
    """Create a token; returns the row and the secret, which is not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ServiceError("Name the token after what will use it, e.g. “Okta”.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Keep the name under {NAME_MAX} characters.", field="name")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ScimToken.objects.create(
            organization=organization,
            name=name,
            prefix=secret[:PREFIX_LENGTH],
            key_hash=hash_secret(secret),
            created_by=created_by,
        )
        audit_record(
            actor=actor,
            action="workforce.scim_token.created",
            organization=organization,
            target=token,
            changes={"name": [None, name], "prefix": [None, token.prefix]},
        )
    return token, secret


def scim_token_revoke(*, organization: Organization, actor: Actor, token: ScimToken) -> None:
    """Revoke a token: requests bearing it are refused from now on."""
    if token.organization_id != organization.pk:
        raise ServiceError("No such token.")
    with transaction.atomic():
        updated = ScimToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if not updated:
            raise ServiceError("This token is already revoked.")
        audit_record(
            actor=actor,
            action="workforce.scim_token.revoked",
            organization=organization,
            target=token,
            changes={"revoked": [False, True]},
        )


def scim_token_for_secret(secret: str, *, now: datetime | None = None) -> ScimToken | None:
    """The live token a secret belongs to, with its organization; marks it used (at most once a minute)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ScimToken.objects.select_related("organization")
        .filter(key_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )
    if token is None:
        return None
    now = now or timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_INTERVAL:
        ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token
