"""Assignments by hand: assigning one person (never twice), excusing, cancelling (refused for an active rule's
assignment), extending; each audited, each bad input refused with its own message and nothing written."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.dates import add_years
from safeguard.core.services.errors import ServiceError
from safeguard.training.models import Assignment, AudienceKind, Cadence, Course
from safeguard.training.services.assignments import (
    assignment_cancel,
    assignment_create,
    assignment_excuse,
    assignment_extend,
)
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_assignments_support import TODAY, audit_count, events, only_open, sync


def assign(cast: Cast, person: Person, course: Course, **values: Any) -> Assignment:
    values.setdefault("due_on", TODAY + timedelta(days=10))
    values.setdefault("reason", "Moved to billing")
    return assignment_create(
        organization=cast.org, actor=Actor(user=cast.official), person=person, course=course, today=TODAY, **values
    )


@pytest.fixture
def dana(cast: Cast) -> Person:
    return make.person(cast.org, "E-1", name="Dana Reyes")


@pytest.fixture
def course(cast: Cast) -> Course:
    return make.course(cast.org, "BILL", title="Billing privacy")


def test_assigning_by_hand(cast: Cast, dana: Person, course: Course) -> None:
    row = assign(cast, dana, course)

    assert (row.rule, row.assigned_by, row.trigger_key, row.window_start, row.assigned_on, row.due_on) == (
        None,
        cast.official,
        "manual",
        TODAY,
        TODAY,
        TODAY + timedelta(days=10),
    )
    assert events("training.assignment.created")[0].changes["reason"] == [None, "Moved to billing"]


def test_a_second_open_assignment_of_the_course_is_refused_naming_the_first(
    cast: Cast, dana: Person, course: Course
) -> None:
    assign(cast, dana, course)
    before = audit_count()

    with pytest.raises(ServiceError) as refused:
        assign(cast, dana, course, due_on=TODAY + timedelta(days=20))

    assert refused.value.message == (
        "Dana Reyes already has an open assignment of “Billing privacy”, due 2026-04-25: extend it rather than "
        "assigning the course twice."
    )
    assert Assignment.objects.count() == 1 and audit_count() == before


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"due_on": TODAY - timedelta(days=1)}, "due_on", "The due date is a day between 2026-04-15 and 2028-04-15."),
        ({"due_on": date(2029, 1, 1)}, "due_on", "The due date is a day between 2026-04-15 and 2028-04-15."),
        ({"reason": "  "}, "reason", "Say why: it is kept with the assignment and in the audit trail."),
        ({"reason": "x" * 301}, "reason", "At most 300 characters."),
    ],
)
def test_bad_manual_assignments_are_refused(
    cast: Cast, dana: Person, course: Course, values: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ServiceError) as refused:
        assign(cast, dana, course, **values)

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not Assignment.objects.exists()


def test_a_leaver_a_draft_course_or_another_orgs_records_are_refused(cast: Cast, course: Course) -> None:
    leaver = make.person(cast.org, "E-9", name="Lee Gone", status=Person.Status.TERMINATED)
    draft = make.course(cast.org, "DRAFT", title="Draft", status=Course.Status.DRAFT)
    foreign_person, foreign_course = make.person(cast.other_org, "X-1"), make.course(cast.other_org, "X")
    dana = make.person(cast.org, "E-1")

    found = []
    for person, target in ((leaver, course), (dana, draft), (foreign_person, course), (dana, foreign_course)):
        with pytest.raises(ServiceError) as refused:
            assign(cast, person, target)
        found.append((refused.value.field, refused.value.message))

    assert found == [
        ("person", "Lee Gone has left the organization."),
        ("course", "“Draft” is not published: only published courses are assigned."),
        ("person", "Pick a person of this organization."),
        ("course", "Pick a course of this organization."),
    ]


def test_an_excused_round_is_not_assigned_again_by_the_rules(cast: Cast, dana: Person, course: Course) -> None:
    make.rule(course)
    sync(cast.org)
    row = only_open(dana, course)

    assignment_excuse(organization=cast.org, actor=Actor(user=cast.owner), assignment=row, reason="Trained elsewhere")

    row.refresh_from_db()
    assert (row.status, row.close_reason, row.closed_by) == (Assignment.Status.EXCUSED, "Trained elsewhere", cast.owner)
    assert sync(cast.org)["opened"] == 0
    assert events("training.assignment.excused")[0].changes == {
        "status": ["open", "excused"],
        "close_reason": ["", "Trained elsewhere"],
    }


def test_after_an_excused_yearly_round_the_next_one_counts_from_its_due_date(cast: Cast, course: Course) -> None:
    make.rule(course, cadence=Cadence.ANNUAL, notice_days=30)
    dana = make.person(cast.org, "E-1")
    sync(cast.org)
    row = only_open(dana, course)
    assignment_excuse(organization=cast.org, actor=Actor(user=cast.owner), assignment=row, reason="On leave")

    due = row.due_on
    assert sync(cast.org, add_years(due, 1) - timedelta(days=31))["opened"] == 0
    assert sync(cast.org, add_years(due, 1) - timedelta(days=30))["opened"] == 1


def test_an_active_rules_assignment_cannot_be_cancelled(cast: Cast, dana: Person, course: Course) -> None:
    make.rule(course, name="Everyone")
    sync(cast.org)
    row = only_open(dana, course)

    with pytest.raises(ServiceError) as refused:
        assignment_cancel(organization=cast.org, actor=Actor(user=cast.owner), assignment=row, reason="Mistake")

    assert refused.value.message == (
        "The active rule “Everyone” made this assignment and would make it again: excuse the person (say why), or "
        "change or switch off the rule."
    )
    row.refresh_from_db()
    assert row.status == Assignment.Status.OPEN


def test_a_manual_assignment_is_cancelled(cast: Cast, dana: Person, course: Course) -> None:
    row = assign(cast, dana, course)

    assignment_cancel(organization=cast.org, actor=Actor(user=cast.owner), assignment=row, reason="Wrong person")

    row.refresh_from_db()
    assert (row.status, row.close_reason) == (Assignment.Status.CANCELLED, "Wrong person")
    with pytest.raises(ServiceError, match="This assignment is cancelled: only an open one can be excused."):
        assignment_excuse(organization=cast.org, actor=Actor(user=cast.owner), assignment=row, reason="x")


def test_extending_moves_the_due_date_later_and_clears_the_reminder_marks(
    cast: Cast, dana: Person, course: Course
) -> None:
    row = assign(cast, dana, course)
    Assignment.objects.filter(pk=row.pk).update(reminded_on=TODAY, escalated_on=TODAY)
    today = timezone.localdate()

    assignment_extend(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        assignment=row,
        due_on=today + timedelta(days=40),
        reason="Surgery",
        today=today,
    )

    row.refresh_from_db()
    assert (row.due_on, row.reminded_on, row.escalated_on) == (today + timedelta(days=40), None, None)
    assert events("training.assignment.extended")[0].changes == {
        "due_on": [str(TODAY + timedelta(days=10)), str(today + timedelta(days=40))],
        "reminded_on": [str(TODAY), None],
        "escalated_on": [str(TODAY), None],
        "reason": [None, "Surgery"],
    }


def test_extending_to_an_earlier_or_the_same_day_is_refused(cast: Cast, dana: Person, course: Course) -> None:
    row = assign(cast, dana, course)
    before = audit_count()

    with pytest.raises(ServiceError) as refused:
        assignment_extend(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            assignment=row,
            due_on=row.due_on,
            reason="More time",
            today=TODAY,
        )

    assert (refused.value.field, refused.value.message) == (
        "due_on",
        "The new due date must be later than the current one (2026-04-25).",
    )
    assert audit_count() == before


def test_a_leaver_dropping_out_cancels_a_department_rules_assignment_but_not_an_excused_one(
    cast: Cast, course: Course
) -> None:
    make.rule(course, audience=AudienceKind.DEPARTMENT, values=["Nursing"])
    dana = make.person(cast.org, "E-1")
    sync(cast.org)
    row = only_open(dana, course)
    assignment_excuse(organization=cast.org, actor=Actor(user=cast.owner), assignment=row, reason="Agency nurse")
    Person.objects.filter(pk=dana.pk).update(status=Person.Status.TERMINATED)

    assert sync(cast.org) == {"opened": 0, "completed": 0, "cancelled": 0}
    row.refresh_from_db()
    assert row.status == Assignment.Status.EXCUSED
