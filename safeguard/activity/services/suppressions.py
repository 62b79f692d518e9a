"""Suppressions: no new alerts from a rule, for one group key or all of them, until an end or a revocation.
Alerts already raised are left as they are; recording keeps updating them."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from safeguard.activity.models import DetectionRule, Suppression
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

GROUP_TEXT_MAX = 500


def suppression_create(
    organization: Organization,
    actor: Actor,
    *,
    rule: DetectionRule,
    reason: str,
    group_text: str = "",
    ends_at: datetime | None = None,
    now: datetime | None = None,
) -> Suppression:
    now = now or timezone.now()
    reason, group_text = reason.strip(), group_text.strip()
    if rule.organization_id != organization.pk:
        raise ServiceError("Choose a rule of this organization.", field="rule")
    if not reason:
        raise ServiceError(
            "Say why these alerts may be silenced, e.g. “nightly billing batch account”.", field="reason"
        )
    if len(group_text) > GROUP_TEXT_MAX:
        raise ServiceError(f"A group key has at most {GROUP_TEXT_MAX} characters.", field="group_text")
    if ends_at is not None and ends_at <= now:
        raise ServiceError("The end must be in the future (or leave it blank: until revoked).", field="ends_at")
    if actor.user is None:
        raise ServiceError("A suppression is created by a person.", field="actor")
    with transaction.atomic():
        suppression = Suppression.objects.create(
            organization=organization,
            rule=rule,
            group_text=group_text,
            reason=reason,
            starts_at=now,
            ends_at=ends_at,
            created_by=actor.user,
            created_at=now,
        )
        audit_record(
            actor=actor,
            action="activity.suppression_created",
            organization=organization,
            target=suppression,
            changes={"rule": rule.name, "group_text": group_text, "reason": reason, "ends_at": ends_at},
        )
    return suppression


def suppression_revoke(
    organization: Organization, actor: Actor, *, suppression: Suppression, now: datetime | None = None
) -> Suppression:
    now = now or timezone.now()
    with transaction.atomic():
        suppression = Suppression.objects.select_for_update().select_related("rule").get(pk=suppression.pk)
        if suppression.revoked_at is not None:
            raise ServiceError("This suppression was already revoked.", field="suppression")
        if suppression.ends_at is not None and suppression.ends_at <= now:
            raise ServiceError("This suppression has already ended.", field="suppression")
        suppression.revoked_at, suppression.revoked_by = now, actor.user
        suppression.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="activity.suppression_revoked",
            organization=organization,
            target=suppression,
            changes={"rule": suppression.rule.name, "group_text": suppression.group_text},
        )
    return suppression


def is_active(suppression: Suppression, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        suppression.revoked_at is None
        and suppression.starts_at <= now
        and (suppression.ends_at is None or suppression.ends_at > now)
    )
