"""Evaluation runs: queue one over a window of event time, and run it (compile the organization's rules,
evaluate them on the store, hand the candidates to the alert service).

A run is claimed with a conditional UPDATE (queued → running), so two workers given the same run id cannot both
evaluate it. Only runs asked for by hand are written to the audit trail; scheduled ones (micro-batch, nightly,
after an ingestion) are recorded by their RuleRun row, which keeps the same counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import yaml
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from safeguard.activity.models import ActivitySettings, DetectionRule, IngestBatch, RuleRun
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.transactions import on_commit_once

if TYPE_CHECKING:
    from safeguard.activity.engine.types import AlertCandidate

logger = logging.getLogger(__name__)

EVALUATED_KINDS = (DetectionRule.Kind.DETECTION, DetectionRule.Kind.CORRELATION, DetectionRule.Kind.FILTER)
BUSY_STATES = (RuleRun.State.QUEUED, RuleRun.State.RUNNING)


def evaluation_create(
    organization: Organization,
    *,
    start: datetime,
    end: datetime,
    trigger: str,
    batch: IngestBatch | None = None,
    requested_by: User | None = None,
) -> RuleRun:
    """A queued RuleRun, nothing enqueued: for callers that run it themselves (the rules_run command)."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ServiceError("Give times with a zone (UTC or an offset).", field="start")
    if end <= start:
        raise ServiceError("The window must end after it starts.", field="end")
    if trigger not in RuleRun.Trigger.values:
        raise ServiceError(f"Unknown trigger {trigger!r}.", field="trigger")
    return RuleRun.objects.create(
        organization=organization,
        trigger=trigger,
        window_start=start,
        window_end=end,
        batch=batch,
        requested_by=requested_by,
    )


def request_evaluation(
    organization: Organization,
    *,
    start: datetime,
    end: datetime,
    trigger: str,
    batch: IngestBatch | None = None,
    requested_by: User | None = None,
) -> RuleRun:
    """Record a queued RuleRun and enqueue its task when the caller's transaction commits."""
    from safeguard.activity.tasks_evaluation import run_rules

    with transaction.atomic():
        run = evaluation_create(
            organization, start=start, end=end, trigger=trigger, batch=batch, requested_by=requested_by
        )

        def enqueue() -> None:
            run_rules.enqueue(run.pk)

        on_commit_once(("activity.rule_run", run.pk), enqueue)
    return run


def _claim(run: RuleRun) -> bool:
    claimed = RuleRun.objects.filter(pk=run.pk, state=RuleRun.State.QUEUED).update(
        state=RuleRun.State.RUNNING, started_at=timezone.now()
    )
    run.refresh_from_db()
    return claimed == 1


def _referenced_names(yaml_texts: Iterable[str]) -> set[str]:
    """Rule names the documents' correlations and filters point at (`correlation.rules`, `filter.rules`)."""
    names: set[str] = set()
    for text in yaml_texts:
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError:
            continue  # the engine names the fault when it compiles the rule
        for document in documents:
            if not isinstance(document, dict):
                continue
            for block in ("correlation", "filter"):
                section = document.get(block)
                rules = section.get("rules") if isinstance(section, dict) else None
                if isinstance(rules, list):
                    names.update(str(name) for name in rules)
                elif isinstance(rules, str):
                    names.add(rules)
    return names


def rules_for_run(organization: Organization) -> list[DetectionRule]:
    """The enabled and shadow rules, and the disabled ones they refer to (building blocks: they never alert)."""
    rows = list(DetectionRule.objects.filter(organization=organization, kind__in=EVALUATED_KINDS).order_by("name"))
    chosen = {rule.name: rule for rule in rows if rule.mode != DetectionRule.Mode.DISABLED}
    disabled = {rule.name: rule for rule in rows if rule.mode == DetectionRule.Mode.DISABLED}
    pending = list(chosen.values())
    while pending:
        wanted = _referenced_names(rule.yaml for rule in pending) - chosen.keys()
        pending = [disabled[name] for name in sorted(wanted) if name in disabled]
        chosen.update((rule.name, rule) for rule in pending)
    return sorted(chosen.values(), key=lambda rule: rule.name)


def run_evaluation(run: RuleRun) -> RuleRun:
    """Run a queued evaluation now (the task calls this; commands and tests may too). A run already claimed by
    another worker, finished or failed is returned as it stands."""
    if not _claim(run):
        return run
    started = time.monotonic()
    try:
        _evaluate(run, started)
    except Exception as error:  # noqa: BLE001  # any fault ends the run as failed, with its message, for the page
        from safeguard.activity.engine import RuleError

        if isinstance(error, RuleError):
            failure = "\n".join(f"{p.rule}:{p.field}: {p.message}" for p in error.problems) or str(error)
        else:
            logger.exception("rule run %s failed", run.public_id)
            failure = f"{type(error).__name__}: {error}"
        RuleRun.objects.filter(pk=run.pk).update(
            state=RuleRun.State.FAILED,
            failure=failure,
            finished_at=timezone.now(),
            duration_ms=_elapsed_ms(started),
        )
    run.refresh_from_db()
    return run


