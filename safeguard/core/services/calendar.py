"""The personal iCalendar feed's secret: creating and rotating it (the old URL stops working at once)."""

from __future__ import annotations

import secrets

from django.db import transaction

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import User

TOKEN_BYTES = 32  # token_urlsafe(32) gives 43 characters


def calendar_token_rotate(*, user: User, actor: Actor, mfa_verified: bool) -> str:
    """Give `user` a new feed token and return it. Audited without an organization: the feed spans them all.

    `mfa_verified` says whether the session asking for it passed MFA; the feed lists obligations of organizations
    that require MFA only for a token made by such a session (safeguard.core.calendar_feed).
    """
    token = secrets.token_urlsafe(TOKEN_BYTES)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        had_token = bool(locked.calendar_token)
        was_verified = locked.calendar_token_mfa_verified if had_token else None
        locked.calendar_token = token
        locked.calendar_token_mfa_verified = mfa_verified
        locked.save(update_fields=["calendar_token", "calendar_token_mfa_verified"])
        audit_record(
            actor=actor,
            action="calendar.token_rotated",
            organization=None,
            target=locked,
            # Never the secret itself: only whether there was one.
            changes={
                "calendar_token": ["(set)" if had_token else None, "(new)"],
                "calendar_token_mfa_verified": [was_verified, mfa_verified],
            },
        )
    user.calendar_token = token
    user.calendar_token_mfa_verified = mfa_verified
    return token


def calendar_token_revoke(*, user: User, actor: Actor, reason: str) -> bool:
    """Clear `user`'s feed token so the feed's address stops working; returns whether there was one.

    For account recovery: call it inside the transaction that makes that change. The person makes a new address on
    the calendar page when they want one.
    """
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.calendar_token:
            return False
        locked.calendar_token = ""
        locked.calendar_token_mfa_verified = False
        locked.save(update_fields=["calendar_token", "calendar_token_mfa_verified"])
        audit_record(
            actor=actor,
            action="calendar.token_revoked",
            organization=None,
            target=locked,
            changes={"calendar_token": ["(set)", None], "reason": [None, reason]},
        )
    user.calendar_token = ""
    user.calendar_token_mfa_verified = False
    return True
