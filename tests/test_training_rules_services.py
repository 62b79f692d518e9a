"""Assignment rule services: what a rule may say (each bad input refused with its own message, nothing written),
the audit trail, switching on and off (with or without cancelling open assignments), and the course fixed once
used."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.services.errors import ServiceError
from safeguard.training.models import Assignment, AssignmentRule, AudienceKind, Cadence, Course
from safeguard.training.services.assignment_rules import rule_activate, rule_create, rule_deactivate, rule_update
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_assignments_support import audit_count, events


def create(cast: Cast, course: Course | None = None, **values: Any) -> AssignmentRule:
    defaults: dict[str, Any] = {"name": "Everyone", "audience": AudienceKind.EVERYONE}
    defaults.update(values)
    return rule_create(
        organization=cast.org,
        actor=Actor(user=cast.official),
        course=course or Course.objects.get(code="SEC-1"),
        **defaults,
    )


@pytest.fixture
def course(cast: Cast) -> Course:
    return make.course(cast.org, "SEC-1", title="Security basics")


def test_a_rule_is_created_audited_and_assigns_after_the_commit(
    cast: Cast, course: Course, django_capture_on_commit_callbacks
) -> None:
    make.person(cast.org, "E-1")

    with django_capture_on_commit_callbacks(execute=True):
        rule = create(cast, audience_values=[])

    assert (rule.starts_on, rule.active, rule.created_by) == (timezone.localdate(), True, cast.official)
    event = events("training.rule.created")[0]
    assert event.changes["course"] == [None, str(course.public_id)]
    assert event.changes["audience"] == [None, "everyone"]
    assert Assignment.objects.filter(rule=rule, status=Assignment.Status.OPEN).count() == 1


def test_audience_values_are_cleaned(cast: Cast, course: Course) -> None:
    rule = create(cast, audience=AudienceKind.DEPARTMENT, audience_values=[" Nursing ", "nursing", "", "ICU"])
    assert rule.audience_values == ["Nursing", "ICU"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": " "}, "name", "Name the rule, e.g. “Annual refresher for everyone”."),
        ({"audience": "friends"}, "audience", "Choose one of the audiences"),
        ({"audience": AudienceKind.DEPARTMENT}, "audience_values", "Name at least one department."),
        ({"audience_values": ["Nursing"]}, "audience_values", "takes no list of values"),
        (
            {"audience": AudienceKind.WORKER_TYPE, "audience_values": ["pirate"]},
            "audience_values",
            "Unknown worker type 'pirate'",
        ),
        (
            {"audience": AudienceKind.PHISHING_CLICKERS, "cadence": Cadence.ANNUAL},
            "cadence",
            "Clicks and sanctions are one-off events: their rules take the cadence “Once”.",
        ),
        (
            {"cadence": Cadence.CALENDAR, "calendar_month": 2, "calendar_day": 29},
            "calendar_day",
            "29 February is not a date every year: pick 28 February or 1 March.",
        ),
        ({"cadence": Cadence.CALENDAR, "calendar_day": 1}, "calendar_month", "Pick a month from 1 to 12."),
        (
            {"calendar_month": 1, "calendar_day": 15},
            "calendar_month",
            "A month and day apply only to the cadence “Every year by a fixed date”.",
        ),
        ({"cadence": "weekly"}, "cadence", "Pick a cadence"),
        ({"due_days": 0}, "due_days", "The time to complete is a whole number of days from 1 to 365."),
        ({"due_days": 366}, "due_days", "The time to complete is a whole number of days from 1 to 365."),
        ({"notice_days": 181}, "notice_days", "Notice is a whole number of days from 1 to 180."),
        ({"starts_on": date(1989, 12, 31)}, "starts_on", "The start is a date between 1990-01-01 and"),
    ],
)
def test_bad_rules_are_refused_with_a_specific_message(
    cast: Cast, course: Course, values: dict[str, Any], field: str, message: str
) -> None:
    before = audit_count()

    with pytest.raises(ServiceError) as refused:
        create(cast, **values)

    assert refused.value.field == field
    assert message in refused.value.message
    assert not AssignmentRule.objects.exists()
    assert audit_count() == before


def test_a_draft_or_retired_or_foreign_course_is_refused(cast: Cast) -> None:
    draft = make.course(cast.org, "D", title="Draft one", status=Course.Status.DRAFT)
    retired = make.course(cast.org, "R", title="Old one", status=Course.Status.RETIRED)
    foreign = make.course(cast.other_org, "F")

    messages = []
    for course in (draft, retired, foreign):
        with pytest.raises(ServiceError) as refused:
            create(cast, course)
        messages.append((refused.value.field, refused.value.message))

    assert messages == [
        ("course", "“Draft one” is a draft: publish it before a rule assigns it."),
        ("course", "“Old one” is retired: pick a published course."),
        ("course", "Pick a course of this organization."),
    ]


def test_rule_names_are_unique_ignoring_case(cast: Cast, course: Course) -> None:
    create(cast)
    with pytest.raises(ServiceError, match="Another rule is already named “EVERYONE”"):
        create(cast, name="EVERYONE")


def test_an_update_is_audited_with_what_changed(cast: Cast, course: Course) -> None:
    rule = create(cast)

    rule_update(organization=cast.org, actor=Actor(user=cast.owner), rule=rule, due_days=14, name="All staff")

    assert events("training.rule.updated")[0].changes == {"due_days": [30, 14], "name": ["Everyone", "All staff"]}


def test_leaving_the_calendar_cadence_drops_its_date(cast: Cast, course: Course) -> None:
    rule = create(cast, cadence=Cadence.CALENDAR, calendar_month=1, calendar_day=15)

    updated = rule_update(organization=cast.org, actor=Actor(user=cast.owner), rule=rule, cadence=Cadence.ANNUAL)

    assert (updated.calendar_month, updated.calendar_day) == (None, None)


def test_the_course_is_fixed_once_the_rule_has_assigned_someone(cast: Cast, course: Course) -> None:
    rule = create(cast)
    other = make.course(cast.org, "SEC-2")
    make.assignment(make.person(cast.org, "E-1"), course, due_on=date(2026, 5, 1), rule=rule)

    with pytest.raises(ServiceError) as refused:
        rule_update(organization=cast.org, actor=Actor(user=cast.owner), rule=rule, course=other)

    assert refused.value.field == "course"
    rule.refresh_from_db()
    assert rule.course == course


def test_unknown_fields_are_refused(cast: Cast, course: Course) -> None:
    rule = create(cast)
    with pytest.raises(ServiceError, match="Unknown fields: colour."):
        rule_update(organization=cast.org, actor=Actor(user=cast.owner), rule=rule, colour="red")


def test_switching_off_keeps_open_assignments_unless_asked(cast: Cast, course: Course) -> None:
    rule = create(cast)
    dana = make.person(cast.org, "E-1")
    kept = make.assignment(dana, course, due_on=date(2026, 5, 1), rule=rule)

    assert rule_deactivate(organization=cast.org, actor=Actor(user=cast.owner), rule=rule) == 0
    kept.refresh_from_db()
    assert kept.status == Assignment.Status.OPEN
    assert events("training.rule.deactivated")[0].changes == {"active": [True, False], "cancel_open": [None, False]}

    with pytest.raises(ServiceError, match="“Everyone” is already switched off."):
        rule_deactivate(organization=cast.org, actor=Actor(user=cast.owner), rule=rule)


def test_switching_off_can_cancel_the_open_assignments(cast: Cast, course: Course) -> None:
    rule = create(cast)
    row = make.assignment(make.person(cast.org, "E-1"), course, due_on=date(2026, 5, 1), rule=rule)
    done = make.assignment(
        make.person(cast.org, "E-2"), course, due_on=date(2026, 5, 1), rule=rule, status=Assignment.Status.COMPLETED
    )

    assert rule_deactivate(organization=cast.org, actor=Actor(user=cast.owner), rule=rule, cancel_open=True) == 1

    row.refresh_from_db()
    done.refresh_from_db()
    assert (row.status, row.close_reason, row.closed_by) == (
        Assignment.Status.CANCELLED,
        "The rule “Everyone” was switched off",
        cast.owner,
    )
    assert done.status == Assignment.Status.COMPLETED
    assert [e.object_id for e in events("training.assignment.cancelled")] == [str(row.public_id)]


def test_switching_on_needs_a_published_course(cast: Cast, course: Course) -> None:
    rule = create(cast, active=False)
    Course.objects.filter(pk=course.pk).update(status=Course.Status.RETIRED)

    with pytest.raises(ServiceError, match="is retired"):
        rule_activate(organization=cast.org, actor=Actor(user=cast.owner), rule=rule)

    Course.objects.filter(pk=course.pk).update(status=Course.Status.PUBLISHED)
    rule_activate(organization=cast.org, actor=Actor(user=cast.owner), rule=rule)
    rule.refresh_from_db()
    assert rule.active is True
    assert events("training.rule.activated")[0].changes == {"active": [False, True]}
    with pytest.raises(ServiceError, match="already active"):
        rule_activate(organization=cast.org, actor=Actor(user=cast.owner), rule=rule)


def test_a_rule_starting_later_assigns_no_one_yet(cast: Cast, course: Course) -> None:
    from tests.test_training_assignments_support import sync

    make.person(cast.org, "E-1")
    create(cast, starts_on=timezone.localdate() + timedelta(days=3))

    assert sync(cast.org, timezone.localdate())["opened"] == 0


def test_a_rule_whose_course_was_retired_can_still_be_renamed(cast: Cast, course: Course) -> None:
    rule = create(cast)
    Course.objects.filter(pk=course.pk).update(status=Course.Status.RETIRED)

    renamed = rule_update(organization=cast.org, actor=Actor(user=cast.owner), rule=rule, name="Old refresher")

    assert renamed.name == "Old refresher"
    retired_too = make.course(cast.org, "R2", status=Course.Status.RETIRED, title="Gone")
    with pytest.raises(ServiceError, match="“Gone” is retired"):
        rule_update(organization=cast.org, actor=Actor(user=cast.owner), rule=rule, course=retired_too)