def _elapsed_ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def _evaluate(run: RuleRun, started: float) -> None:
    from safeguard.activity.engine import RuleDocument, collect_evidence, compile_rules, evaluate
    from safeguard.activity.enrichment import reference_data
    from safeguard.activity.services.alert_recording import candidates_to_record, record_candidates
    from safeguard.activity.store import store_for

    organization = run.organization
    rules = rules_for_run(organization)
    by_name = {rule.name: rule for rule in rules}
    alerting = {rule.name for rule in rules if rule.mode == DetectionRule.Mode.ENABLED}
    counted = {rule.name for rule in rules if rule.mode != DetectionRule.Mode.DISABLED}
    stats: list[dict[str, Any]] = []
    candidates: list[AlertCandidate] = []
    if counted:
        documents = [
            RuleDocument(
                name=rule.name,
                yaml=rule.yaml,
                alerting=rule.name in alerting,
                overrides=dict(rule.overrides or {}),
                suppression_seconds=rule.suppression_seconds,
            )
            for rule in rules
        ]
        compiled = compile_rules(documents)
        store = store_for(organization.pk)
        store.load_reference(reference_data(organization))
        result = evaluate(store, compiled, organization_id=organization.pk, start=run.window_start, end=run.window_end)
        found = [candidate for candidate in result.candidates if candidate.rule_name in alerting]
        # Evidence only for what recording will raise or extend: most of a run's buckets are already recorded.
        candidates, wanted = candidates_to_record(organization, found, rules=by_name)
        collect_evidence(
            store,
            compiled,
            organization_id=organization.pk,
            start=run.window_start,
            end=run.window_end,
            candidates=wanted,
        )
        stats = [
            {
                "rule": row.rule,
                "anchors": row.anchors,
                "candidates": row.candidates if row.rule in alerting else 0,
                "ms": row.milliseconds,
                "shadow": row.rule not in alerting,
            }
            for row in result.stats
            if row.rule in counted
        ]
    with transaction.atomic():
        recorded = record_candidates(
            organization, candidates, rules={name: by_name[name] for name in alerting}, run=run
        )
        finished = timezone.now()
        _update_rules(by_name, stats, finished)
        run.state = RuleRun.State.DONE
        run.rules_run = len(counted)
        run.anchors = sum(row["anchors"] for row in stats if not row["shadow"])
        run.shadow_anchors = sum(row["anchors"] for row in stats if row["shadow"])
        run.alerts_created, run.alerts_updated, run.suppressed = (
            recorded.created,
            recorded.updated,
            recorded.suppressed,
        )
        run.stats = stats
        run.finished_at = finished
        run.duration_ms = _elapsed_ms(started)
        run.save(
            update_fields=[
                "state",
                "rules_run",
                "anchors",
                "shadow_anchors",
                "alerts_created",
                "alerts_updated",
                "suppressed",
                "stats",
                "finished_at",
                "duration_ms",
            ]
        )
        if run.trigger == RuleRun.Trigger.MICRO:
            _advance_evaluated_until(organization, run.window_end)
        if run.trigger == RuleRun.Trigger.MANUAL:
            _audit_manual(run)


def _update_rules(by_name: dict[str, DetectionRule], stats: list[dict[str, Any]], finished: datetime) -> None:
    changed = []
    for row in stats:
        rule = by_name.get(row["rule"])
        if rule is None:
            continue
        rule.last_run_at = finished
        rule.last_duration_ms = row["ms"]
        rule.last_anchor_count = row["anchors"]
        if row["shadow"]:
            rule.shadow_count = F("shadow_count") + row["anchors"]
        changed.append(rule)
    DetectionRule.objects.bulk_update(changed, ["last_run_at", "last_duration_ms", "last_anchor_count", "shadow_count"])


def _advance_evaluated_until(organization: Organization, until: datetime) -> None:
    settings, _ = ActivitySettings.objects.get_or_create(organization=organization)
    if settings.evaluated_until is None or settings.evaluated_until < until:
        ActivitySettings.objects.filter(pk=settings.pk).update(evaluated_until=until)


def _audit_manual(run: RuleRun) -> None:
    actor = Actor(user=run.requested_by) if run.requested_by else Actor.system("rules_run")
    audit_record(
        actor=actor,
        action="activity.rules_evaluated",
        organization=run.organization,
        target=run,
        changes={
            "window": [None, f"{run.window_start.isoformat()} – {run.window_end.isoformat()}"],
            "rules_run": [None, run.rules_run],
            "anchors": [None, run.anchors],
            "alerts_created": [None, run.alerts_created],
            "alerts_updated": [None, run.alerts_updated],
            "suppressed": [None, run.suppressed],
        },
    )
