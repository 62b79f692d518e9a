"""Window and alert semantics on hand-built events, and the metamorphic properties on a generated slice: input
order, batch boundaries, re-runs and user names don't change the alerts; a higher threshold gives a subset."""

from __future__ import annotations

import importlib
import json
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pyarrow as pa
import pytest

from bench.activity_generator import generate
from safeguard.activity.engine import RuleDocument, collect_evidence, compile_rules, evaluate
from safeguard.activity.engine.evaluate import alert_uid, group_key_text
from tests.activity_engine_rules import BUILDING_BLOCKS, SIGMA
from tests.activity_engine_store import EngineTestStore, at, event, events_table

# The module, not the function the engine package exports under the same name.
engine_evaluate = importlib.import_module("safeguard.activity.engine.evaluate")
FAILURE = SIGMA["auth_failure"]
SUCCESS = SIGMA["auth_success"]
BRUTE = SIGMA["r01_brute_force"]
ORDERED = SIGMA["r07_success_after_failures"]


def run(rows, documents):
    start, end = at(0), at(23, day=2)
    store = EngineTestStore()
    store.append(events_table(rows))
    compiled = compile_rules(documents)
    result = evaluate(store, compiled, organization_id=1, start=start, end=end)
    collect_evidence(store, compiled, organization_id=1, start=start, end=end, candidates=result.candidates)
    return result


def blocks(*names):
    return [RuleDocument(name=name, yaml=SIGMA[name], enabled=False) for name in names]


def test_ties_count_every_event_at_the_same_instant():
    rows = [event(at(10), uid=f"t{i}") for i in range(4)] + [event(at(10, 0, 1), uid="late")]
    result = run(
        rows, [*blocks("auth_failure"), RuleDocument(name="r01_brute_force", yaml=BRUTE, overrides={"threshold": 4})]
    )
    (candidate,) = result.candidates
    # The four simultaneous failures each see all four (RANGE frames include peers), the fifth sees five.
    assert candidate.anchor_count == 5
    assert candidate.metric_value == 5.0
    assert candidate.first_seen == at(10) and candidate.last_seen == at(10, 0, 1)


def test_window_is_inclusive_of_its_start_and_slides():
    rows = [event(at(10, minute), uid=f"w{minute}") for minute in (0, 2, 4, 6, 8, 10, 21)]
    result = run(rows, [*blocks("auth_failure"), RuleDocument(name="r01_brute_force", yaml=BRUTE)])
    # At 10:08 five events fall in [09:58, 10:08]; at 10:10 six in [10:00, 10:10] (10:00 is included), in the
    # next ten-minute bucket; 10:21 sees one.
    first, second = result.candidates
    assert (first.bucket_start, first.anchor_count, first.metric_value) == (at(10), 1, 5.0)
    assert first.evidence_uids == ["1:w0", "1:w2", "1:w4", "1:w6", "1:w8"]
    assert (second.bucket_start, second.anchor_count, second.metric_value) == (at(10, 10), 1, 6.0)
    assert second.evidence_uids == ["1:w0", "1:w2", "1:w4", "1:w6", "1:w8", "1:w10"]


def test_distinct_values_straddling_a_window_bucket_boundary_are_counted():
    # r03 spray: ten distinct users from one IP in 10 minutes. The windows are 10 minutes, so the engine first
    # counts per 10-minute bucket and runs the window only where two adjacent buckets could reach ten: here six
    # users fall in [10:00, 10:10) and four in [10:10, 10:20), the last exactly ten minutes after the first.
    minutes = [0, 1, 2, 3, 4, 5, 10, 10, 10, 10]
    rows = [
        event(at(10, minute), uid=f"s{index}", user=f"user{index}", src_ip="203.0.113.9")
        for index, minute in enumerate(minutes)
    ]
    # Another IP with nine users over the same minutes never reaches ten: no candidate.
    rows += [
        event(at(10, minute), uid=f"o{index}", user=f"other{index}", src_ip="203.0.113.10")
        for index, minute in enumerate(minutes[:9])
    ]
    result = run(rows, [*blocks("auth_failure"), RuleDocument(name="r03_spray", yaml=SIGMA["r03_spray"])])
    (candidate,) = result.candidates
    assert candidate.group_key == {"src_ip": "203.0.113.9"}
    # The four simultaneous events at 10:10 each see all ten users in [10:00, 10:10].
    assert (candidate.bucket_start, candidate.anchor_count, candidate.metric_value) == (at(10, 10), 4, 10.0)
    assert len(candidate.evidence_uids) == 10


