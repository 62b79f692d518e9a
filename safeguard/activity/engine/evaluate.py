"""Running compiled rules over a batch of event time: one query per rule, candidates built from its rows with
deterministic uids, so overlapping runs over the same events name the same alerts.

Every candidate describes its whole bucket up to the batch's end: a rule's anchors are taken from the start of the
bucket the batch starts in, so a micro-batch in the middle of a bucket still counts the bucket's earlier anchors
and recording can simply keep the larger values. Evidence is left to collect_evidence (engine/evidence.py), which
the caller runs for the few candidates that are new or grew."""

from __future__ import annotations

import gc
import hashlib
import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring_ascii
from typing import Any, Protocol

import pyarrow as pa
import pyarrow.compute as pc

from safeguard.activity.engine.definitions import CompiledRule, CompiledRuleSet, EvaluationResult, RuleStats
from safeguard.activity.engine.types import AlertCandidate

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Batches up to this long run every rule on one connection of the store (opening one costs about a tenth of a
# second with its cache cold, as much as a rule over five minutes of events). Longer re-runs hold a connection for
# HOLD_SECONDS of rules at a time, then let it go, so pages waiting on the store's lock get in between rules.
HELD_BATCH = timedelta(days=1)
HOLD_SECONDS = 2.0


class EventQueries(Protocol):
    """All evaluation needs of a store (EventStore provides it)."""

    def query(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table: ...


def alert_uid(organization_id: int, rule_name: str, group_key: dict[str, str], bucket_start: datetime) -> str:
    """The definition; evaluation builds the same text faster (group_key_text), which tests hold to this."""
    return _uid(
        f"{organization_id}\x1f{rule_name}\x1f", json.dumps(group_key, sort_keys=True), bucket_start.isoformat()
    )


def _uid(prefix: str, group_text: str, bucket_text: str) -> str:
    return hashlib.sha256(f"{prefix}{group_text}\x1f{bucket_text}".encode()).hexdigest()


def group_key_text(group_key: dict[str, str]) -> str:
    """json.dumps(group_key, sort_keys=True) for string values (the candidates' decoded keys), built from json's
    own string encoder without its per-call cost."""
    items = (f"{encode_basestring_ascii(k)}: {encode_basestring_ascii(v)}" for k, v in sorted(group_key.items()))
    return "{" + ", ".join(items) + "}"


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _utc_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("evaluation bounds must be timezone-aware")
    return moment.astimezone(UTC).isoformat()


def _candidates(rule: CompiledRule, organization_id: int, table: pa.Table) -> list[AlertCandidate]:
    """The rule's rows as candidates. A month's batch can hold a million of them, so the per-row work is kept to
    building the uid and the candidate: each distinct group key and bucket is encoded once."""
    if table.num_rows == 0:
        return []
    names = [name if name not in SURROGATE_NAMES else SURROGATE_NAMES[name] for name in rule.group_by]
    keys = _tuples(table, "k", len(names))
    values = _tuples(table, "g", len(names))
    bucket_us = pc.multiply(table.column("bucket"), rule.suppression_seconds * 1_000_000)
    columns = {
        "bucket": bucket_us.to_pylist(),
        "first": _times(table.column("first_us")),
        "last": _times(table.column("last_us")),
        "anchors": table.column("anchors").to_pylist(),
        "metric": table.column("metric").to_pylist(),
        "sources": table.column("sources").to_pylist(),
        "person": table.column("person_id").to_pylist(),
    }
    prefix = f"{organization_id}\x1f{rule.name}\x1f"
    # Per group: its key, and the start of its uid's text; per bucket: its start and the end of the text.
    group_texts: dict[tuple[Any, ...], tuple[dict[str, str], str]] = {}
    buckets: dict[int, tuple[datetime, str]] = {}
    found: list[AlertCandidate] = []
    append, sha256 = found.append, hashlib.sha256
    rule_name, window_seconds, metric_name = rule.name, rule.window_seconds, rule.metric_name
    rows = zip(
        keys, values, columns["bucket"], columns["first"], columns["last"], columns["anchors"], columns["metric"],
        columns["sources"], columns["person"], strict=True,
    )  # fmt: skip
    for key, value, micros, first, last, anchors, metric, sources, person in rows:
        try:
            group_key, head = group_texts[key]
        except KeyError:
            group_key = {name: part or "" for name, part in zip(names, key, strict=True)}
            head = f"{prefix}{group_key_text(group_key)}\x1f"
            group_texts[key] = (group_key, head)
        try:
            bucket_start, iso = buckets[micros]
        except KeyError:
            bucket_start = from_micros(micros)
            iso = bucket_start.isoformat()
            buckets[micros] = (bucket_start, iso)
        # Positional: keyword arguments cost a fifth of this loop at a million candidates. In field order.
        append(
            AlertCandidate(
                rule_name, sha256(f"{head}{iso}".encode()).hexdigest(), dict(group_key), bucket_start, first, last,
                anchors, window_seconds, metric_name, metric, [], 0, sources or [], person, list(value),
            )
        )  # fmt: skip
    return found


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Building a million candidates (a dict and lists each) sets off full garbage collections over every object
    already built: a third of a month's run of the busiest rule. Candidates hold no reference cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _tuples(table: pa.Table, prefix: str, count: int) -> list[tuple[Any, ...]]:
    """Rows of the columns prefix0..prefix{count-1} as tuples."""
    if count == 0:
        return [()] * table.num_rows
    return list(zip(*(table.column(f"{prefix}{index}").to_pylist() for index in range(count)), strict=True))


def _times(micros: pa.ChunkedArray) -> list[datetime]:
    # In Python, about five times faster than Arrow's conversion to zone-aware datetimes.
    return [from_micros(value) for value in micros.to_pylist()]


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


class _Holding:
    """The store's connection across rules, when the store offers one (DuckDBEventStore.connection: its own
    queries re-use the connection while it is held)."""

    def __init__(self, store: EventQueries, *, bounded: bool) -> None:
        connection = getattr(store, "connection", None)
        self.open: Callable[[], AbstractContextManager[object]] | None = connection if callable(connection) else None
        self.bounded = bounded  # a long run: let the connection go now and then
        self.stack = ExitStack()
        self.since: float | None = None

    def before_rule(self) -> None:
        if self.open is None:
            return
        if self.since is not None and self.bounded and time.perf_counter() - self.since > HOLD_SECONDS:
            self.release()
        if self.since is None:
            self.stack.enter_context(self.open())
            self.since = time.perf_counter()

    def release(self) -> None:
        self.stack.close()
        self.since = None


def evaluate(
    store: EventQueries, compiled: CompiledRuleSet, *, organization_id: int, start: datetime, end: datetime
) -> EvaluationResult:
    """Every rule's query runs on one worker thread, in order, while this thread turns the previous rule's rows
    into candidates: DuckDB works without the interpreter's lock, so a month's run overlaps its two halves. The
    worker takes the store's connection itself: call this without holding it (store.connection()) here."""
    queries = [_query(rule, start, end) for rule in compiled.rules]  # bad bounds fail here, on the caller's thread
    answers: queue.Queue[_Answer | BaseException | None] = queue.Queue(maxsize=2)  # two rules' rows wait at most
    stop = threading.Event()
    worker = threading.Thread(
        target=_query_rules,
        args=(store, queries, end - start > HELD_BATCH, answers, stop),
        name="rule-queries",
        daemon=True,
    )
    worker.start()
    candidates: list[AlertCandidate] = []
    stats: list[RuleStats] = []
    try:
        for rule in compiled.rules:
            answer = answers.get()
            if isinstance(answer, BaseException):
                raise answer
            if answer is None:
                raise RuntimeError("the rule queries ended before the last rule")
            began = time.perf_counter()
            if rule.alerting:
                with _collector_paused():
                    candidates.extend(_candidates(rule, organization_id, answer.table))
                # The statistics are the batch's own, like a shadow rule's: its anchors and the buckets they touched.
                fresh = answer.table.column("fresh")
                anchors = int(pc.sum(fresh).as_py() or 0)
                count = int(pc.sum(pc.greater(fresh, 0)).as_py() or 0)
            else:
                summary = answer.table.to_pylist()[0]
                anchors, count = int(summary["anchors"]), int(summary["candidates"])
            milliseconds = round((answer.seconds + time.perf_counter() - began) * 1000)
            stats.append(
                RuleStats(
                    rule=rule.name,
                    anchors=anchors,
                    candidates=count,
                    milliseconds=milliseconds,
                    shadow=not rule.alerting,
                )
            )
        last = answers.get()  # the worker's end: None, or what letting the store go raised
        if isinstance(last, BaseException):
            raise last
    finally:
        stop.set()
        while worker.is_alive():  # let a worker blocked on a full queue see the stop
            with suppress(queue.Empty):
                answers.get(timeout=0.05)
        worker.join()
    return EvaluationResult(candidates=candidates, stats=stats)


@dataclass
class _Answer:
    table: pa.Table
    seconds: float


def _query(rule: CompiledRule, start: datetime, end: datetime) -> tuple[str, dict[str, str]]:
    # Shadow rules count only the batch's own anchors: their counts are added up run after run.
    since = bucket_floor(start, rule.suppression_seconds) if rule.alerting else start
    parameters = {
        "read_start": _utc_text(since - timedelta(seconds=rule.lookback_seconds)),
        "start": _utc_text(since),
        "since": _utc_text(start),
        "end": _utc_text(end),
    }
    return (rule.sql if rule.alerting else rule.shadow_sql), parameters


def _query_rules(
    store: EventQueries,
    queries: list[tuple[str, dict[str, str]]],
    bounded: bool,
    answers: queue.Queue[_Answer | BaseException | None],
    stop: threading.Event,
) -> None:
    """The worker: each rule's query in order (the store's connection and lock stay on this thread), then None;
    or the error that stopped it. The store is let go on this thread whatever happens: its lock is the thread's."""
    holding = _Holding(store, bounded=bounded)
    failure: BaseException | None = None
    try:
        for sql, parameters in queries:
            if stop.is_set():  # the caller gave up
                break
            holding.before_rule()
            began = time.perf_counter()
            answer = _Answer(store.query(sql, parameters), time.perf_counter() - began)
            if bounded and answers.full():
                holding.release()  # not while the caller is busy: pages may be waiting for the store
            answers.put(answer)
    except BaseException as error:  # noqa: BLE001 - handed to the caller, which raises it
        failure = error
    try:
        holding.release()
    except BaseException as error:  # noqa: BLE001 - as above
        failure = failure or error
    answers.put(failure)
