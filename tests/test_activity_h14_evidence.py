"""Evidence on demand and whole buckets: overlapping micro-batches record the same alert as one run over their
union, a run in the middle of a bucket counts the bucket's earlier anchors, only new or grown candidates get
evidence, and evidence names its source so an alert never shows another source's event with the same uid."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from safeguard.activity.engine import RuleDocument, collect_evidence, compile_rules, evaluate
from safeguard.activity.models import Alert, DetectionRule
from safeguard.activity.services.alert_recording import candidates_to_record, record_candidates
from tests.activity_engine_rules import SIGMA
from tests.activity_engine_store import EngineTestStore, at, event, events_table
from tests.activity_factories import make_rule, make_source
from tests.test_activity_store_support import append, temp_store
from tests.test_activity_store_support import event as stored_event

ALERT_FIELDS = ("first_seen", "last_seen", "anchor_count", "metric_value", "evidence_uids", "evidence_count")
# Failures every two minutes from 10:00 to 10:18 (two ten-minute buckets), then 10:21 and 10:22.
MINUTES = (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 21, 22)


def failures(source_id: int) -> EngineTestStore:
    found = EngineTestStore()
    found.append(events_table([event(at(10, minute), uid=f"f{minute}", source_id=source_id) for minute in MINUTES]))
    return found


@pytest.fixture
def store(db, cast) -> EngineTestStore:
    return failures(make_source(cast.org).pk)


def uids(source_id: int, minutes: tuple[int, ...]) -> list[str]:
    return [f"{source_id}:f{minute}" for minute in minutes]


def compiled_rules(threshold: int = 3) -> Any:
    return compile_rules(
        [
            RuleDocument(name="auth_failure", yaml=SIGMA["auth_failure"], enabled=False),
            RuleDocument(name="r01_brute_force", yaml=SIGMA["r01_brute_force"], overrides={"threshold": threshold}),
        ]
    )


def record_batch(store: EngineTestStore, organization: Any, rules: dict[str, DetectionRule], start, end) -> int:
    """What an evaluation run does: evaluate, choose, collect evidence for the chosen, record; evidence count."""
    compiled = compiled_rules()
    found = evaluate(store, compiled, organization_id=organization.pk, start=start, end=end).candidates
    chosen, wanted = candidates_to_record(organization, found, rules=rules)
    collect_evidence(store, compiled, organization_id=organization.pk, start=start, end=end, candidates=wanted)
    record_candidates(organization, chosen, rules=rules)
    return len(wanted)


def alerts(organization: Any) -> dict[datetime, tuple[Any, ...]]:
    return {
        alert.bucket_start: tuple(getattr(alert, name) for name in ALERT_FIELDS)
        for alert in Alert.objects.filter(organization=organization)
    }


def brute_force_rule(organization: Any) -> dict[str, DetectionRule]:
    return {"r01_brute_force": make_rule(organization, "r01_brute_force", kind=DetectionRule.Kind.CORRELATION)}


@pytest.mark.django_db
def test_overlapping_micro_batches_record_what_one_run_over_their_union_records(cast, store):
    rules = brute_force_rule(cast.org)
    # Cuts through the 10:00 bucket and its windows; the second batch overlaps the first by four minutes.
    record_batch(store, cast.org, rules, at(9, 55), at(10, 7))
    record_batch(store, cast.org, rules, at(10, 3), at(10, 15))
    record_batch(store, cast.org, rules, at(10, 13), at(10, 30))
    union_rules = brute_force_rule(cast.other_org)
    record_batch(store, cast.other_org, union_rules, at(9, 55), at(10, 30))
    batched, union = alerts(cast.org), alerts(cast.other_org)
    assert batched == union
    # By hand (threshold 3 in ten minutes): anchors 10:04–10:08 in the 10:00 bucket, 10:10–10:18 in the 10:10
    # one (10:18 sees 10:08–10:18: six), 10:21 and 10:22 in the 10:20 one. Evidence: the failures from the
    # first anchor less ten minutes to the last anchor.
    source = Alert.objects.filter(organization=cast.org).values_list("source_id", flat=True).first()
    assert source is not None
    assert union == {
        at(10): (at(10, 4), at(10, 8), 3, 5.0, uids(source, (0, 2, 4, 6, 8)), 5),
        at(10, 10): (at(10, 10), at(10, 18), 5, 6.0, uids(source, MINUTES[:10]), 10),
        at(10, 20): (at(10, 21), at(10, 22), 2, 6.0, uids(source, (12, 14, 16, 18, 21, 22)), 6),
    }


def test_a_run_in_the_middle_of_a_bucket_counts_the_bucket_s_earlier_anchors():
    store = failures(3)
    compiled = compiled_rules()
    (candidate,) = evaluate(store, compiled, organization_id=1, start=at(10, 15), end=at(10, 17)).candidates
    # The 10:10 bucket's anchors before 10:15 (10:10, 10:12, 10:14) count with 10:16.
    assert (candidate.bucket_start, candidate.first_seen, candidate.last_seen) == (at(10, 10), at(10, 10), at(10, 16))
    assert candidate.anchor_count == 4
    assert candidate.evidence_uids == []  # evaluation builds no evidence
    collect_evidence(store, compiled, organization_id=1, start=at(10, 15), end=at(10, 17), candidates=[candidate])
    assert candidate.evidence_uids == uids(3, (0, 2, 4, 6, 8, 10, 12, 14, 16))
    assert (candidate.evidence_count, candidate.source_ids) == (9, [3])


@pytest.mark.django_db
def test_only_new_or_grown_candidates_get_evidence(cast, store):
    rules = brute_force_rule(cast.org)
    assert record_batch(store, cast.org, rules, at(10), at(10, 15)) == 2
    # Same range again: both buckets are recorded as they stand.
    assert record_batch(store, cast.org, rules, at(10), at(10, 15)) == 0
    # Later: the 10:10 bucket grew (10:16, 10:18), the 10:20 one is new; the 10:00 one is not read again.
    compiled = compiled_rules()
    found = evaluate(store, compiled, organization_id=cast.org.pk, start=at(10, 15), end=at(10, 30)).candidates
    chosen, wanted = candidates_to_record(cast.org, found, rules=rules)
    assert [c.bucket_start for c in found] == [at(10, 10), at(10, 20)]
    assert [c.bucket_start for c in wanted] == [at(10, 10), at(10, 20)]
    # Re-run from the start: the 10:00 bucket is recorded as it stands and gets no evidence.
    found = evaluate(store, compiled, organization_id=cast.org.pk, start=at(10), end=at(10, 30)).candidates
    chosen, wanted = candidates_to_record(cast.org, found, rules=rules)
    assert [c.bucket_start for c in wanted] == [at(10, 10), at(10, 20)]


@pytest.mark.django_db
def test_a_suppressed_new_candidate_is_recorded_as_suppressed_without_evidence(cast, store):
    from safeguard.activity.models import Suppression

    rules = brute_force_rule(cast.org)
    Suppression.objects.create(
        organization=cast.org,
        rule=rules["r01_brute_force"],
        group_text="",
        starts_at=at(0),
        reason="test",
        created_by=cast.owner,
    )
    compiled = compiled_rules()
    found = evaluate(store, compiled, organization_id=cast.org.pk, start=at(10), end=at(10, 30)).candidates
    chosen, wanted = candidates_to_record(cast.org, found, rules=rules)
    assert (len(chosen), wanted) == (3, [])
    assert record_candidates(cast.org, chosen, rules=rules).suppressed == 3


def test_evidence_shows_only_its_own_source_s_event(tmp_path: Path):
    events = temp_store(tmp_path)
    append(events, [stored_event("dup-1", "2024-01-02 10:00", user_name="alice")], source_id=1, batch_id=1)
    append(events, [stored_event("dup-1", "2024-01-02 11:00", user_name="bob")], source_id=2, batch_id=2)
    (row,) = events.events(["2:dup-1"])
    assert (row["source_id"], row["user_name"]) == (2, "bob")
    exported = b"".join(events.export(["1:dup-1"]))
    assert exported.count(b"\n") == 1 and b'"user_name":"alice"' in exported
    # A bare uid (alerts recorded before evidence named its source) still finds it, in every source.
    assert [row["source_id"] for row in events.events(["dup-1"])] == [1, 2]
