"""Personal API tokens: the secret is shown once, only its SHA-256 is kept; audited outside any organization."""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from safeguard.core.api_auth import TOKEN_PREFIX, hash_token
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import ApiToken, Membership, User
from safeguard.core.services.errors import ServiceError

NAME_MAX = ApiToken._meta.get_field("name").max_length or 100
PREFIX_LENGTH = 10


def token_needs_mfa(user: User) -> bool:
    """A token made now must come from a verified session when any of the user's organizations requires MFA."""
    return Membership.objects.current().filter(user=user, organization__mfa_required=True).exists()


def api_token_create(
    *, user: User, actor: Actor, name: str, mfa_verified: bool, expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the secret, which is not stored and cannot be shown again.

    `mfa_verified` says whether the session asking for it passed MFA; a token made without it is refused by every
    organization that requires MFA (safeguard.core.api.permissions), now or later.
    """
    name = name.strip()
    if not name:
        raise ServiceError("Name the token after what will use it.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"Keep the name under {NAME_MAX} characters.", field="name")
    if expires_at is not None and expires_at <= timezone.now():
        raise ServiceError("The expiry must be in the future.", field="expires_at")
    if not user.is_active:
        raise ServiceError("An inactive account cannot hold API tokens.")
    if not mfa_verified and token_needs_mfa(user):
        raise ServiceError("One of your organizations requires MFA: enter a one-time code before creating a token.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=secret[:PREFIX_LENGTH],
            key_hash=hash_token(secret),
            expires_at=expires_at,
            mfa_verified=mfa_verified,
        )
        audit_record(
            actor=actor,
            action="api_token.created",
            organization=None,
            target=token,
            changes={
                "user": [None, user.email],
                "name": [None, name],
                "prefix": [None, token.prefix],
                "expires_at": [None, expires_at],
                "mfa_verified": [None, mfa_verified],
            },
        )
    return token, secret


def api_token_revoke(*, user: User, actor: Actor, token: ApiToken) -> None:
    """Revoke one of `user`'s tokens; requests bearing it are refused from now on."""
    if token.user_id != user.pk:
        raise ServiceError("That token belongs to someone else.")
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if not updated:
            raise ServiceError("This token is already revoked.")
        audit_record(
            actor=actor,
            action="api_token.revoked",
            organization=None,
            target=token,
            changes={"revoked": [False, True]},
        )


def api_tokens_revoke_all(*, user: User, actor: Actor, reason: str) -> int:
    """Revoke every token `user` still holds, one audit event each; returns how many.

    For account recovery (password reset, MFA reset): call it inside the transaction that makes that change, so the
    recovery and the revocations are recorded together or not at all.
    """
    with transaction.atomic():
        tokens = list(ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True).order_by("pk"))
        ApiToken.objects.filter(pk__in=[token.pk for token in tokens]).update(revoked_at=timezone.now())
        for token in tokens:
            audit_record(
                actor=actor,
                action="api_token.revoked",
                organization=None,
                target=token,
                changes={"revoked": [False, True], "reason": [None, reason]},
            )
    return len(tokens)
