"""The 164.308(a)(5) check: the active workforce trained on time (threshold), and nobody with ePHI access without
initial training; each edge of the 365 days, due dates, excused assignments, waivers and the bounded query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.access.models import AccountStatus, Classification
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from safeguard.training.checks_workforce import workforce_trained
from safeguard.training.models import Assignment, AssignmentRule, Course, CourseKind, TrainingSettings
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_support import (
    TODAY,
    accounts,
    ago,
    at,
    course_of,
    program,
    trained,
    waive_training,
)

NO_LISTS = (
    "who has ePHI access cannot be known: no account list is imported, so initial training before access is not judged."
)


def test_registered_on_the_standard() -> None:
    assert [c.name for c in checks_for("164.308(a)(5)")] == ["training.workforce_trained"]


def test_no_roster_is_unknown(cast: Cast) -> None:
    program(cast.org)
    result = workforce_trained(cast.org, TODAY)
    assert (result.status, result.reason) == (
        Status.UNKNOWN,
        "No workforce roster is recorded, so nobody's training can be judged.",
    )


def test_nothing_assigned_is_not_met(cast: Cast) -> None:
    make.person(cast.org, "E-1")
    result = workforce_trained(cast.org, TODAY)
    assert (result.status, result.reason) == (
        Status.NOT_MET,
        "No training is assigned: install the starter curriculum and switch its rules on.",
    )
    assert "switch its assignment rules on" in result.next_action


@pytest.mark.parametrize("gap", ["rule off", "course draft"])
def test_an_inactive_rule_or_an_unpublished_course_assigns_nothing(cast: Cast, gap: str) -> None:
    program(cast.org)
    trained(cast.org, "E-1")
    if gap == "rule off":
        AssignmentRule.objects.update(active=False)
    else:
        Course.objects.update(status=Course.Status.DRAFT)
    assert workforce_trained(cast.org, TODAY).status == Status.NOT_MET


def test_everyone_trained_is_met_with_the_unknown_access_said(cast: Cast) -> None:
    program(cast.org)
    trained(cast.org, "E-1", name="Ann Lee")
    new_hire = make.person(cast.org, "E-2", name="Bo Diaz", hire_date=ago(3))
    make.assignment(new_hire, course_of(cast.org), due_on=TODAY + timedelta(days=20), assigned_on=ago(3))
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason == f"2 of 2 active people (100%) are trained on time (threshold 95%); {NO_LISTS}"
    assert result.lapses_on == TODAY + timedelta(days=21)  # the day after the new hire's due date
    assert result.next_action == "Import each ePHI system's account list (Systems & accounts)."
    assert result.records == ()


def test_a_completion_counts_for_365_days_ending_today(cast: Cast) -> None:
    program(cast.org)
    trained(cast.org, "E-1", days_ago=364)
    assert workforce_trained(cast.org, TODAY).status == Status.MET
    stale = trained(cast.org, "E-2", days_ago=365, name="Cy Old")
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason.startswith(
        "1 of 2 active people (50%) are trained on time (threshold 95%); 1 with no training in the last 12 months "
        "and none assigned: Cy Old;"
    )
    assert [ref.id for ref in result.records] == [str(stale.public_id)]


def test_due_today_is_not_overdue_but_yesterday_is(cast: Cast) -> None:
    course = program(cast.org)
    pat = make.person(cast.org, "E-1", name="Pat Kim")
    assignment = make.assignment(pat, course, due_on=TODAY)
    result = workforce_trained(cast.org, TODAY)
    assert (result.status, result.lapses_on) == (Status.MET, TODAY + timedelta(days=1))
    Assignment.objects.filter(pk=assignment.pk).update(due_on=ago(1))
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "1 with training overdue: Pat Kim" in result.reason
    assert result.next_action.startswith("Get the people not on time through their courses")


def test_an_open_assignment_overdue_for_over_a_year_still_counts(cast: Cast) -> None:
    course = program(cast.org)
    pat = trained(cast.org, "E-1")
    other = make.course(cast.org, "HIPAA-2", kind=CourseKind.ANNUAL)
    make.assignment(pat, other, due_on=ago(400))
    assert course.pk != other.pk
    assert workforce_trained(cast.org, TODAY).status == Status.NOT_MET


def test_a_late_completion_within_12_months_is_not_on_time(cast: Cast) -> None:
    course = program(cast.org)
    pat = trained(cast.org, "E-1", name="Pat Kim")
    make.assignment(pat, course, due_on=ago(40), status=Assignment.Status.COMPLETED, completed_on=ago(30))
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert "1 who completed training late in the last 12 months: Pat Kim" in result.reason


def test_a_late_completion_due_before_the_window_is_forgotten(cast: Cast) -> None:
    course = program(cast.org)
    pat = trained(cast.org, "E-1")
    # The window is the 365 days ending today, today included: it starts 364 days ago (checks_common.window_start).
    make.assignment(pat, course, due_on=ago(365), status=Assignment.Status.COMPLETED, completed_on=ago(300))
    assert workforce_trained(cast.org, TODAY).status == Status.MET
    Assignment.objects.update(due_on=ago(364))
    assert workforce_trained(cast.org, TODAY).status == Status.NOT_MET


@pytest.mark.parametrize("status", [Assignment.Status.EXCUSED, Assignment.Status.CANCELLED])
def test_excused_and_cancelled_assignments_are_ignored(cast: Cast, status: str) -> None:
    course = program(cast.org)
    pat = trained(cast.org, "E-1")
    other = make.course(cast.org, "HIPAA-2")
    make.assignment(pat, other, due_on=ago(10), status=status)
    assert course.pk != other.pk
    assert workforce_trained(cast.org, TODAY).status == Status.MET


def test_people_on_leave_and_leavers_are_not_counted(cast: Cast) -> None:
    program(cast.org)
    trained(cast.org, "E-1")
    make.person(cast.org, "E-2", status=Person.Status.LEAVE)
    make.person(cast.org, "E-3", termination_at=at(ago(30)))
    make.person(cast.org, "E-4", scim_deleted=True)
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason.startswith("1 of 1 active person (100%)")


@pytest.mark.parametrize(("on_time", "expected"), [(19, Status.MET), (18, Status.NOT_MET)])
def test_threshold_exactly_met(cast: Cast, on_time: int, expected: Status) -> None:
    program(cast.org)
    for n in range(on_time):
        trained(cast.org, f"E-{n:02}")
    for n in range(on_time, 20):
        make.person(cast.org, f"E-{n:02}")
    result = workforce_trained(cast.org, TODAY)
    assert result.status == expected
    assert result.reason.startswith(f"{on_time} of 20 active people ({on_time * 5}%) are trained on time")


def test_the_threshold_comes_from_the_settings(cast: Cast) -> None:
    program(cast.org)
    for n in range(9):
        trained(cast.org, f"E-{n}")
    make.person(cast.org, "E-9")
    assert workforce_trained(cast.org, TODAY).status == Status.NOT_MET
    TrainingSettings.objects.create(organization=cast.org, completion_threshold=90)
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.MET
    assert "(threshold 90%)" in result.reason


def test_ten_names_then_a_count(cast: Cast) -> None:
    program(cast.org)
    for n in range(12):
        make.person(cast.org, f"E-{n:02}", name=f"Pat P{n:02}")
    result = workforce_trained(cast.org, TODAY)
    names = ", ".join(f"Pat P{n:02}" for n in range(10))
    assert f"{names} and 2 more" in result.reason
    assert len(result.records) == 10


def test_person_records_link_to_their_training_page(cast: Cast) -> None:
    program(cast.org)
    pat = make.person(cast.org, "E-1")
    ref = workforce_trained(cast.org, TODAY).records[0]
    assert (ref.type, ref.id, ref.label) == ("workforce.person", str(pat.public_id), "Pat E-1")
    assert ref.url == reverse("training:person_training", args=[cast.org.slug, pat.public_id])


# ---- nobody with ePHI access lacks initial training --------------------------------------------------------------


def test_access_without_initial_training_is_not_met(cast: Cast) -> None:
    program(cast.org)
    annual = make.course(cast.org, "HIPAA-2", kind=CourseKind.ANNUAL)
    ann = trained(cast.org, "E-1", name="Ann Lee")
    bo = make.person(cast.org, "E-2", name="Bo Diaz")
    make.completion(bo, annual, at=at(ago(5)))  # on time, but no initial course
    accounts(cast.org, [{"person": ann}, {"person": bo}])
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == (
        "2 of 2 active people (100%) are trained on time (threshold 95%); 1 of 2 people with ePHI access has no "
        "initial training: Bo Diaz."
    )
    assert [ref.id for ref in result.records] == [str(bo.public_id)]
    assert result.next_action.startswith("Have each person with ePHI access and no initial training complete it")


def test_initial_training_long_ago_counts(cast: Cast) -> None:
    program(cast.org)
    ann = trained(cast.org, "E-1", days_ago=900)
    make.completion(ann, make.course(cast.org, "HIPAA-2"), at=at(ago(20)))
    accounts(cast.org, [{"person": ann}])
    result = workforce_trained(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason.endswith("all 1 person with ePHI access completed initial training or had it waived.")


def test_a_waived_training_step_counts(cast: Cast) -> None:
    program(cast.org)
    bo = make.person(cast.org, "E-2")
    make.assignment(bo, course_of(cast.org), due_on=TODAY + timedelta(days=5))
    accounts(cast.org, [{"person": bo}])
    assert workforce_trained(cast.org, TODAY).status == Status.NOT_MET
    waive_training(bo)
    assert workforce_trained(cast.org, TODAY).status == Status.MET


@pytest.mark.parametrize(
    "row",
    [
        {"status": AccountStatus.DISABLED},
        {"classification": Classification.PENDING},
    ],
)
def test_disabled_accounts_and_unconfirmed_matches_are_not_access(cast: Cast, row: dict[str, str]) -> None:
    program(cast.org)
    trained(cast.org, "E-1")
    bo = make.person(cast.org, "E-2")
    make.completion(bo, make.course(cast.org, "HIPAA-2"), at=at(ago(5)))
    accounts(cast.org, [{"person": bo, **row}])
    assert workforce_trained(cast.org, TODAY).status == Status.MET


def test_only_the_latest_list_counts(cast: Cast) -> None:
    from tests import access_factories

    program(cast.org)
    bo = make.person(cast.org, "E-2")
    make.completion(bo, make.course(cast.org, "HIPAA-2"), at=at(ago(5)))
    ehr = access_factories.system(cast.org, "EHR")
    access_factories.snapshot(ehr, [{"username": "bo", "person": bo}], taken_at=at(ago(60)))
    access_factories.snapshot(ehr, [{"username": "other"}], taken_at=at(ago(1)))
    assert workforce_trained(cast.org, TODAY).status == Status.MET


def test_other_organizations_records_do_not_count(cast: Cast) -> None:
    program(cast.org)
    make.person(cast.org, "E-1")
    theirs = program(cast.other_org, "SEC-101")
    outsider = make.person(cast.other_org, "E-1", email="e-1@other.test")
    make.completion(outsider, theirs, at=at(ago(5)))
    assert workforce_trained(cast.org, TODAY).status == Status.NOT_MET
    assert workforce_trained(cast.other_org, TODAY).status == Status.MET


def _queries(cast: Cast) -> int:
    with CaptureQueriesContext(connection) as queries:
        workforce_trained(cast.org, TODAY)
    return len(queries)


def test_query_count_does_not_grow_with_people(cast: Cast) -> None:
    course = program(cast.org)

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            pat = trained(cast.org, f"E-{n:03}") if n % 3 else make.person(cast.org, f"E-{n:03}")
            make.assignment(pat, course, due_on=ago(n % 20) if n % 2 else TODAY + timedelta(days=n))
        accounts(cast.org, [{"person": p} for p in Person.objects.filter(organization=cast.org)], name=f"S{stop}")

    grow(0, 5)
    few = _queries(cast)
    grow(5, 50)
    assert _queries(cast) == few
