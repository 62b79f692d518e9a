"""Exercise services: recording, completing, the timeline kept in time order, deleting only what nothing cites,
and an audit event for every change."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction, Exercise
from safeguard.contingency.services.actions import corrective_action_create
from safeguard.contingency.services.exercises import (
    exercise_create,
    exercise_delete,
    exercise_timeline_add,
    exercise_timeline_remove,
    exercise_update,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast
from tests.contingency_exercise_factories import asset, at, plan_version

TODAY = date(2026, 3, 10)


def record(cast: Cast, **values: Any) -> Exercise:
    defaults: dict[str, Any] = {
        "kind": "tabletop",
        "title": "Ransomware on the EHR",
        "scenario": "Monday 07:00: the EHR screens show a ransom note.",
        "held_on": TODAY - timedelta(days=1),
        "today": TODAY,
    }
    return exercise_create(organization=cast.org, actor=Actor(user=cast.owner), **(defaults | values))


def test_create_keeps_people_plans_and_assets_and_audits(cast: Cast):
    ehr = asset(cast.org, "EHR")
    exercise = record(cast, facilitator=cast.official, participants=[cast.owner, cast.workforce], assets=[ehr])
    assert exercise.recorded_by == cast.owner
    assert set(exercise.participants.all()) == {cast.owner, cast.workforce}
    assert list(exercise.assets.all()) == [ehr]
    event = AuditEvent.objects.get(action="contingency.exercise.created")
    assert event.changes["title"] == [None, "Ransomware on the EHR"]
    assert event.changes["participants"] == [None, sorted(["owner@clinic.test", "nurse@clinic.test"])]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"scenario": ""}, "scenario"),
        ({"kind": "drill"}, "kind"),
        ({"held_on": date(1989, 12, 31)}, "held_on"),
        ({"completed": True, "outcomes": ""}, "outcomes"),
        ({"completed": True, "outcomes": "Went well", "held_on": TODAY + timedelta(days=1)}, "completed"),
    ],
)
def test_bad_input_is_refused_on_its_field(cast: Cast, values: dict[str, object], field: str):
    with pytest.raises(ServiceError) as refused:
        record(cast, **values)
    assert refused.value.field == field
    assert not Exercise.objects.exists()


def test_completed_on_the_day_it_was_held(cast: Cast):
    exercise = record(cast, held_on=TODAY, completed=True, outcomes="Restored in 3 hours.")
    assert exercise.completed


def test_people_and_records_of_another_organization_are_refused(cast: Cast):
    with pytest.raises(ServiceError) as refused:
        record(cast, participants=[cast.outsider])
    assert refused.value.field == "participants"
    with pytest.raises(ServiceError) as refused:
        record(cast, assets=[asset(cast.other_org, "Their EHR")])
    assert refused.value.field == "assets"


def test_update_records_only_what_changed(cast: Cast):
    exercise = record(cast)
    exercise_update(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        exercise=exercise,
        today=TODAY,
        outcomes="Call tree reached everyone in 20 minutes.",
        completed=True,
        participants=[cast.official],
    )
    exercise.refresh_from_db()
    assert exercise.completed
    event = AuditEvent.objects.get(action="contingency.exercise.updated")
    assert set(event.changes) == {"outcomes", "completed", "participants"}
    assert event.changes["participants"] == [[], ["so@clinic.test"]]
    exercise_update(organization=cast.org, actor=Actor(user=cast.owner), exercise=exercise, today=TODAY, completed=True)
    assert AuditEvent.objects.filter(action="contingency.exercise.updated").count() == 1


def test_timeline_is_kept_in_time_order_and_entries_can_be_removed(cast: Cast):
    exercise = record(cast)
    actor = Actor(user=cast.owner)
    late = exercise_timeline_add(
        organization=cast.org, actor=actor, exercise=exercise, at=at(TODAY, 11), entry="EHR restored"
    )
    exercise_timeline_add(organization=cast.org, actor=actor, exercise=exercise, at=at(TODAY, 9), entry="Outage")
    exercise_timeline_add(organization=cast.org, actor=actor, exercise=exercise, at=at(TODAY, 10), entry="Call tree")
    exercise.refresh_from_db()
    assert [item["entry"] for item in exercise.timeline] == ["Outage", "Call tree", "EHR restored"]
    exercise_timeline_remove(organization=cast.org, actor=actor, exercise=exercise, entry_id=late["id"])
    exercise.refresh_from_db()
    assert [item["entry"] for item in exercise.timeline] == ["Outage", "Call tree"]
    assert AuditEvent.objects.filter(action__startswith="contingency.exercise.timeline").count() == 4


def test_timeline_refuses_blank_entries_naive_times_and_unknown_ids(cast: Cast):
    exercise = record(cast)
    actor = Actor(user=cast.owner)
    with pytest.raises(ServiceError) as refused:
        exercise_timeline_add(organization=cast.org, actor=actor, exercise=exercise, at=at(TODAY), entry=" ")
    assert refused.value.field == "entry"
    with pytest.raises(ServiceError) as refused:
        exercise_timeline_add(
            organization=cast.org,
            actor=actor,
            exercise=exercise,
            at=datetime(2026, 3, 9, 9),  # noqa: DTZ001  # a naive time is the input under test
            entry="x",
        )
    assert refused.value.field == "at"
    with pytest.raises(ServiceError):
        exercise_timeline_remove(organization=cast.org, actor=actor, exercise=exercise, entry_id="nope")


def test_delete_is_refused_once_an_action_or_a_plan_revision_cites_it(cast: Cast):
    actor = Actor(user=cast.owner)
    cited = record(cast, title="Cited by an action")
    corrective_action_create(
        organization=cast.org,
        actor=actor,
        origin=CorrectiveAction.Origin.EXERCISE,
        exercise=cited,
        title="Print the call tree",
        owner=cast.official,
        due_on=timezone.localdate() + timedelta(days=30),
    )
    with pytest.raises(ServiceError):
        exercise_delete(organization=cast.org, actor=actor, exercise=cited)
    revised = record(cast, title="Cited by a plan")
    plan_version(cast.org, cast.owner, caused_by=revised)
    with pytest.raises(ServiceError):
        exercise_delete(organization=cast.org, actor=actor, exercise=revised)
    loose = record(cast, title="Entered twice")
    exercise_delete(organization=cast.org, actor=actor, exercise=loose)
    assert set(Exercise.objects.values_list("title", flat=True)) == {"Cited by an action", "Cited by a plan"}
    assert AuditEvent.objects.filter(action="contingency.exercise.deleted").count() == 1
