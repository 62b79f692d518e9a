"""The engine against the pure-Python oracle on a generated slice (Appendix C, 100k background events): the same
candidates — uid, anchors, window bounds, metric and evidence — for every Appendix A rule the data exercises."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from bench.activity_generator import generate
from safeguard.activity.engine import RuleDocument, collect_evidence, compile_rules, evaluate
from tests.activity_engine_rules import BUILDING_BLOCKS, ORACLE, SIGMA
from tests.activity_engine_store import EngineTestStore, event, events_table
from tests.activity_oracle import Oracle, enrich

ORG = 7


def sequences() -> pa.Table:
    """Failures then a success for a few users (the generated data has too few at this scale), one at the same
    instant as the last failure and one that straddles a bucket boundary."""
    rows = []
    for index, hour in enumerate((3, 9, 14, 23)):
        user = f"u{index + 1:05d}"
        base = datetime(2024, 1, 10 + index, hour, 57, tzinfo=UTC)
        for step in range(3):
            rows.append(
                event(
                    base + timedelta(minutes=step), uid=f"seq{index}f{step}", user=user, src_ip="10.9.9.9", source_id=2
                )
            )
        success_at = base + timedelta(minutes=2 if index == 1 else 4)
        rows.append(event(success_at, uid=f"seq{index}s", user=user, outcome="success", src_ip="10.9.9.9", source_id=2))
    return events_table(rows)


@pytest.fixture(scope="module")
def generated():
    data = generate(100_000, seed=11, days=30)
    store = EngineTestStore()
    store.append(data.table)
    store.append(sequences())
    store.load_reference(data.reference)
    events = enrich(data.table.to_pylist() + sequences().to_pylist(), data.reference)
    return data, store, Oracle(events, ORACLE)


def engine_candidates(store: EngineTestStore, start: datetime, end: datetime) -> dict[str, dict[str, dict[str, Any]]]:
    documents = [
        RuleDocument(name=name, yaml=text, enabled=name not in BUILDING_BLOCKS) for name, text in SIGMA.items()
    ]
    compiled = compile_rules(documents)
    result = evaluate(store, compiled, organization_id=ORG, start=start, end=end)
    collect_evidence(store, compiled, organization_id=ORG, start=start, end=end, candidates=result.candidates)
    found: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in SIGMA if name not in BUILDING_BLOCKS}
    for candidate in result.candidates:
        found[candidate.rule_name][candidate.uid] = {
            "group_key": candidate.group_key,
            "first_seen": candidate.first_seen,
            "last_seen": candidate.last_seen,
            "anchor_count": candidate.anchor_count,
            "metric_value": candidate.metric_value,
            "evidence_uids": candidate.evidence_uids,
            "evidence_count": candidate.evidence_count,
            "source_ids": candidate.source_ids,
        }
    return found


def test_engine_matches_the_oracle_on_every_rule(generated):
    data, store, oracle = generated
    engine = engine_candidates(store, data.start, data.end)
    for name, found in engine.items():
        expected = oracle.candidates(name, organization_id=ORG, start=data.start, end=data.end)
        assert found == expected, name
    # The injected scenarios are found, so the comparison is not between two empty sets.
    assert len(engine["r01_brute_force"]) >= 1
    assert len(engine["r03_spray"]) >= 1
    assert len(engine["r12_many_patients"]) >= 1
    print({name: len(found) for name, found in engine.items()})
    exercised = (
        "t_fail_and_success",
        "r04_many_ips",
        "r06_after_termination",
        "r07b_failure_then_success",
        "r07c_chain",
        "r16_export_volume",
    )
    assert all(len(engine[name]) > 0 for name in (*exercised, "r17_vip", "r22_after_hours", "r30_outside_network"))
