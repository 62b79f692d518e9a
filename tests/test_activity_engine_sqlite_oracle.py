"""The engine's correlation anchors against pysigma-backend-sqlite's on the same events and the same Appendix A
Sigma rules: for each rule, the set of (group, anchor time) must be identical. The slice is 40k generated events
over two days (every injected scenario once) plus hand-made groups for the rules the slice leaves empty, with
events at the same instant (ties) and exactly one window apart (the inclusive bound)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from bench.activity_generator import generate
from safeguard.activity.engine.buckets import DICTIONARIES, group_columns, rule_fields
from safeguard.activity.engine.compiler import build_graph
from safeguard.activity.engine.correlation import CteBuilder
from safeguard.activity.engine.sigma_rules import SigmaDocument, read_documents
from safeguard.activity.engine.view import enriched_events_sql
from tests.activity_engine_store import EngineTestStore, event, events_table
from tests.activity_sqlite_oracle import Anchor, SqliteOracle, rules_by_name

RULES = rules_by_name((Path(__file__).resolve().parent.parent / "bench/activity_rules/appendix_a.yml").read_text())
DAY = datetime(2024, 1, 2, tzinfo=UTC)


def _failures(user: str, at: datetime, seconds: list[int], *, ip: str = "10.1.1.1") -> list[dict[str, Any]]:
    return [
        event(at + timedelta(seconds=s), uid=f"{user}-f{n}", user=user, src_ip=ip, source_id=2)
        for n, s in enumerate(seconds)
    ]


def hand_made() -> pa.Table:
    rows: list[dict[str, Any]] = []
    # Brute force with ties: five failures, two pairs at the same instant, then a success at the last one's instant.
    start = DAY.replace(hour=3)
    rows += _failures("tiesam", start, [0, 60, 60, 300, 300, 600])
    rows.append(event(start + timedelta(seconds=600), uid="tiesam-s", user="tiesam", outcome="success", source_id=2))
    # Failures exactly ten minutes apart (inclusive bound), then a success a minute later.
    start = DAY.replace(hour=5)
    rows += _failures("edgeeve", start, [0, 150, 300, 450, 600, 600])
    rows.append(event(start + timedelta(seconds=660), uid="edgeeve-s", user="edgeeve", outcome="success", source_id=2))
    # A success more than ten minutes after the burst: no ordered anchor.
    start = DAY.replace(hour=7)
    rows += _failures("lateleo", start, [0, 10, 20, 30, 40])
    rows.append(event(start + timedelta(seconds=700), uid="lateleo-s", user="lateleo", outcome="success", source_id=2))
    # One user succeeding from five addresses within the hour (R04), two of them at the same instant.
    start = DAY.replace(hour=9)
    for n, (minute, ip) in enumerate(
        [(0, "10.5.0.1"), (20, "10.5.0.2"), (40, "10.5.0.3"), (40, "10.5.0.4"), (60, "10.5.0.5")]
    ):
        at = start + timedelta(minutes=minute)
        rows.append(event(at, uid=f"roam{n}", user="roamrae", outcome="success", src_ip=ip, source_id=2))
    # Exports adding up to 50 records in a day (R16), the last two at one instant.
    start = DAY.replace(hour=11)
    for n, (hour, records) in enumerate([(0, 20), (5, 20), (9, 5), (9, 5), (12, 30)]):
        rows.append(
            event(
                start + timedelta(hours=hour),
                uid=f"export{n}",
                user="exportem",
                event_class="record_access",
                activity="export",
                outcome="success",
                patient_id=f"P9{n:05d}",
                record_count=records,
                source_id=1,
            )
        )
    # Ten users on one workstation within the hour (R25).
    start = DAY.replace(hour=13)
    for n in range(12):
        rows.append(
            event(
                start + timedelta(minutes=5 * n),
                uid=f"shared{n}",
                user=f"nurse{n % 11:02d}",
                event_class="record_access",
                activity="read",
                outcome="success",
                patient_id="P900100",
                src_host="WS-SHARED",
                source_id=1,
            )
        )
    return events_table(rows)


@pytest.fixture(scope="module")
def slice_and_stores() -> tuple[EngineTestStore, SqliteOracle, datetime, datetime]:
    data = generate(40_000, seed=3, days=2)
    table = pa.concat_tables([data.table, hand_made()])
    store = EngineTestStore()
    store.append(table)
    store.load_reference(data.reference)
    return store, SqliteOracle(table), data.start, data.end


def engine_anchors(store: EngineTestStore, name: str, start: datetime, end: datetime) -> set[Anchor]:
    """The anchors the engine's candidate query buckets: the rule's CTE, read before bucketing."""
    entries: list[tuple[str, SigmaDocument, dict[str, Any]]] = [
        (rule, read_documents(text)[0][0], {}) for rule, text in RULES.items()
    ]
    nodes, problems = build_graph(entries)
    assert problems == []
    node = nodes[name]
    builder = CteBuilder()
    anchors = builder.add(node)
    group = group_columns(node)
    ctes = [("ev", enriched_events_sql(rule_fields(node))), *builder.ctes]
    sql = (
        "WITH "
        + ", ".join(f"{cte} AS ({body})" for cte, body in ctes)
        + f" SELECT DISTINCT {', '.join(group)}, epoch_us(time) AS t FROM {anchors} "
        "WHERE time >= CAST($start AS TIMESTAMPTZ)"
    )
    parameters = {
        "read_start": (start - timedelta(seconds=node.span_seconds)).isoformat(),
        "start": start.isoformat(),
        "end": end.isoformat(),
    }
    decoded = {column: {v: k for k, v in store.ids(DICTIONARIES[column]).items()} for column in group}
    found: set[Anchor] = set()
    for row in store.query(sql, parameters).to_pylist():
        values = tuple(str(decoded[column][row[column]]) for column in group)
        found.add((values, row["t"]))
    return found


@pytest.mark.parametrize(
    ("rule", "at_least"),
    [
        ("r01_brute_force_user", 30),  # the injected burst and the hand-made ones
        ("r02_brute_force_ip", 20),
        ("r03_spray", 25),
        ("r04_many_ips", 2),
        ("r12_mass_viewing", 250),
        ("r16_export_volume", 2),
        ("r25_shared_workstation", 2),
        ("r07_success_after_failures", 2),
    ],
)
def test_engine_anchors_equal_pysigma_sqlite(slice_and_stores, rule, at_least):
    store, oracle, start, end = slice_and_stores
    ours = engine_anchors(store, rule, start, end)
    theirs = oracle.anchors(rule, RULES)
    assert ours == theirs
    assert len(ours) >= at_least


def _times(store: EngineTestStore, rule: str, key: str, start: datetime, end: datetime) -> list[int]:
    return sorted(t for values, t in engine_anchors(store, rule, start, end) if values == (key,))


def _at(hour: int, seconds: int) -> int:
    return int((DAY.replace(hour=hour) + timedelta(seconds=seconds)).timestamp() * 1_000_000)


def test_hand_made_groups_anchor_where_the_rules_say(slice_and_stores):
    """Hand-computed anchors, so the comparison above is not between two copies of one mistake."""
    store, _, start, end = slice_and_stores
    ordered = {values for values, _ in engine_anchors(store, "r07_success_after_failures", start, end)}
    assert ("tiesam",) in ordered and ("edgeeve",) in ordered
    assert ("lateleo",) not in ordered
    # Five failures by 300 s counting both ties (one anchor instant); at 600 s the window [0, 600] holds all six.
    assert _times(store, "r01_brute_force_user", "tiesam", start, end) == [_at(3, 300), _at(3, 600)]
    # At 600 s the window [0, 600] holds all six failures (the bound is inclusive).
    assert _times(store, "r01_brute_force_user", "edgeeve", start, end) == [_at(5, 600)]
    # 20+20+5+5 = 50 at 20:00 (both tied rows, one instant), then 80 at 23:00.
    assert _times(store, "r16_export_volume", "exportem", start, end) == [_at(11, 9 * 3600), _at(11, 12 * 3600)]