def test_ordered_burst_straddling_a_bucket_boundary_alerts_once():
    """Failures 10:07–10:11 then a success at 10:12: the bucket is the completing event's (10:10–10:20)."""
    rows = [event(at(10, 7 + i), uid=f"f{i}") for i in range(5)]
    rows.append(event(at(10, 12), uid="ok", outcome="success"))
    result = run(
        rows,
        [
            *blocks("auth_failure", "auth_success", "r01_brute_force"),
            RuleDocument(name="r07_success_after_failures", yaml=ORDERED),
        ],
    )
    (candidate,) = result.candidates
    assert candidate.bucket_start == at(10, 10)
    assert candidate.first_seen == candidate.last_seen == at(10, 12)
    assert candidate.evidence_uids == ["1:f0", "1:f1", "1:f2", "1:f3", "1:f4", "1:ok"]


def test_success_before_the_failures_is_not_a_sequence():
    rows = [event(at(10, 0), uid="ok", outcome="success")] + [event(at(10, 1 + i), uid=f"f{i}") for i in range(5)]
    result = run(
        rows,
        [
            *blocks("auth_failure", "auth_success", "r01_brute_force"),
            RuleDocument(name="r07_success_after_failures", yaml=ORDERED),
        ],
    )
    assert result.candidates == []


def test_shadow_rules_count_but_raise_nothing_and_filters_exclude():
    rows = [event(at(10, i), uid=f"s{i}", user="svc-backup" if i % 2 else "alice") for i in range(10)]
    service_filter = (
        "title: ignore backups\nname: ignore_backups\nlogsource: {product: hipaa_platform, category: authentication}\n"
        "filter:\n  rules: [auth_failure]\n  selection: {user_name|startswith: svc-}\n  condition: selection\n"
    )
    shadow = run(rows, [*blocks("auth_failure"), RuleDocument(name="r01_brute_force", yaml=BRUTE, alerting=False)])
    assert shadow.candidates == []
    assert [(s.rule, s.anchors, s.candidates, s.shadow) for s in shadow.stats] == [("r01_brute_force", 2, 2, True)]
    filtered = run(
        rows,
        [
            *blocks("auth_failure"),
            RuleDocument(name="ignore_backups", yaml=service_filter),
            RuleDocument(name="r01_brute_force", yaml=BRUTE),
        ],
    )
    assert [c.group_key for c in filtered.candidates] == [{"user_name": "alice"}]


@pytest.fixture(scope="module")
def slice_table():
    return generate(30_000, seed=3, days=2).table


def documents(threshold=None):
    found = []
    for name, text in SIGMA.items():
        overrides = {"threshold": threshold} if threshold and name in ("r01_brute_force", "r12_many_patients") else {}
        found.append(RuleDocument(name=name, yaml=text, enabled=name not in BUILDING_BLOCKS, overrides=overrides))
    return compile_rules(found)


def candidates(table, *, start, end, compiled=None, batches=1):
    store = EngineTestStore()
    store.append(table)
    compiled = compiled or documents()
    found = []
    step = (end - start) / batches
    for index in range(batches):
        batch_start, batch_end = start + step * index, start + step * (index + 1)
        result = evaluate(store, compiled, organization_id=1, start=batch_start, end=batch_end)
        collect_evidence(
            store, compiled, organization_id=1, start=batch_start, end=batch_end, candidates=result.candidates
        )
        found += result.candidates
    return found


def merged(found):
    """What alert recording keeps per uid: each candidate describes its whole bucket so far, so the larger values."""
    alerts: dict[str, tuple[Any, ...]] = {}
    for c in found:
        first, last, anchors, metric, evidence = alerts.get(c.uid, (c.first_seen, c.last_seen, 0, c.metric_value, 0))
        alerts[c.uid] = (
            min(first, c.first_seen),
            max(last, c.last_seen),
            max(anchors, c.anchor_count),
            max(metric, c.metric_value) if metric is not None else None,
            max(evidence, c.evidence_count),
        )
    return alerts


def test_order_batches_reruns_and_names_do_not_change_alerts(slice_table):
    start, end = at(0), at(0, day=3)
    once = candidates(slice_table, start=start, end=end)
    assert len(once) > 100
    shuffled = slice_table.take(pa.array(list(reversed(range(slice_table.num_rows)))))
    assert merged(candidates(shuffled, start=start, end=end)) == merged(once)
    # 37 micro-batches at boundaries that cut through windows and buckets (one every 77m 50s).
    assert merged(candidates(slice_table, start=start, end=end, batches=37)) == merged(once)
    assert candidates(slice_table, start=start, end=end) == once
    renamed = slice_table.set_column(
        slice_table.schema.get_field_index("user_name"),
        "user_name",
        pa.array([f"X{name}" if name else name for name in slice_table.column("user_name").to_pylist()]),
    )

    def shape(found):
        return sorted((c.rule_name, c.bucket_start, c.anchor_count, c.evidence_uids) for c in found)

    assert shape(candidates(renamed, start=start, end=end)) == shape(once)


def test_raising_a_threshold_gives_a_subset(slice_table):
    start, end = at(0), at(0, day=3)

    def anchors(threshold):
        found = candidates(slice_table, start=start, end=end, compiled=documents(threshold))
        return {(c.rule_name, c.uid) for c in found if c.rule_name in ("r01_brute_force", "r12_many_patients")}

    low, high = anchors(3), anchors(12)
    assert high < low


