"""Evidence on demand: the contributing events of chosen candidates only (those about to be raised or that grew),
one query per rule joined to a small table of the wanted (group key, bucket) pairs. Evaluating never builds
evidence: for a month's backfill that was most of the time and memory, for a micro-batch mostly wasted on alerts
that had not changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from safeguard.activity.engine.buckets import WANTED_TABLE
from safeguard.activity.engine.definitions import CompiledRuleSet
from safeguard.activity.engine.evaluate import EPOCH, EventQueries, _utc_text
from safeguard.activity.engine.types import AlertCandidate


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _wanted(candidates: Sequence[AlertCandidate], suppression_seconds: int) -> pa.Table:
    columns: dict[str, list[Any]] = {
        "_i": list(range(len(candidates))),
        "_b": [_micros(c.bucket_start) // (suppression_seconds * 1_000_000) for c in candidates],
        "_first": [_micros(c.first_seen) for c in candidates],
        "_last": [_micros(c.last_seen) for c in candidates],
    }
    for index in range(len(candidates[0].group_values)):
        columns[f"g{index}"] = [c.group_values[index] for c in candidates]
    return pa.table(columns)


@contextmanager
def _connection(store: EventQueries) -> Iterator[duckdb.DuckDBPyConnection]:
    """The store's DuckDB connection: the event store's (under its lock, re-entrant) or a test store's."""
    connection = getattr(store, "connection", None)
    if isinstance(connection, duckdb.DuckDBPyConnection):
        held: Any = nullcontext(connection)
    elif callable(connection):
        held = connection()
    else:
        raise TypeError("collect_evidence needs a store with a DuckDB connection")
    with held as opened:
        yield opened


def collect_evidence(
    store: EventQueries,
    compiled: CompiledRuleSet,
    *,
    organization_id: int,
    start: datetime,
    end: datetime,
    candidates: Sequence[AlertCandidate],
) -> None:
    """Fill evidence_uids ("<source_id>:<event_uid>", oldest first, capped), evidence_count and source_ids of the
    given candidates of evaluate(store, compiled, start=start, end=end), on one connection of the store.
    `organization_id` and `start` are evaluate()'s, taken so both calls read alike."""
    del organization_id  # the store is the organization's; kept so the call reads like evaluate()'s
    by_rule: dict[str, list[AlertCandidate]] = defaultdict(list)
    for candidate in candidates:
        by_rule[candidate.rule_name].append(candidate)
    rules = {rule.name: rule for rule in compiled.rules}
    del start  # the read range comes from the candidates: their first anchors less the rule's lookback
    if not candidates:
        return
    with _connection(store) as connection:
        for name, chosen in by_rule.items():
            rule = rules[name]
            first = min(candidate.first_seen for candidate in chosen)
            last = max(candidate.last_seen for candidate in chosen) + timedelta(microseconds=1)
            parameters = {
                "read_start": _utc_text(first - timedelta(seconds=rule.lookback_seconds)),
                "end": _utc_text(max(end, last)),
            }
            connection.register(WANTED_TABLE, _wanted(chosen, rule.suppression_seconds))
            try:
                rows = connection.sql(rule.evidence_sql, params=parameters).to_arrow_table().to_pylist()
            finally:
                connection.unregister(WANTED_TABLE)
            found = {row["i"]: row for row in rows}
            for index, candidate in enumerate(chosen):
                row = found.get(index)
                candidate.evidence_uids = list(row["uids"]) if row else []
                candidate.evidence_count = int(row["evidence"]) if row else 0
                if row:
                    candidate.source_ids = [int(source) for source in row["sources"]]
