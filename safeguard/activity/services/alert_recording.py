"""Turning the engine's candidates into alerts: new ones raised (unless suppressed), existing ones (same uid)
updated. A candidate describes its whole bucket up to its batch's end, so an update keeps the larger values and
the longer evidence: overlapping or repeated runs never count an anchor twice. Idempotent: re-running a window
changes nothing.

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


def _merge(alert: Alert, candidate: AlertCandidate) -> bool:
    """Extend the alert with the candidate; whether anything changed. The status and deadline never move."""
    before = tuple(getattr(alert, name) for name in UPDATED_FIELDS[:-1])
    if candidate.evidence_count > alert.evidence_count or len(candidate.evidence_uids) > len(alert.evidence_uids):
        alert.evidence_uids = list(dict.fromkeys(candidate.evidence_uids))[:EVIDENCE_CAP]
        alert.evidence_count = max(candidate.evidence_count, len(alert.evidence_uids))
    alert.anchor_count = max(alert.anchor_count, candidate.anchor_count)
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


def active_suppressions(organization: Organization, now: datetime) -> set[tuple[int, str]]:
    """(rule id, group text) pairs; a blank group text silences the whole rule."""
    rows = Suppression.objects.filter(organization=organization, revoked_at__isnull=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )
    return set(rows.values_list("rule_id", "group_text"))


def is_suppressed(suppressions: set[tuple[int, str]], rule: DetectionRule, text: str) -> bool:
    return (rule.pk, "") in suppressions or (rule.pk, text) in suppressions


def _grew(recorded: tuple[datetime, int, float | None], candidate: AlertCandidate) -> bool:
    last_seen, anchor_count, metric_value = recorded
    return (
        candidate.last_seen > last_seen
        or candidate.anchor_count > anchor_count
        or (candidate.metric_value is not None and (metric_value is None or candidate.metric_value > metric_value))
    )


def candidates_to_record(
    organization: Organization,
    candidates: Sequence[AlertCandidate],
    *,
    rules: dict[str, DetectionRule],
    now: datetime | None = None,
) -> tuple[list[AlertCandidate], list[AlertCandidate]]:
    """(to record, needing evidence): the candidates that are new or grew since their alert was recorded, and of
    those the ones recording will keep (a new suppressed one is only counted). Everything else is a bucket already
    recorded as it stands, so an evaluation collects evidence only for what changed. Two queries: the alerts of
    the candidates' rules and buckets, and the active suppressions."""
    if not candidates:
        return [], []
    now = now or timezone.now()
    recorded = {
        uid: (last_seen, anchors, metric)
        for uid, last_seen, anchors, metric in Alert.objects.filter(
            organization=organization,
            rule__in=[rules[name] for name in {c.rule_name for c in candidates}],
            bucket_start__gte=min(c.bucket_start for c in candidates),
            bucket_start__lte=max(c.bucket_start for c in candidates),
        ).values_list("uid", "last_seen", "anchor_count", "metric_value")
    }
    suppressions = active_suppressions(organization, now)
    chosen: list[AlertCandidate] = []
    wanted: list[AlertCandidate] = []
    for candidate in candidates:
        if candidate.uid in recorded:
            if _grew(recorded[candidate.uid], candidate):
                chosen.append(candidate)
                wanted.append(candidate)
            continue
        chosen.append(candidate)
        if not is_suppressed(suppressions, rules[candidate.rule_name], group_text(candidate.group_key)):
            wanted.append(candidate)
    return chosen, wanted


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
        suppressions = active_suppressions(organization, now)
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
            elif is_suppressed(suppressions, rule, group_text(candidate.group_key)):
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
