"""Break-glass accounts seen in the logs: an alert about one opens a use in the access app's break-glass register
(source "activity"), so the use's post-use review starts without anyone typing it in. One use stands for a
session: alerts within 12 hours of a recorded use of the same account add nothing."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db.models.functions import Lower

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from safeguard.access.services.breakglass_uses import activation_record
from safeguard.activity.models import Alert, LogSource
from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

logger = logging.getLogger(__name__)
USE_SPAN = timedelta(hours=12)
ACTOR = Actor.system("activity-review")


def breakglass_uses_record(organization: Organization, alerts: Sequence[Alert], *, now: datetime) -> int:
    """Record a use for each alert whose user is an active break-glass account; returns how many were recorded."""
    by_user: dict[str, list[Alert]] = {}
    for alert in alerts:
        user = str((alert.group_key or {}).get("user_name") or "").strip().lower()
        if user:
            by_user.setdefault(user, []).append(alert)
    if not by_user:
        return 0
    accounts = list(
        BreakGlassAccount.objects.annotate(key=Lower("username"))
        .filter(organization=organization, is_active=True, key__in=list(by_user))
        .select_related("system")
        .order_by("pk")
    )
    if not accounts:
        return 0
    earliest = min(alert.first_seen for user in by_user for alert in by_user[user]) - USE_SPAN
    uses = list(BreakGlassActivation.objects.filter(account__in=accounts, started_at__gte=earliest))
    source_assets = dict(
        LogSource.objects.filter(
            organization=organization, pk__in={a.source_id for a in alerts if a.source_id}
        ).values_list("pk", "asset_id")
    )
    recorded = 0
    for account in accounts:
        for alert in by_user.get(account.key, []):
            asset_id = source_assets.get(alert.source_id) if alert.source_id else None
            if asset_id is not None and account.system.asset_id != asset_id:
                continue
            if any(use.account_id == account.pk and abs(use.started_at - alert.first_seen) <= USE_SPAN for use in uses):
                continue
            try:
                use = activation_record(
                    organization=organization,
                    actor=ACTOR,
                    account=account,
                    started_at=alert.first_seen,
                    used_by=alert.person,
                    records_accessed=f"See the alert “{alert.title}” ({alert.public_id}) for the events.",
                    source=BreakGlassActivation.Source.ACTIVITY,
                    now=now,
                )
            except ServiceError as error:
                # A use the register refuses (e.g. older than it accepts) stays visible as the alert itself.
                logger.info("break-glass use not recorded for alert %s: %s", alert.public_id, error.message)
                continue
            uses.append(use)
            recorded += 1
    return recorded
