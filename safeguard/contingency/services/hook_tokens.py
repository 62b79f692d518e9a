"""Backup hook tokens: the credential a backup tool's post-job hook records its runs with, and nothing else, so no
person's token (with all that person's rights) has to sit on a backup server.

The key is shown once; only its SHA-256 is kept, hashed as personal API tokens are. Making and revoking a token are
audited; each use is stamped on the token, and the import it delivers names it as the actor."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone

from safeguard.contingency.models import BackupHookToken
from safeguard.core.api_auth import hash_token
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

# Its own marker, so a leaked key is recognised (and found by secret scanners) as a backup hook token.
TOKEN_PREFIX = "sgb_"  # noqa: S105  (a marker, not a secret)
PREFIX_LENGTH = 12
NAME_MAX = BackupHookToken._meta.get_field("name").max_length or 100


def hook_token_create(*, organization: Organization, actor: Actor, name: str) -> tuple[BackupHookToken, str]:
    """A token and its key, which is not stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ServiceError("Name the token after the tool that will use it, e.g. “Veeam on backup01”.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"A token name has at most {NAME_MAX} characters.", field="name")
    if actor.user is None:
        raise ServiceError("A backup hook token is made by a person.")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = BackupHookToken.objects.create(
            organization=organization,
            name=name,
            prefix=key[:PREFIX_LENGTH],
            key_hash=hash_token(key),
            created_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="contingency.backup_hook_token.created",
            organization=organization,
            target=token,
            changes={"name": [None, name], "prefix": [None, token.prefix]},
        )
    return token, key


def hook_token_revoke(*, organization: Organization, actor: Actor, token: BackupHookToken) -> BackupHookToken:
    """From now on the tool's calls are refused with 401. Revoking twice is refused: the first revocation stands."""
    with transaction.atomic():
        locked = BackupHookToken.objects.select_for_update().get(pk=token.pk, organization=organization)
        if locked.revoked_at is not None:
            raise ServiceError(f"This token was already revoked on {locked.revoked_at:%Y-%m-%d %H:%M} UTC.")
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor.user
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="contingency.backup_hook_token.revoked",
            organization=organization,
            target=locked,
            changes={"revoked_at": [None, locked.revoked_at]},
        )
    return locked


def hook_token_find(key: str) -> BackupHookToken | None:
    """The token with this key, revoked or not (the caller says which): looked up by its hash, so no key is ever
    compared character by character."""
    return BackupHookToken.objects.select_related("organization").filter(key_hash=hash_token(key)).first()


def hook_token_used(token: BackupHookToken) -> None:
    # A stamp, not an audit event: the delivery it makes is audited, naming the token.
    BackupHookToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())


def hook_token_actor(token: BackupHookToken, ip: str | None) -> Actor:
    """The audit trail's name for a delivery by the token: no person acted."""
    return Actor(user=None, ip=ip, label=f"backup-hook-token:{token.prefix} ({token.name})")
