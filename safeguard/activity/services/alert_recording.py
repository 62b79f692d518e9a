"""Turning the engine's candidates into alerts: new ones raised (unless suppressed), existing ones (same uid)
updated with the later anchors and evidence. Idempotent: re-running a window changes nothing.

A call costs the same handful of queries whatever the number of candidates: suppressions, existing alerts and
escalation deadlines are read once, new alerts and their notes are bulk-inserted, updates bulk-updated, and one
audit event stands for the whole call (an evaluation can raise thousands of alerts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from safeguard.activity.breakglass_link import breakglass_uses_record
from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.models import (
    ActivitySettings,
    Alert,
    AlertNote,
    AlertStatus,
    DetectionRule,
    RuleRun,
    Suppression,
)
from safeguard.activity.services.escalation import level_one_minutes
from safeguard.activity.services.settings import activity_settings
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization

EVIDENCE_CAP = 1000
AUDITED_IDS = 100
GROUP_TEXT_MAX = 500
UPDATED_FIELDS = (
    "first_seen",
    "last_seen",
    "metric_value",
    "anchor_count",
    "evidence_uids",
    "evidence_count",
    "updated_at",
)


@dataclass(frozen=True)
class RecordResult:
    created: int
    updated: int
    suppressed: int


def group_text(group_key: dict[str, str]) -> str:
    return ", ".join(f"{name}={value}" for name, value in group_key.items())[:GROUP_TEXT_MAX]


def _union(first: list[str], second: list[str]) -> list[str]:
    return list(dict.fromkeys([*first, *second]))[:EVIDENCE_CAP]


def _later_anchors(alert: Alert, candidate: AlertCandidate) -> bool:
    """Anchors after everything recorded are new (the next micro-batch); overlapping ones are a re-run and must
    not be counted twice."""
    return candidate.first_seen > alert.last_seen


def _merge(alert: Alert, candidate: AlertCandidate) -> bool:
    """Extend the alert with the candidate; whether anything changed. The status and deadline never move."""
    before = tuple(getattr(alert, name) for name in UPDATED_FIELDS[:-1])
    later = _later_anchors(alert, candidate)
    alert.evidence_uids = _union(alert.evidence_uids, candidate.evidence_uids)
    if later:
        alert.anchor_count += candidate.anchor_count
        alert.evidence_count += candidate.evidence_count
    else:
        alert.anchor_count = max(alert.anchor_count, candidate.anchor_count)
        alert.evidence_count = max(alert.evidence_count, candidate.evidence_count)
    alert.evidence_count = max(alert.evidence_count, len(alert.evidence_uids))
    alert.first_seen = min(alert.first_seen, candidate.first_seen)
    alert.last_seen = max(alert.last_seen, candidate.last_seen)
    if candidate.metric_value is not None:
        alert.metric_value = max(alert.metric_value or candidate.metric_value, candidate.metric_value)
    return before != tuple(getattr(alert, name) for name in UPDATED_FIELDS[:-1])


def _new_alert(
    organization: Organization,
    candidate: AlertCandidate,
    rule: DetectionRule,
    run: RuleRun | None,
    ack_minutes: int | None,
    now: datetime,
) -> Alert:
    evidence = list(dict.fromkeys(candidate.evidence_uids))[:EVIDENCE_CAP]
    return Alert(
        organization=organization,
        uid=candidate.uid,
        rule=rule,
        title=rule.title[:256],
        severity=rule.level,
        group_key=candidate.group_key,
        group_text=group_text(candidate.group_key),
        person_id=candidate.person_id,
        source_id=candidate.source_ids[0] if len(set(candidate.source_ids)) == 1 else None,
        bucket_start=candidate.bucket_start,
        first_seen=candidate.first_seen,
        last_seen=candidate.last_seen,
        window_seconds=candidate.window_seconds,
        metric_name=candidate.metric_name[:64],
        metric_value=candidate.metric_value,
        anchor_count=candidate.anchor_count,
        evidence_uids=evidence,
        evidence_count=max(candidate.evidence_count, len(evidence)),
        status=AlertStatus.NEW,
        ack_due_at=now + timedelta(minutes=ack_minutes) if ack_minutes else None,
        last_notified_at=now,
        run=run,
        created_at=now,
        updated_at=now,
    )


def _active_suppressions(organization: Organization, now: datetime) -> set[tuple[int, str]]:
    """(rule id, group text) pairs; a blank group text silences the whole rule."""
    rows = Suppression.objects.filter(organization=organization, revoked_at__isnull=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    return set(rows.values_list("rule_id", "group_text"))


def _suppressed(suppressions: set[tuple[int, str]], rule: DetectionRule, text: str) -> bool:
    return (rule.pk, "") in suppressions or (rule.pk, text) in suppressions


def _link_sources(candidates: Sequence[AlertCandidate], alerts: dict[str, Alert]) -> None:
    """Every source with evidence of an alert, so each source's review finds it (one insert, duplicates skipped)."""
    through = Alert.sources.through
    links = {
        (alerts[candidate.uid].pk, source_id)
        for candidate in candidates
        if candidate.uid in alerts
        for source_id in candidate.source_ids
    }
    through.objects.bulk_create(
        [through(alert_id=alert_id, logsource_id=source_id) for alert_id, source_id in sorted(links)],
        ignore_conflicts=True,
    )