@pytest.mark.parametrize(
    "group_key",
    [{"user_name": "alice"}, {"src_ip": "", "user_name": 'é"\\\n\u2028😀'}, {"b": "1", "a": "2"}, {}],
)
def test_alert_uid_group_text_is_json_dumps_with_sorted_keys(group_key):
    # Alert uids must never change between releases (a re-run would duplicate every alert): the fast encoder has
    # to write exactly what json.dumps(sort_keys=True) writes.
    assert group_key_text(group_key) == json.dumps(group_key, sort_keys=True)


class CountingStore:
    """An engine store that counts how often evaluation takes its connection (and so the store's lock)."""

    def __init__(self) -> None:
        self.inner = EngineTestStore()
        self.taken = 0

    def query(self, sql, parameters=None):
        return self.inner.query(sql, parameters)

    @contextmanager
    def connection(self):
        self.taken += 1
        self.open = getattr(self, "open", 0) + 1
        try:
            yield self.inner.connection
        finally:
            self.open -= 1


@pytest.mark.parametrize(
    ("days", "hold_seconds", "taken"),
    [(1, 2.0, 1), (30, 60.0, 1), (30, 0.0, 3)],
    ids=["a micro-batch holds it throughout", "a long run holds it for a while", "then lets it go between rules"],
)
def test_a_long_evaluation_lets_the_store_go_between_rules(monkeypatch, days, hold_seconds, taken):
    monkeypatch.setattr(engine_evaluate, "HOLD_SECONDS", hold_seconds)
    store = CountingStore()
    names = ("r01_brute_force", "r02_failures_per_ip", "r03_spray")
    compiled = compile_rules([*blocks("auth_failure"), *(RuleDocument(name=name, yaml=SIGMA[name]) for name in names)])
    evaluate(store, compiled, organization_id=1, start=at(0), end=at(0) + timedelta(days=days))
    assert store.taken == taken


class FailingStore(CountingStore):
    """Its second query fails, as a store gone wrong part-way would."""

    def query(self, sql, parameters=None):
        self.queries = getattr(self, "queries", 0) + 1
        if self.queries == 2:
            raise RuntimeError("the store broke")
        return super().query(sql, parameters)


def test_a_query_failing_part_way_fails_the_evaluation_and_lets_the_store_go():
    store = FailingStore()
    names = ("r01_brute_force", "r02_failures_per_ip", "r03_spray")
    compiled = compile_rules([*blocks("auth_failure"), *(RuleDocument(name=name, yaml=SIGMA[name]) for name in names)])
    with pytest.raises(RuntimeError, match="the store broke"):
        evaluate(store, compiled, organization_id=1, start=at(0), end=at(1))
    assert store.queries == 2
    assert not any(thread.name == "rule-queries" for thread in threading.enumerate())


def test_naive_bounds_are_refused_at_once_on_the_callers_thread():
    compiled = compile_rules([*blocks("auth_failure"), RuleDocument(name="r01_brute_force", yaml=BRUTE)])
    with pytest.raises((TypeError, ValueError)):
        evaluate(EngineTestStore(), compiled, organization_id=1, start=at(10).replace(tzinfo=None), end=at(11))
    assert not any(thread.name == "rule-queries" for thread in threading.enumerate())


def test_candidate_uids_are_the_alert_uid_definition(slice_table):
    found = candidates(slice_table, start=at(0), end=at(0, day=3))
    assert len(found) > 100
    assert all(c.uid == alert_uid(1, c.rule_name, c.group_key, c.bucket_start) for c in found)


class SlowSecondStore(CountingStore):
    """Its second query returns only once the caller has failed, and a moment later (the caller has then asked the
    worker to stop)."""

    def __init__(self) -> None:
        super().__init__()
        self.caller_failed = threading.Event()
        self.queries = 0

    def query(self, sql, parameters=None):
        self.queries += 1
        if self.queries == 2:
            self.caller_failed.wait(timeout=10)
            time.sleep(0.2)
        return super().query(sql, parameters)


def test_a_caller_failing_part_way_stops_the_queries_and_the_store_is_let_go(monkeypatch):
    store = SlowSecondStore()

    def broken(*args):
        store.caller_failed.set()
        raise RuntimeError("building candidates broke")

    monkeypatch.setattr(engine_evaluate, "_candidates", broken)
    names = ("r01_brute_force", "r02_failures_per_ip", "r03_spray")
    compiled = compile_rules([*blocks("auth_failure"), *(RuleDocument(name=name, yaml=SIGMA[name]) for name in names)])
    with pytest.raises(RuntimeError, match="building candidates broke"):
        evaluate(store, compiled, organization_id=1, start=at(0), end=at(1))
    # The third rule never ran, and the connection was let go by the worker that took it.
    assert (store.queries, store.taken, store.open) == (2, 1, 0)
    assert not any(thread.name == "rule-queries" for thread in threading.enumerate())
