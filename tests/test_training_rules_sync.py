"""Evaluating the rules against the roster: who is assigned, completed, cancelled; movers, leavers, people on
leave, several rules for one course, event audiences, idempotency, the roster signal and flat query counts."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from safeguard.access.models import AccountStatus
from safeguard.core.audit import Actor
from safeguard.core.dates import EARLIEST
from safeguard.risk.models import SanctionLevel, SanctionRecord
from safeguard.training.models import Assignment, AudienceKind, Cadence, Course, PhishingOutcome
from safeguard.workforce.models import Person
from safeguard.workforce.services.people import person_write
from tests import access_factories as access
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_assignments_support import (
    TODAY,
    at,
    audit_count,
    counted,
    events,
    only_open,
    open_pairs,
    open_rows,
    sync,
)


def test_everyone_is_assigned_once_with_an_audit_event_each(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    rule = make.rule(course, due_days=30)
    make.person(cast.org, "E-1")
    make.person(cast.org, "E-2")
    make.person(cast.other_org, "X-1")

    assert sync(cast.org) == {"opened": 2, "completed": 0, "cancelled": 0}

    rows = open_rows(cast.org)
    assert [(r.person.employee_id, r.rule, r.due_on, r.assigned_on, r.window_start, r.trigger_key) for r in rows] == [
        ("E-1", rule, TODAY + timedelta(days=30), TODAY, EARLIEST, "join"),
        ("E-2", rule, TODAY + timedelta(days=30), TODAY, EARLIEST, "join"),
    ]
    opened = events("training.assignment.opened")
    assert sorted(e.object_id for e in opened) == sorted(str(r.public_id) for r in rows)
    assert opened[0].changes["rule"] == [None, str(rule.public_id)]
    assert opened[0].actor_label == "system:training.assignments"
    assert not Assignment.objects.filter(organization=cast.other_org).exists()


def test_a_second_run_opens_nothing_and_writes_no_audit_event(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.rule(course)
    make.rule(make.course(cast.org, "SEC-2"), audience=AudienceKind.NEW_HIRES, starts_on=date(2019, 1, 1))
    make.person(cast.org, "E-1")
    sync(cast.org)
    before = (Assignment.objects.count(), audit_count())

    assert sync(cast.org) == {"opened": 0, "completed": 0, "cancelled": 0}
    assert sync(cast.org, TODAY + timedelta(days=1)) == {"opened": 0, "completed": 0, "cancelled": 0}
    assert (Assignment.objects.count(), audit_count()) == before


def test_the_due_date_never_moves_once_assigned(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    rule = make.rule(course, due_days=30)
    make.person(cast.org, "E-1")
    sync(cast.org)
    rule.due_days = 5
    rule.save()

    sync(cast.org, TODAY + timedelta(days=3))

    assert open_rows(cast.org)[0].due_on == TODAY + timedelta(days=30)


def test_a_course_taken_before_the_rule_existed_counts(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.rule(course, starts_on=TODAY)
    make.completion(make.person(cast.org, "E-1"), course, at=at(date(2021, 5, 1)))
    make.person(cast.org, "E-2")

    sync(cast.org)

    assert open_pairs(cast.org) == [("E-2", "SEC-1")]


# ---- new hires ----------------------------------------------------------------------------------------------------


def test_new_hires_from_the_start_day_on_are_due_due_days_after_hire(cast: Cast) -> None:
    course = make.course(cast.org, "INIT")
    make.rule(course, audience=AudienceKind.NEW_HIRES, starts_on=date(2026, 4, 1), due_days=30)
    make.person(cast.org, "E-DAY-BEFORE", hire_date=date(2026, 3, 31))
    make.person(cast.org, "E-ON", hire_date=date(2026, 4, 1))

    sync(cast.org)

    rows = open_rows(cast.org)
    assert [(r.person.employee_id, r.due_on, r.trigger_key) for r in rows] == [("E-ON", date(2026, 5, 1), "hire")]
    assert rows[0].reason == "Hired 2026-04-01 (rule “INIT for new_hires”)"


def test_a_person_without_a_hire_date_is_hired_the_day_they_were_added(cast: Cast) -> None:
    course = make.course(cast.org, "INIT")
    make.rule(course, audience=AudienceKind.NEW_HIRES, starts_on=date(2026, 4, 1), due_days=10)
    make.person(cast.org, "E-NEW", hire_date=None, created_at=at(date(2026, 4, 10)))
    make.person(cast.org, "E-OLD", hire_date=None, created_at=at(date(2026, 3, 10)))

    sync(cast.org)

    assert [(r.person.employee_id, r.due_on) for r in open_rows(cast.org)] == [("E-NEW", date(2026, 4, 20))]


# ---- movers, leavers, people on leave -----------------------------------------------------------------------------


def test_a_mover_loses_the_old_departments_assignment_and_gets_the_new_ones(cast: Cast) -> None:
    nursing, billing = make.course(cast.org, "NURSE"), make.course(cast.org, "BILL")
    make.rule(nursing, name="Nurses", audience=AudienceKind.DEPARTMENT, values=["Nursing"])
    make.rule(billing, name="Billers", audience=AudienceKind.DEPARTMENT, values=["billing"])
    dana = make.person(cast.org, "E-1", department="Nursing")
    sync(cast.org)
    old = only_open(dana, nursing)

    dana.department = "Billing"
    dana.save()
    assert sync(cast.org) == {"opened": 1, "completed": 0, "cancelled": 1}

    old.refresh_from_db()
    assert (old.status, old.close_reason, old.closed_by) == (
        Assignment.Status.CANCELLED,
        "No longer in the audience of “Nurses”",
        None,
    )
    assert open_pairs(cast.org) == [("E-1", "BILL")]
    assert events("training.assignment.cancelled")[0].changes["close_reason"] == ["", old.close_reason]


def test_a_mover_still_in_another_rules_audience_for_the_course_keeps_the_assignment(cast: Cast) -> None:
    course = make.course(cast.org, "HIPAA")
    make.rule(course, name="Nurses", audience=AudienceKind.DEPARTMENT, values=["Nursing"])
    make.rule(course, name="Clinicians", audience=AudienceKind.JOB_ROLE, values=["Nurse"])
    dana = make.person(cast.org, "E-1", department="Nursing", job_role="Nurse")
    sync(cast.org)
    dana.department = "ICU"
    dana.save()

    assert sync(cast.org)["cancelled"] == 0
    assert open_pairs(cast.org) == [("E-1", "HIPAA")]


def test_a_leaver_drops_out_and_their_manual_assignment_is_cancelled_too(cast: Cast) -> None:
    course, other = make.course(cast.org, "SEC-1"), make.course(cast.org, "SEC-2")
    make.rule(course)
    dana = make.person(cast.org, "E-1")
    sync(cast.org)
    make.assignment(dana, other, due_on=TODAY + timedelta(days=9), trigger_key="manual")

    dana.status, dana.termination_at = Person.Status.TERMINATED, timezone.now()
    dana.save()
    assert sync(cast.org) == {"opened": 0, "completed": 0, "cancelled": 2}

    closed = Assignment.objects.filter(person=dana)
    assert {(a.status, a.close_reason) for a in closed} == {(Assignment.Status.CANCELLED, "Left the organization")}


def test_people_on_leave_stay_in_the_audience(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.rule(course)
    dana = make.person(cast.org, "E-1")
    make.person(cast.org, "E-2", status=Person.Status.LEAVE)
    sync(cast.org)
    dana.status = Person.Status.LEAVE
    dana.save()

    assert sync(cast.org)["cancelled"] == 0
    assert open_pairs(cast.org) == [("E-1", "SEC-1"), ("E-2", "SEC-1")]


def test_manual_assignments_are_not_cancelled_for_being_outside_every_audience(cast: Cast) -> None:
    course = make.course(cast.org, "BILL")
    make.rule(course, audience=AudienceKind.DEPARTMENT, values=["Billing"])
    dana = make.person(cast.org, "E-1", department="Nursing")
    make.assignment(dana, course, due_on=TODAY + timedelta(days=9), trigger_key="manual")

    assert sync(cast.org) == {"opened": 0, "completed": 0, "cancelled": 0}


def test_a_switched_off_rule_neither_assigns_nor_cancels(cast: Cast) -> None:
    course = make.course(cast.org, "NURSE")
    rule = make.rule(course, audience=AudienceKind.DEPARTMENT, values=["Nursing"])
    dana = make.person(cast.org, "E-1")
    sync(cast.org)
    rule.active = False
    rule.save()
    dana.department = "Billing"
    dana.save()
    make.person(cast.org, "E-2")

    assert sync(cast.org) == {"opened": 0, "completed": 0, "cancelled": 0}
    assert open_pairs(cast.org) == [("E-1", "NURSE")]


def test_a_rule_whose_course_is_retired_assigns_no_one(cast: Cast) -> None:
    course = make.course(cast.org, "OLD", status=Course.Status.RETIRED)
    make.rule(course)
    make.person(cast.org, "E-1")

    assert sync(cast.org)["opened"] == 0


# ---- completions --------------------------------------------------------------------------------------------------


def test_an_open_assignment_a_completion_already_satisfies_is_completed(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.rule(course)
    dana = make.person(cast.org, "E-1")
    row = make.assignment(dana, course, due_on=date(2026, 5, 1), window_start=date(2026, 4, 1))
    make.completion(dana, course, at=at(date(2026, 3, 31)))  # too early for this round
    done = make.completion(dana, course, at=at(date(2026, 4, 2)))

    assert sync(cast.org) == {"opened": 0, "completed": 1, "cancelled": 0}

    row.refresh_from_db()
    assert (row.status, row.completion, row.completed_on) == (Assignment.Status.COMPLETED, done, date(2026, 4, 2))
    assert events("training.assignment.completed")[0].changes["completion"] == [None, str(done.public_id)]


def test_completed_and_excused_assignments_are_never_touched(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.rule(course, audience=AudienceKind.DEPARTMENT, values=["Billing"])
    dana = make.person(cast.org, "E-1")
    make.assignment(dana, course, due_on=date(2026, 5, 1), status=Assignment.Status.EXCUSED, trigger_key="join")
    sam = make.person(cast.org, "E-2", department="Billing")
    make.assignment(sam, course, due_on=date(2026, 5, 1), status=Assignment.Status.EXCUSED, trigger_key="join")

    assert sync(cast.org) == {"opened": 0, "completed": 0, "cancelled": 0}


# ---- yearly rounds ------------------------------------------------------------------------------------------------


def test_annual_next_round_opens_on_its_notice_day_not_the_day_before(cast: Cast) -> None:
    course = make.course(cast.org, "REFRESH")
    make.rule(course, cadence=Cadence.ANNUAL, notice_days=30)
    dana = make.person(cast.org, "E-1")
    make.completion(dana, course, at=at(date(2025, 6, 1)))

    assert sync(cast.org, date(2026, 5, 1))["opened"] == 0
    assert sync(cast.org, date(2026, 5, 2))["opened"] == 1

    row = only_open(dana, course)
    assert (row.due_on, row.window_start, row.trigger_key) == (date(2026, 6, 1), date(2025, 6, 2), "cycle:2026-06-01")


def test_a_calendar_round_opens_across_the_year_end(cast: Cast) -> None:
    course = make.course(cast.org, "YEARLY")
    make.rule(course, cadence=Cadence.CALENDAR, calendar_month=1, calendar_day=15, notice_days=30)
    dana = make.person(cast.org, "E-1")
    make.completion(dana, course, at=at(date(2026, 1, 10)))

    assert sync(cast.org, date(2026, 12, 15))["opened"] == 0
    assert sync(cast.org, date(2026, 12, 16))["opened"] == 1
    assert only_open(dana, course).due_on == date(2027, 1, 15)


# ---- several rules for one course ---------------------------------------------------------------------------------


def test_several_rules_for_one_course_open_one_assignment_due_the_earliest(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    slow = make.rule(course, name="Slow", due_days=60)
    fast = make.rule(course, name="Fast", audience=AudienceKind.DEPARTMENT, values=["Nursing"], due_days=10)
    make.person(cast.org, "E-1")
    make.person(cast.org, "E-2", department="Billing")

    sync(cast.org)

    rows = open_rows(cast.org)
    assert [(r.person.employee_id, r.rule, r.due_on) for r in rows] == [
        ("E-1", fast, TODAY + timedelta(days=10)),
        ("E-2", slow, TODAY + timedelta(days=60)),
    ]


# ---- event audiences ----------------------------------------------------------------------------------------------


def test_each_click_is_its_own_round_and_a_completion_between_two_clicks_answers_the_first(cast: Cast) -> None:
    course = make.course(cast.org, "PHISH-101", kind="remedial")
    make.rule(course, audience=AudienceKind.PHISHING_CLICKERS, due_days=14, starts_on=date(2026, 1, 1))
    dana = make.person(cast.org, "E-1")
    march = make.campaign(cast.org, "March", launched_at=at(date(2026, 3, 2)))
    april = make.campaign(cast.org, "April", launched_at=at(date(2026, 4, 6)))
    first = make.phishing_result(
        march, dana.email, person=dana, status=PhishingOutcome.CLICKED, clicked_at=at(date(2026, 3, 3))
    )
    make.phishing_result(april, dana.email, person=dana, status=PhishingOutcome.SENT)

    sync(cast.org, date(2026, 3, 4))
    row = only_open(dana, course)
    assert (row.trigger_key, row.due_on, row.window_start) == (
        f"phish:{first.public_id}",
        date(2026, 3, 18),
        date(2026, 3, 3),
    )
    assert row.reason == "Clicked in the phishing simulation “March” on 2026-03-03"

    make.completion(dana, course, at=at(date(2026, 3, 10)))
    second = make.phishing_result(
        april, "other@clinic.test", person=dana, status=PhishingOutcome.SUBMITTED, submitted_at=at(date(2026, 4, 7))
    )
    assert sync(cast.org, date(2026, 4, 8)) == {"opened": 1, "completed": 1, "cancelled": 0}
    row = only_open(dana, course)
    assert (row.trigger_key, row.due_on) == (f"phish:{second.public_id}", date(2026, 4, 22))


def test_clicks_imported_weeks_later_are_due_due_days_after_the_import_not_overdue_at_once(cast: Cast) -> None:
    course = make.course(cast.org, "PHISH-101", kind="remedial")
    make.rule(course, audience=AudienceKind.PHISHING_CLICKERS, due_days=14, starts_on=date(2026, 1, 1))
    dana = make.person(cast.org, "E-1")
    march = make.campaign(cast.org, "March", launched_at=at(date(2026, 3, 2)))
    make.phishing_result(
        march, dana.email, person=dana, status=PhishingOutcome.CLICKED, clicked_at=at(date(2026, 3, 3))
    )

    sync(cast.org, date(2026, 4, 15))  # the results arrive six weeks after the click

    row = only_open(dana, course)
    assert (row.window_start, row.assigned_on, row.due_on) == (date(2026, 3, 3), date(2026, 4, 15), date(2026, 4, 29))
    assert sync(cast.org, date(2026, 4, 16)) == {"opened": 0, "completed": 0, "cancelled": 0}
    make.completion(dana, course, at=at(date(2026, 3, 20)))  # taken on its own after the click: it answers
    assert sync(cast.org, date(2026, 4, 16))["completed"] == 1


def test_clicks_in_campaigns_launched_before_the_start_are_not_assigned(cast: Cast) -> None:
    course = make.course(cast.org, "PHISH-101")
    make.rule(course, audience=AudienceKind.PHISHING_CLICKERS, starts_on=date(2026, 3, 2))
    dana = make.person(cast.org, "E-1")
    old = make.campaign(cast.org, "Feb", launched_at=at(date(2026, 3, 1)))
    make.phishing_result(old, dana.email, person=dana, status=PhishingOutcome.CLICKED, clicked_at=at(date(2026, 3, 3)))

    assert sync(cast.org)["opened"] == 0


def test_a_sanctioned_person_gets_a_confidential_assignment_whose_reason_stays_out_of_the_trail(cast: Cast) -> None:
    course = make.course(cast.org, "REMEDIAL")
    make.rule(course, audience=AudienceKind.SANCTIONED, starts_on=date(2026, 1, 1), due_days=20)
    nurse = make.person(cast.org, "E-1", email="Nurse@clinic.test")
    sanction = SanctionRecord.objects.create(
        organization=cast.org,
        person_name="Nurse",
        person=cast.workforce,
        occurred_on=date(2026, 4, 1),
        decided_on=date(2026, 4, 3),
        violation="Shared a password",
        policy_breached="Passwords",
        level=SanctionLevel.WRITTEN_WARNING,
        decided_by=cast.official,
        created_by=cast.official,
    )

    sync(cast.org)

    row = only_open(nurse, course)
    assert (row.confidential, row.trigger_key, row.window_start, row.due_on) == (
        True,
        f"sanction:{sanction.public_id}",
        date(2026, 4, 3),
        TODAY + timedelta(days=20),  # from the day it is assigned: never overdue at once
    )
    changes = events("training.assignment.opened")[0].changes
    assert changes["confidential"] == [None, True]
    assert "reason" not in changes and "trigger_key" not in changes


def test_people_holding_a_privileged_account_are_assigned(cast: Cast) -> None:
    course = make.course(cast.org, "ADMIN")
    make.rule(course, audience=AudienceKind.PRIVILEGED)
    admin, user, former = (make.person(cast.org, code) for code in ("E-1", "E-2", "E-3"))
    ehr = access.system(cast.org, "EHR")
    access.snapshot(
        ehr,
        [
            {"username": "admin", "person": admin, "privileged": True},
            {"username": "user", "person": user},
            {"username": "former", "person": former, "privileged": True, "status": AccountStatus.DISABLED},
        ],
    )

    sync(cast.org)

    assert open_pairs(cast.org) == [("E-1", "ADMIN")]


# ---- the roster signal --------------------------------------------------------------------------------------------


def test_moving_someone_on_the_roster_re_evaluates_the_rules_after_the_commit(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    nursing, billing = make.course(cast.org, "NURSE"), make.course(cast.org, "BILL")
    make.rule(nursing, audience=AudienceKind.DEPARTMENT, values=["Nursing"], starts_on=date(2020, 1, 1))
    make.rule(billing, audience=AudienceKind.DEPARTMENT, values=["Billing"], starts_on=date(2020, 1, 1))
    dana = make.person(cast.org, "E-1")
    sync(cast.org, timezone.localdate())

    with django_capture_on_commit_callbacks(execute=True):
        person_write(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            person=dana,
            values={"department": "Billing"},
            source=Person.Source.MANUAL,
            trigger="test",
        )

    assert open_pairs(cast.org) == [("E-1", "BILL")]


# ---- query counts -------------------------------------------------------------------------------------------------


def _roster(cast: Cast, count: int, prefix: str) -> None:
    for n in range(count):
        make.person(cast.org, f"{prefix}-{n}", department="Nursing" if n % 2 else "Billing")


def _rules(cast: Cast) -> None:
    make.rule(make.course(cast.org, "A"), name="Everyone")
    make.rule(make.course(cast.org, "B"), name="Billing", audience=AudienceKind.DEPARTMENT, values=["Billing"])
    make.rule(make.course(cast.org, "C"), name="Hires", audience=AudienceKind.NEW_HIRES, starts_on=date(2019, 1, 1))
    make.rule(make.course(cast.org, "D"), name="Yearly", cadence=Cadence.ANNUAL)
    make.rule(make.course(cast.org, "E"), name="Clickers", audience=AudienceKind.PHISHING_CLICKERS)
    make.rule(make.course(cast.org, "F"), name="Admins", audience=AudienceKind.PRIVILEGED)


def test_the_evaluation_takes_the_same_queries_for_10_or_200_people(cast: Cast) -> None:
    _rules(cast)
    make.assignment(make.person(cast.org, "WARM"), Course.objects.get(code="F"), due_on=TODAY)
    sync(cast.org)  # the organization's first audit event starts its chain: a one-time cost

    _roster(cast, 10, "S")
    small_first, small_again = counted(lambda: sync(cast.org)), counted(lambda: sync(cast.org))
    _roster(cast, 190, "L")
    large_first, large_again = counted(lambda: sync(cast.org)), counted(lambda: sync(cast.org))

    # A run with nothing to do; then a run opening 4 assignments a person (3 rules for everyone, 1 for half).
    assert small_again == large_again == (small_again[0], 0, 0)
    assert small_again[0] <= 15
    assert small_first[0] == large_first[0]
    # Assignments go in by many rows a statement: SQLite's 999-parameter limit takes ~40 rows each, PostgreSQL all.
    assert small_first[2] == 1 and large_first[2] <= 700 // 40 + 1
    # One audit event per opened assignment (3 statements each: the core has no bulk writer).
    assert large_first[1] == 3 * (190 * 3 + 95)
    assert Assignment.objects.filter(organization=cast.org, status=Assignment.Status.OPEN).count() == 3 * 201 + 100 + 1


def test_recording_a_sanction_assigns_the_remedial_course_after_the_commit(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    from safeguard.risk.services.sanctions import sanction_create

    course = make.course(cast.org, "REMEDIAL")
    make.rule(course, audience=AudienceKind.SANCTIONED, starts_on=date(2020, 1, 1), due_days=20)
    nurse = make.person(cast.org, "E-1", email="nurse@clinic.test")
    today = timezone.localdate()

    with django_capture_on_commit_callbacks(execute=True):
        sanction_create(
            organization=cast.org,
            actor=Actor(user=cast.official),
            person_name="Nurse",
            person=cast.workforce,
            occurred_on=today - timedelta(days=3),
            decided_on=today - timedelta(days=1),
            violation="Shared a password",
            policy_breached="Passwords",
            level=SanctionLevel.WRITTEN_WARNING,
            decided_by=cast.official,
        )

    assert only_open(nurse, course).due_on == today + timedelta(days=20)
