"""Running compiled rules over a batch of event time: one query per rule, candidates built from its rows with
deterministic uids, so overlapping runs over the same events name the same alerts.

Every candidate describes its whole bucket up to the batch's end: a rule's anchors are taken from the start of the
bucket the batch starts in, so a micro-batch in the middle of a bucket still counts the bucket's earlier anchors
and recording can simply keep the larger values. Evidence is left to collect_evidence (engine/evidence.py), which
the caller runs for the few candidates that are new or grew."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import pyarrow as pa

from safeguard.activity.engine.definitions import CompiledRule, CompiledRuleSet, EvaluationResult, RuleStats
from safeguard.activity.engine.types import AlertCandidate

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Batches up to this long run every rule on one connection of the store (opening one costs tens of milliseconds,
# as much as a rule over five minutes of events); longer re-runs open one per rule, so the store's lock is
# released between rules and pages are not kept waiting for the whole run.
HELD_BATCH = timedelta(days=1)


class EventQueries(Protocol):
    """All evaluation needs of a store (EventStore provides it)."""

    def query(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table: ...


def alert_uid(organization_id: int, rule_name: str, group_key: dict[str, str], bucket_start: datetime) -> str:
    text = "\x1f".join(
        [str(organization_id), rule_name, json.dumps(group_key, sort_keys=True), bucket_start.isoformat()]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("evaluation bounds must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def _candidate(rule: CompiledRule, organization_id: int, row: dict[str, Any]) -> AlertCandidate:
    names = [name if name not in SURROGATE_NAMES else SURROGATE_NAMES[name] for name in rule.group_by]
    group_key = {name: row[f"k{index}"] or "" for index, name in enumerate(names)}
    bucket_start = from_micros(row["bucket"] * rule.suppression_seconds * 1_000_000)
    return AlertCandidate(
        rule_name=rule.name,
        uid=alert_uid(organization_id, rule.name, group_key, bucket_start),
        group_key=group_key,
        bucket_start=bucket_start,
        first_seen=from_micros(row["first_us"]),
        last_seen=from_micros(row["last_us"]),
        anchor_count=int(row["anchors"]),
        window_seconds=rule.window_seconds,
        metric_name=rule.metric_name,
        metric_value=row["metric"],
        source_ids=[int(source) for source in row["sources"] or []],
        person_id=row["person_id"],
        group_values=[row[f"g{index}"] for index in range(len(names))],
    )


SURROGATE_NAMES = {
    "user_id": "user_name",
    "patient_key": "patient_id",
    "src_host_id": "src_host",
    "src_ip_id": "src_ip",
}


def bucket_floor(moment: datetime, seconds: int) -> datetime:
    """The start of the suppression bucket holding `moment` (buckets are counted from the epoch, in UTC)."""
    micros = (moment - EPOCH) // timedelta(microseconds=1)
    return from_micros(micros // (seconds * 1_000_000) * seconds * 1_000_000)


def _held(store: EventQueries, start: datetime, end: datetime) -> AbstractContextManager[object]:
    """The store's connection for the whole batch, when it offers one (DuckDBEventStore.connection: its own
    queries re-use the connection while it is held)."""
    connection = getattr(store, "connection", None)
    if end - start > HELD_BATCH or not callable(connection):
        return nullcontext()
    held: AbstractContextManager[object] = connection()
    return held


def evaluate(
    store: EventQueries, compiled: CompiledRuleSet, *, organization_id: int, start: datetime, end: datetime
) -> EvaluationResult:
    with _held(store, start, end):
        return _evaluate(store, compiled, organization_id=organization_id, start=start, end=end)


def _evaluate(
    store: EventQueries, compiled: CompiledRuleSet, *, organization_id: int, start: datetime, end: datetime
) -> EvaluationResult:
    candidates: list[AlertCandidate] = []
    stats: list[RuleStats] = []
    for rule in compiled.rules:
        # Shadow rules count only the batch's own anchors: their counts are added up run after run.
        since = bucket_floor(start, rule.suppression_seconds) if rule.alerting else start
        parameters = {
            "read_start": _utc_text(since - timedelta(seconds=rule.lookback_seconds)),
            "start": _utc_text(since),
            "since": _utc_text(start),
            "end": _utc_text(end),
        }
        began = time.perf_counter()
        if rule.alerting:
            rows = store.query(rule.sql, parameters).to_pylist()
            found = [_candidate(rule, organization_id, row) for row in rows]
            candidates.extend(found)
            # The statistics are the batch's own, like a shadow rule's: its anchors and the buckets they touched.
            anchors = sum(int(row["fresh"]) for row in rows)
            count = sum(1 for row in rows if row["fresh"])
        else:
            summary = store.query(rule.shadow_sql, parameters).to_pylist()[0]
            anchors, count = int(summary["anchors"]), int(summary["candidates"])
        milliseconds = round((time.perf_counter() - began) * 1000)
        stats.append(
            RuleStats(
                rule=rule.name, anchors=anchors, candidates=count, milliseconds=milliseconds, shadow=not rule.alerting
            )
        )
    return EvaluationResult(candidates=candidates, stats=stats)
