"""Re-rating without an assessment: carrying the open risks into a new analysis, and changing the organization's
method for risks recorded between analyses. The risks are locked first, and every risk whose rating changes gets a
"risk.rerated" audit event naming the fields and why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection
from django.db.models import QuerySet
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Risk
from safeguard.risk.services.analyses import analysis_approve, analysis_submit
from safeguard.risk.services.library import library_seed
from safeguard.risk.services.method import ANALYSIS_STARTED, METHOD_CHANGED, method_for, method_update
from tests.conftest import Cast
from tests.test_risk_analysis_support import actor, approved, record, start


def rerated(risk: Risk) -> list[dict[str, list[object]]]:
    events = AuditEvent.objects.filter(action="risk.rerated", object_id=str(risk.public_id)).order_by("sequence")
    return [event.changes for event in events]


@pytest.fixture
def risk_fetches(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether each query that loads risks locked them (select_for_update)."""
    seen: list[bool] = []
    original = QuerySet._fetch_all

    def spy(self: QuerySet) -> None:
        if self.model is Risk and self._result_cache is None:
            seen.append(bool(self.query.select_for_update))
        original(self)

    monkeypatch.setattr(QuerySet, "_fetch_all", spy)
    yield seen


# --- carried into a new analysis ----------------------------------------------------------------------------------


def test_a_rating_cleared_by_the_new_analysis_method_is_audited_on_the_risk(cast: Cast) -> None:
    carried = Risk.objects.get(analysis=approved(cast, "2025 analysis"))  # 3 × 4 on the 5×5 scales: high
    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")

    second = start(cast, "2026 analysis")

    [changes] = rerated(carried)
    assert changes["reason"] == [None, ANALYSIS_STARTED]
    assert changes["likelihood"] == [3, None] and changes["impact"] == [4, None]
    assert changes["inherent_score"] == [12, None] and changes["inherent_level"] == ["high", ""]
    carried.refresh_from_db()
    assert (carried.analysis, carried.likelihood, carried.impact) == (second, None, None)


def test_carrying_a_risk_whose_rating_holds_writes_no_rerated_event(cast: Cast) -> None:
    carried = Risk.objects.get(analysis=approved(cast, "2025 analysis"))

    start(cast, "2026 analysis")

    assert rerated(carried) == []
    carried.refresh_from_db()
    assert (carried.likelihood, carried.impact, carried.inherent_level) == (3, 4, "high")


def test_new_thresholds_move_a_carried_risk_to_another_level_and_say_so(cast: Cast) -> None:
    carried = Risk.objects.get(analysis=approved(cast, "2025 analysis"))
    thresholds = [dict(threshold) for threshold in method_for(cast.org).thresholds]
    thresholds[-1]["min_score"] = 12  # score 12 now reaches the top level
    method_update(organization=cast.org, actor=actor(cast.owner), thresholds=thresholds)

    start(cast, "2026 analysis")

    [changes] = rerated(carried)
    assert changes["inherent_level"] == ["high", "critical"]
    assert "likelihood" not in changes and "inherent_score" not in changes


def test_starting_an_analysis_locks_the_risks_it_carries(cast: Cast, risk_fetches: list[bool]) -> None:
    approved(cast, "2025 analysis")
    risk_fetches.clear()

    start(cast, "2026 analysis")

    assert risk_fetches and all(risk_fetches)


def test_carrying_risks_whose_rating_holds_costs_the_same_queries_however_many(cast: Cast) -> None:
    library_seed(organization=cast.org, actor=actor(cast.owner))
    for index in range(3):
        record(cast, None, f"Between {index}", likelihood=1, impact=1)
    with CaptureQueriesContext(connection) as few:
        first = start(cast, "2025 analysis")
    analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=first)
    analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=first, statement="I approve.")
    for index in range(3, 30):
        record(cast, None, f"Between {index}", likelihood=1, impact=1)

    with CaptureQueriesContext(connection) as many:
        second = start(cast, "2026 analysis")

    assert Risk.objects.filter(analysis=second).count() == 30
    assert len(many) == len(few)
    assert not AuditEvent.objects.filter(action="risk.rerated").exists()


# --- the organization's method changes ----------------------------------------------------------------------------


def test_a_method_change_audits_each_unanalysed_risk_it_rerates(cast: Cast) -> None:
    in_analysis = record(cast, start(cast), "In the analysis", likelihood=4, impact=5)
    cleared = record(cast, None, "Off the new scale", likelihood=4, impact=5)
    kept = record(cast, None, "Still on it", likelihood=1, impact=1)

    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")

    [changes] = rerated(cleared)
    assert changes["reason"] == [None, METHOD_CHANGED]
    assert changes["likelihood"] == [4, None] and changes["impact"] == [5, None]
    assert changes["inherent_level"] == ["critical", ""]
    assert rerated(kept) == [] and rerated(in_analysis) == []
    cleared.refresh_from_db()
    in_analysis.refresh_from_db()
    assert (cleared.likelihood, cleared.inherent_score) == (None, None)
    assert (in_analysis.likelihood, in_analysis.inherent_level) == (4, "critical")


def test_a_method_change_that_moves_no_rating_writes_no_rerated_event(cast: Cast) -> None:
    risk = record(cast, None, likelihood=2, impact=2)

    method_update(organization=cast.org, actor=actor(cast.owner), methodology="Interviews and scans.")

    assert rerated(risk) == []
    assert AuditEvent.objects.filter(action="risk.method.updated").count() == 1


def test_a_method_change_locks_the_risks_it_rerates(cast: Cast, risk_fetches: list[bool]) -> None:
    record(cast, None, likelihood=4, impact=5)
    risk_fetches.clear()

    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")

    assert risk_fetches and all(risk_fetches)


def test_a_refused_method_change_rerates_nothing(cast: Cast) -> None:
    risk = record(cast, None, likelihood=4, impact=5)
    with pytest.raises(ServiceError, match="thresholds"):
        method_update(organization=cast.org, actor=actor(cast.owner), thresholds=[])

    risk.refresh_from_db()
    assert (risk.likelihood, risk.inherent_level) == (4, "critical")
    assert rerated(risk) == []
