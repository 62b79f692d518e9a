"""Chores run by the scheduler every few minutes: alert escalation (reminders, next levels, final notices) and
"silent source" alerts for sources that stopped sending. Both are idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime

from django.db import transaction
from django.utils import timezone

from safeguard.activity.engine.evaluate import alert_uid
from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.models import DetectionRule, LogSource, Severity
from safeguard.activity.services.alert_recording import record_candidates
from safeguard.activity.services.escalation import escalation_run
from safeguard.core.chores import daily_chore
from safeguard.core.models import Organization

SILENT_RULE = "silent_source"
SILENT_METRIC = "hours silent"


def silent_rule(organization: Organization) -> DetectionRule:
    """The rule pack installs it; an organization without the pack gets it here, enabled."""
    rule, _ = DetectionRule.objects.get_or_create(
        organization=organization,
        name=SILENT_RULE,
        defaults={
            "title": "Log source silent",
            "description": "A log source sent nothing for longer than its silent-after setting.",
            "kind": DetectionRule.Kind.SILENT_SOURCE,
            "level": Severity.HIGH,
            "mode": DetectionRule.Mode.ENABLED,
            "origin": DetectionRule.Origin.PACK,
        },
    )
    return rule


def silent_candidate(source: LogSource, now: datetime) -> AlertCandidate | None:
    since = source.last_received_at or source.created_at
    hours = (now - since).total_seconds() / 3600
    if hours <= source.silent_after_hours:
        return None
    bucket = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    group_key = {"source": source.name}
    return AlertCandidate(
        rule_name=SILENT_RULE,
        # The engine's uid: one definition, so a later run the same day finds this alert again.
        uid=alert_uid(source.organization_id, SILENT_RULE, group_key, bucket),
        group_key=group_key,
        bucket_start=bucket,
        first_seen=now,
        last_seen=now,
        anchor_count=1,
        window_seconds=0,
        metric_name=SILENT_METRIC,
        metric_value=round(hours, 1),
        source_ids=[source.pk],
    )


def silent_sources_run(*, now: datetime, dry_run: bool = False) -> list[str]:
    lines: list[str] = []
    sources = LogSource.objects.filter(is_active=True).select_related("organization").order_by("organization", "pk")
    by_org: dict[int, list[tuple[LogSource, AlertCandidate]]] = {}
    for source in sources:
        candidate = silent_candidate(source, now)
        if candidate is not None:
            by_org.setdefault(source.organization_id, []).append((source, candidate))
    for pairs in by_org.values():
        organization = pairs[0][0].organization
        names = ", ".join(source.name for source, _ in pairs)
        if dry_run:
            lines.append(f"{organization.slug}: would alert on silent source(s) {names}")
            continue
        with transaction.atomic():
            rule = silent_rule(organization)
            if rule.mode != DetectionRule.Mode.ENABLED:
                lines.append(f"{organization.slug}: silent sources {names}, but the rule is {rule.mode}")
                continue
            result = record_candidates(organization, [c for _, c in pairs], rules={SILENT_RULE: rule}, now=now)
            LogSource.objects.filter(pk__in=[source.pk for source, _ in pairs]).update(silent_alerted_at=now)
        lines.append(f"{organization.slug}: silent source(s) {names}: {result.created} new alert(s)")
    return lines


@daily_chore("activity.escalation")
def escalation_chore(today: date, dry_run: bool) -> list[str]:
    return escalation_run(now=timezone.now(), dry_run=dry_run).lines()


@daily_chore("activity.silent_sources")
def silent_sources_chore(today: date, dry_run: bool) -> list[str]:
    return silent_sources_run(now=timezone.now(), dry_run=dry_run)