def record_candidates(
    organization: Organization,
    candidates: Sequence[AlertCandidate],
    *,
    rules: dict[str, DetectionRule],
    run: RuleRun | None = None,
    now: datetime | None = None,
) -> RecordResult:
    """`rules` maps each candidate's rule name to the organization's rule (a missing one is a caller's bug)."""
    now = now or timezone.now()
    if not candidates:
        return RecordResult(0, 0, 0)
    for candidate in candidates:
        if candidate.rule_name not in rules:
            raise ValueError(f"No rule named {candidate.rule_name!r} was given for candidate {candidate.uid}.")
    activity_settings(organization)
    with transaction.atomic():
        # One recording per organization at a time: two evaluations (an upload's and the micro-batch) finding the
        # same uid would otherwise both insert it, and the second would fail on the unique uid.
        ActivitySettings.objects.select_for_update().get(organization=organization)
        existing = {
            alert.uid: alert
            for alert in Alert.objects.filter(organization=organization, uid__in={c.uid for c in candidates})
        }
        suppressions = _active_suppressions(organization, now)
        minutes = level_one_minutes(organization) if len(existing) < len({c.uid for c in candidates}) else {}
        created: dict[str, Alert] = {}
        changed: dict[str, Alert] = {}
        suppressed = 0
        for candidate in candidates:
            rule = rules[candidate.rule_name]
            if candidate.uid in existing:
                if _merge(existing[candidate.uid], candidate):
                    existing[candidate.uid].updated_at = now
                    changed[candidate.uid] = existing[candidate.uid]
            elif candidate.uid in created:
                _merge(created[candidate.uid], candidate)
            elif _suppressed(suppressions, rule, group_text(candidate.group_key)):
                suppressed += 1
            else:
                created[candidate.uid] = _new_alert(organization, candidate, rule, run, minutes.get(rule.level), now)
        new_alerts = Alert.objects.bulk_create(list(created.values()))
        AlertNote.objects.bulk_create(
            AlertNote(
                organization=organization,
                alert=alert,
                action=AlertNote.Action.RAISED,
                to_status=AlertStatus.NEW,
                created_at=now,
            )
            for alert in new_alerts
        )
        if changed:
            Alert.objects.bulk_update(list(changed.values()), UPDATED_FIELDS)
        _link_sources(candidates, {**existing, **{alert.uid: alert for alert in new_alerts}})
        if new_alerts:
            breakglass_uses_record(organization, new_alerts, now=now)
        if new_alerts or changed or suppressed:
            audit_record(
                actor=Actor.system("activity.evaluation"),
                action="activity.alerts_raised",
                organization=organization,
                target=run,
                object_type="" if run else "activity.alert",
                changes={
                    "created": len(new_alerts),
                    "updated": len(changed),
                    "suppressed": suppressed,
                    "alerts": [str(alert.public_id) for alert in new_alerts[:AUDITED_IDS]],
                },
            )
        if new_alerts:
            from safeguard.activity.emails_alerts import send_raised

            transaction.on_commit(partial(send_raised, [alert.pk for alert in new_alerts]))
    return RecordResult(len(new_alerts), len(changed), suppressed)
