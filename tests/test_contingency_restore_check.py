"""164.308(a)(7)(ii)(D): passed restore tests within the period for tier 1–2 assets, an exercise in the last 12
months, and plan revisions after exercises that found something."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.contingency.checks_testing import restore_tests_and_exercises
from safeguard.contingency.models import ContingencyPlan, PlanVersion
from safeguard.contingency.services.plans import plan_version_approve
from safeguard.core.audit import Actor
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from tests.contingency_plan_factories import complete_draft
from tests.contingency_restore_factories import action, asset_with_objectives, exercise, stored_test
from tests.risk_factories import at

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def _revision(cast, caused_by, *, on: date, approve: bool = True) -> PlanVersion:
    target, _ = ContingencyPlan.objects.get_or_create(
        organization=cast.org, title="DR plan", defaults={"kind": "disaster_recovery"}
    )
    draft = complete_draft(target, cast.official, list(Asset.objects.filter(organization=cast.org)))
    PlanVersion.objects.filter(pk=draft.pk).update(caused_by_exercise=caused_by, created_at=at(on))
    draft.refresh_from_db()
    if not approve:
        return draft
    return plan_version_approve(organization=cast.org, actor=Actor(user=cast.official), version=draft)


def test_nothing_recorded_is_not_met(cast):
    asset_with_objectives(cast.org, "EHR")
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "No tier 1–2 asset" in result.reason


def test_all_tested_with_a_recent_exercise_is_met_and_lapses_at_the_earliest_period_end(cast):
    ehr = asset_with_objectives(cast.org, "EHR", tier=1)
    pacs = asset_with_objectives(cast.org, "PACS", tier=2, cadence="annual")
    asset_with_objectives(cast.org, "Intranet", tier=3)  # tier 3 is not required
    asset_with_objectives(cast.org, "Kiosk", tier=1, in_scope=False)
    stored_test(ehr, cast.official, on=date(2026, 5, 1))
    stored_test(pacs, cast.official, on=date(2025, 12, 1))
    exercise(cast.org, cast.official, held_on=date(2026, 2, 1))
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.MET, result.reason
    assert result.lapses_on == date(2026, 8, 2)  # EHR's quarterly pass of 1 May counts through 1 Aug


def test_an_asset_whose_pass_is_out_of_period_is_listed_as_partially_met(cast):
    ehr = asset_with_objectives(cast.org, "EHR", tier=1)
    pacs = asset_with_objectives(cast.org, "PACS", tier=1)
    stored_test(ehr, cast.official, on=date(2026, 5, 1))
    stored_test(pacs, cast.official, on=date(2026, 3, 14))  # quarterly: counted through 2026-06-14
    exercise(cast.org, cast.official, held_on=date(2026, 2, 1))
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert "1 of 2 tier 1–2 assets" in result.reason
    assert "for PACS" in result.reason
    assert any(ref.id == str(pacs.public_id) for ref in result.records)


def test_a_missed_test_does_not_count_as_passed(cast):
    ehr = asset_with_objectives(cast.org, "EHR", tier=1, rto=30)
    stored_test(ehr, cast.official, on=date(2026, 6, 1), minutes=45)
    exercise(cast.org, cast.official, held_on=date(2026, 2, 1))
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert "for EHR" in result.reason


def test_a_restore_not_verified_does_not_count_as_passed(cast):
    ehr = asset_with_objectives(cast.org, "EHR", tier=1)
    stored_test(ehr, cast.official, on=date(2026, 6, 1), verified=False)
    exercise(cast.org, cast.official, held_on=date(2026, 2, 1))
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert "no restore test met the objectives within its period for EHR" in result.reason


def test_no_exercise_in_twelve_months_is_named(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    stored_test(ehr, cast.official, on=date(2026, 6, 1))
    exercise(cast.org, cast.official, held_on=date(2025, 6, 14))  # 12 months and a day ago: out of the window
    exercise(cast.org, cast.official, held_on=date(2026, 5, 1), completed=False)  # planned, not held
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert "no exercise was completed in the last 12 months" in result.reason


def test_an_exercise_with_lessons_needs_a_plan_revision_after_it(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    stored_test(ehr, cast.official, on=date(2026, 6, 1))
    lesson = exercise(cast.org, cast.official, held_on=date(2026, 3, 1), lessons="The call tree was out of date")
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert f"no plan revision records the findings of “{lesson.title}”" in result.reason
    _revision(cast, lesson, on=date(2026, 3, 10))
    assert restore_tests_and_exercises(cast.org, TODAY).status == Status.MET


def test_a_draft_revision_does_not_record_the_findings(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    stored_test(ehr, cast.official, on=date(2026, 6, 1))
    lesson = exercise(cast.org, cast.official, held_on=date(2026, 3, 1), lessons="The call tree was out of date")
    draft = _revision(cast, lesson, on=date(2026, 3, 10), approve=False)
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert f"no plan revision records the findings of “{lesson.title}”" in result.reason
    approved = plan_version_approve(organization=cast.org, actor=Actor(user=cast.official), version=draft)
    assert restore_tests_and_exercises(cast.org, TODAY).status == Status.MET
    PlanVersion.objects.filter(pk=approved.pk).update(status=PlanVersion.Status.SUPERSEDED)
    assert restore_tests_and_exercises(cast.org, TODAY).status == Status.MET


def test_a_restore_test_period_includes_its_anniversary_day(cast):
    ehr = asset_with_objectives(cast.org, "EHR")  # quarterly
    stored_test(ehr, cast.official, on=date(2026, 1, 10))
    exercise(cast.org, cast.official, held_on=date(2026, 2, 1))
    assert restore_tests_and_exercises(cast.org, date(2026, 4, 10)).status == Status.MET
    result = restore_tests_and_exercises(cast.org, date(2026, 4, 11))
    assert result.status == Status.PARTIALLY_MET
    assert "for EHR" in result.reason


def test_an_exercise_counts_through_the_same_day_twelve_months_later(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    stored_test(ehr, cast.official, on=date(2026, 4, 1))
    exercise(cast.org, cast.official, held_on=date(2025, 4, 10))
    assert restore_tests_and_exercises(cast.org, date(2026, 4, 10)).status == Status.MET
    result = restore_tests_and_exercises(cast.org, date(2026, 4, 11))
    assert result.status == Status.PARTIALLY_MET
    assert "no exercise was completed in the last 12 months" in result.reason


def test_a_planned_asset_is_not_judged_yet(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    stored_test(ehr, cast.official, on=date(2026, 6, 1))
    exercise(cast.org, cast.official, held_on=date(2026, 2, 1))
    planned = asset_with_objectives(cast.org, "New PACS", tier=1)
    planned.status = planned.Status.PLANNED
    planned.save(update_fields=["status"])
    result = restore_tests_and_exercises(cast.org, TODAY)
    assert result.status == Status.MET, result.reason


def test_an_exercise_with_corrective_actions_needs_a_revision_too(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    stored_test(ehr, cast.official, on=date(2026, 6, 1))
    drill = exercise(cast.org, cast.official, held_on=date(2026, 3, 1))
    action(cast.org, cast.owner, exercise=drill, origin="exercise")
    assert restore_tests_and_exercises(cast.org, TODAY).status == Status.PARTIALLY_MET


def test_the_check_reads_a_constant_number_of_queries(cast):
    for number in range(2):
        stored_test(asset_with_objectives(cast.org, f"System {number}"), cast.official, on=date(2026, 6, 1))
    exercise(cast.org, cast.official, held_on=date(2026, 3, 1), lessons="x")
    restore_tests_and_exercises(cast.org, TODAY)  # makes the settings row, once
    with CaptureQueriesContext(connection) as few:
        restore_tests_and_exercises(cast.org, TODAY)
    for number in range(2, 10):
        stored_test(asset_with_objectives(cast.org, f"System {number}"), cast.official, on=date(2026, 6, 1))
        exercise(cast.org, cast.official, held_on=date(2026, 3, number), lessons="x")
    with CaptureQueriesContext(connection) as many:
        restore_tests_and_exercises(cast.org, TODAY)
    assert len(many.captured_queries) == len(few.captured_queries) <= 4
