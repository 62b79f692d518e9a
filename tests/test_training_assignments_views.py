"""Rule and assignment pages over HTTP: who may read and act, isolation between organizations, the forms and
their errors, the confidential reason, the filters, a person's training, the department overview, and flat query
counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import AuditEvent, User
from safeguard.training import views_rules
from safeguard.training.models import Assignment, AssignmentRule, AudienceKind, Course
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast, client_for
from tests.test_training_assignments_support import manager_member, privacy_officer

TODAY = timezone.localdate()


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"training:{name}", args=[org, *args])


def who(cast: Cast, name: str) -> User:
    if name == "manager":
        return manager_member(cast)
    if name == "privacy":
        return privacy_officer(cast)
    return {
        "owner": cast.owner,
        "official": cast.official,
        "auditor": cast.auditor,
        "workforce": cast.workforce,
        "outsider": cast.outsider,
    }[name]


READERS = [("owner", 200), ("auditor", 200), ("manager", 200), ("workforce", 403), ("outsider", 404)]
WRITERS = [("owner", 200), ("privacy", 200), ("auditor", 403), ("manager", 403), ("workforce", 403), ("outsider", 404)]


@pytest.fixture
def records(cast: Cast) -> dict[str, object]:
    course = make.course(cast.org, "SEC-1", title="Security basics")
    rule = make.rule(course, name="Everyone")
    dana = make.person(cast.org, "E-1", name="Dana Reyes")
    row = make.assignment(dana, course, due_on=TODAY + timedelta(days=5), rule=rule, reason="Everyone (rule)")
    return {"course": course, "rule": rule, "dana": dana, "assignment": row}


def page_args(page: str, records: dict[str, object]) -> list[object]:
    target = {
        "rule_detail": records["rule"],
        "rule_edit": records["rule"],
        "assignment_detail": records["assignment"],
        "person_training": records["dana"],
    }.get(page)
    return [target.public_id] if target is not None else []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "page", ["rule_list", "rule_detail", "assignment_list", "assignment_detail", "person_training", "departments"]
)
@pytest.mark.parametrize(("name", "expected"), READERS)
def test_program_viewers_read_the_pages(cast: Cast, records: dict, page: str, name: str, expected: int) -> None:
    response = client_for(who(cast, name)).get(url(page, *page_args(page, records)))
    assert response.status_code == expected


@pytest.mark.parametrize("page", ["rule_create", "rule_edit", "assignment_create"])
@pytest.mark.parametrize(("name", "expected"), WRITERS)
def test_only_program_managers_open_the_forms(cast: Cast, records: dict, page: str, name: str, expected: int) -> None:
    assert client_for(who(cast, name)).get(url(page, *page_args(page, records))).status_code == expected


@pytest.mark.parametrize(("name", "expected"), [row for row in WRITERS if row[1] != 200])
def test_denied_writes_change_nothing(cast: Cast, records: dict, name: str, expected: int) -> None:
    client = client_for(who(cast, name))
    rule, row = records["rule"], records["assignment"]
    before = AuditEvent.objects.count()
    posts = [
        (url("rule_create"), {"name": "New", "course": records["course"].public_id, "audience": "everyone"}),
        (url("rule_edit", rule.public_id), {"name": "Renamed"}),
        (url("rule_deactivate", rule.public_id), {"cancel_open": "on"}),
        (url("rule_activate", rule.public_id), {}),
        (url("rules_evaluate"), {}),
        (url("assignment_create"), {"person": "E-1", "course": records["course"].public_id}),
        (url("assignment_excuse", row.public_id), {"reason": "x"}),
        (url("assignment_cancel", row.public_id), {"reason": "x"}),
        (url("assignment_extend", row.public_id), {"reason": "x", "due_on": "2030-01-01"}),
    ]

    answers = {client.post(path, data).status_code for path, data in posts}

    assert answers == {expected}
    assert AuditEvent.objects.count() == before
    assert list(AssignmentRule.objects.values_list("name", "active")) == [("Everyone", True)]
    row.refresh_from_db()
    assert (row.status, row.due_on) == (Assignment.Status.OPEN, TODAY + timedelta(days=5))


@pytest.mark.parametrize("page", ["rule_detail", "rule_edit", "assignment_detail", "person_training"])
def test_another_organizations_records_are_not_found(cast: Cast, page: str) -> None:
    course = make.course(cast.other_org, "X")
    theirs: dict[str, Any] = {
        "rule_detail": make.rule(course),
        "assignment_detail": make.assignment(make.person(cast.other_org, "X-1"), course, due_on=TODAY),
        "person_training": make.person(cast.other_org, "X-2"),
    }
    theirs["rule_edit"] = theirs["rule_detail"]
    assert client_for(cast.owner).get(url(page, theirs[page].public_id)).status_code == 404


def test_acting_on_another_organizations_assignment_is_not_found(cast: Cast) -> None:
    course = make.course(cast.other_org, "X")
    theirs = make.assignment(make.person(cast.other_org, "X-1"), course, due_on=TODAY + timedelta(days=3))
    client = client_for(cast.owner)

    answers = {
        client.post(url(f"assignment_{action}", theirs.public_id), {"reason": "x", "due_on": "2030-01-01"}).status_code
        for action in ("excuse", "cancel", "extend")
    }

    assert answers == {404}
    theirs.refresh_from_db()
    assert theirs.status == Assignment.Status.OPEN


# ---- rules --------------------------------------------------------------------------------------------------------


def test_creating_a_rule_from_the_form(cast: Cast, django_capture_on_commit_callbacks) -> None:
    course = make.course(cast.org, "BILL")
    make.person(cast.org, "E-1", department="Billing")
    data = {
        "name": "Billers",
        "course": course.public_id,
        "audience": "department",
        "audience_values": "Billing, Front desk\nbilling",
        "cadence": "once",
        "due_days": "14",
        "notice_days": "30",
        "starts_on": "2020-01-01",
        "active": "on",
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).post(url("rule_create"), data)

    rule = AssignmentRule.objects.get()
    assert response.status_code == 302 and response["Location"] == url("rule_detail", rule.public_id)
    assert rule.audience_values == ["Billing", "Front desk"]
    assert Assignment.objects.filter(rule=rule).count() == 1


def test_a_refused_rule_shows_the_message_on_its_field(cast: Cast) -> None:
    course = make.course(cast.org, "BILL")
    data = {
        "name": "Yearly",
        "course": course.public_id,
        "audience": "everyone",
        "cadence": "calendar",
        "calendar_month": "2",
        "calendar_day": "29",
        "due_days": "14",
        "notice_days": "30",
        "starts_on": "2026-01-01",
    }

    response = client_for(cast.owner).post(url("rule_create"), data)

    assert response.status_code == 200
    assert "29 February is not a date every year" in response.content.decode()
    assert 'id="id_calendar_day-errors"' in response.content.decode()
    assert not AssignmentRule.objects.exists()


def test_the_rule_page_says_who_it_would_assign_now(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    rule = make.rule(course, active=False)
    for n in range(23):
        make.person(cast.org, f"E-{n:02}", name=f"Pat Person{n:02}")
    make.assignment(Person.objects.get(employee_id="E-00"), course, due_on=TODAY)  # already holds one

    body = client_for(cast.auditor).get(url("rule_detail", rule.public_id) + "?preview=1").content.decode()

    assert "<strong>22</strong> people" in body
    assert body.count('href="/o/clinic/training/people/') == 20
    assert "Pat Person01" in body and "Pat Person00" not in body
    assert not Assignment.objects.filter(rule=rule).exists()


def test_the_rule_page_works_out_who_it_would_assign_only_when_asked(cast: Cast, monkeypatch) -> None:
    course = make.course(cast.org, "SEC-1")
    rule = make.rule(course, active=False)
    make.person(cast.org, "E-1", name="Pat Person")
    runs: list[object] = []
    real = views_rules.rule_preview_for

    def spy(*args: Any) -> Any:
        runs.append(args)
        return real(*args)

    monkeypatch.setattr(views_rules, "rule_preview_for", spy)
    client = client_for(cast.auditor)

    plain = client.get(url("rule_detail", rule.public_id)).content.decode()
    assert runs == []
    assert "Show who this would assign now" in plain and 'name="preview" value="1"' in plain
    assert "Pat Person" not in plain and "<strong>1</strong> person" not in plain

    asked = client.get(url("rule_detail", rule.public_id), {"preview": "1"}).content.decode()
    assert len(runs) == 1
    assert "<strong>1</strong> person" in asked and "Pat Person" in asked


def test_switching_a_rule_off_from_its_page_can_cancel_its_open_assignments(cast: Cast, records: dict) -> None:
    rule, row = records["rule"], records["assignment"]

    response = client_for(cast.owner).post(url("rule_deactivate", rule.public_id), {"cancel_open": "on"})

    assert response.status_code == 302
    rule.refresh_from_db()
    row.refresh_from_db()
    assert (rule.active, row.status) == (False, Assignment.Status.CANCELLED)


# ---- assignments --------------------------------------------------------------------------------------------------


def test_assigning_by_hand_from_the_form(cast: Cast, records: dict) -> None:
    other = make.course(cast.org, "SEC-2", title="Passwords")
    due = (TODAY + timedelta(days=20)).isoformat()

    response = client_for(cast.owner).post(
        url("assignment_create"),
        {"person": "e-1@clinic.test", "course": other.public_id, "due_on": due, "reason": "Asked"},
    )

    row = Assignment.objects.get(course=other)
    assert response.status_code == 302 and response["Location"] == url("assignment_detail", row.public_id)
    assert (row.person, row.assigned_by) == (records["dana"], cast.owner)


def test_a_duplicate_manual_assignment_shows_the_services_message(cast: Cast, records: dict) -> None:
    due = (TODAY + timedelta(days=20)).isoformat()
    data = {"person": "E-1", "course": records["course"].public_id, "due_on": due, "reason": "Again"}

    body = client_for(cast.owner).post(url("assignment_create"), data).content.decode()

    assert "already has an open assignment of “Security basics”" in body
    assert Assignment.objects.count() == 1


def test_extend_excuse_and_refused_cancel_from_the_detail_page(cast: Cast, records: dict) -> None:
    row, client = records["assignment"], client_for(cast.owner)
    later = (TODAY + timedelta(days=30)).isoformat()

    refused = client.post(url("assignment_cancel", row.public_id), {"reason": "Oops"}).content.decode()
    extended = client.post(url("assignment_extend", row.public_id), {"due_on": later, "reason": "Leave"})
    excused = client.post(url("assignment_excuse", row.public_id), {"reason": "Trained elsewhere"})

    assert "The active rule “Everyone” made this assignment" in refused
    assert extended.status_code == 302 and excused.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.due_on, row.close_reason) == (
        Assignment.Status.EXCUSED,
        TODAY + timedelta(days=30),
        "Trained elsewhere",
    )


@pytest.mark.parametrize(
    ("name", "shown"), [("privacy", True), ("owner", True), ("auditor", False), ("manager", False)]
)
def test_a_confidential_reason_shows_only_to_sanctions_readers(cast: Cast, name: str, shown: bool) -> None:
    course = make.course(cast.org, "REM")
    row = make.assignment(
        make.person(cast.org, "E-1"), course, due_on=TODAY, confidential=True, reason="Named in a sanction decided on X"
    )
    client = client_for(who(cast, name))

    pages = [
        client.get(url("assignment_list")).content.decode(),
        client.get(url("assignment_detail", row.public_id)).content.decode(),
        client.get(url("person_training", row.person.public_id)).content.decode(),
    ]

    for body in pages:
        assert ("Named in a sanction" in body) is shown
        assert ("Assigned by the security official" in body) is not shown


def test_the_list_filters_by_department_and_overdue(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.assignment(
        make.person(cast.org, "E-1", name="Ann Late", department="ICU"), course, due_on=TODAY - timedelta(days=1)
    )
    make.assignment(
        make.person(cast.org, "E-2", name="Bob Fine", department="icu"), course, due_on=TODAY + timedelta(days=1)
    )
    make.assignment(
        make.person(cast.org, "E-3", name="Cy Other", department="Lab"), course, due_on=TODAY - timedelta(days=1)
    )

    body = client_for(cast.owner).get(url("assignment_list"), {"department": "ICU", "overdue": "on"}).content.decode()
    by_text = client_for(cast.owner).get(url("assignment_list"), {"person": "bob"}).content.decode()

    assert "Ann Late" in body and "Bob Fine" not in body and "Cy Other" not in body
    assert "Bob Fine" in by_text and "Ann Late" not in by_text


def test_the_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    course, client = make.course(cast.org, "SEC-1"), client_for(cast.owner)
    rule = make.rule(course)

    def fill(start: int, stop: int) -> None:
        for n in range(start, stop):
            make.assignment(make.person(cast.org, f"E-{n}"), course, due_on=TODAY, rule=rule)

    fill(0, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("assignment_list")).status_code == 200
    fill(3, 30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("assignment_list")).status_code == 200

    assert len(many) == len(few)


def test_a_persons_training_page_lists_assignments_and_completions(cast: Cast, records: dict) -> None:
    make.completion(records["dana"], records["course"], score=90)

    body = client_for(cast.auditor).get(url("person_training", records["dana"].public_id)).content.decode()

    assert "Training of Dana Reyes" in body and "Security basics" in body and "90%" in body


# ---- departments --------------------------------------------------------------------------------------------------


def test_the_department_overview_counts_people_open_overdue_and_on_time(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    ann = make.person(cast.org, "E-1", department="ICU")
    bob = make.person(cast.org, "E-2", department="icu")
    make.person(cast.org, "E-3", department="Lab")
    make.person(cast.org, "E-4", department="ICU", status=Person.Status.TERMINATED)
    month_ago = TODAY - timedelta(days=30)
    make.assignment(ann, course, due_on=month_ago, status=Assignment.Status.COMPLETED, completed_on=month_ago)
    make.assignment(bob, course, due_on=month_ago, status=Assignment.Status.COMPLETED, completed_on=TODAY)
    make.assignment(ann, make.course(cast.org, "SEC-2"), due_on=TODAY - timedelta(days=2))
    make.assignment(bob, make.course(cast.org, "SEC-3"), due_on=TODAY + timedelta(days=2))
    make.assignment(bob, make.course(cast.org, "SEC-4"), due_on=month_ago, status=Assignment.Status.EXCUSED)

    response = client_for(cast.owner).get(url("departments"))

    rows = {row.department: row for row in response.context["page"].object_list}
    icu = rows["ICU"]
    assert (icu.people, icu.open, icu.overdue, icu.due_in_window, icu.on_time, icu.on_time_rate) == (2, 2, 1, 3, 1, 33)
    assert (rows["Lab"].people, rows["Lab"].on_time_rate) == (1, None)
    assert "?department=ICU&amp;overdue=on" in response.content.decode()
    assert response.context["total"].people == 3


def test_the_department_overview_query_count_does_not_grow(cast: Cast) -> None:
    course, client = make.course(cast.org, "SEC-1"), client_for(cast.owner)

    def fill(start: int, stop: int) -> None:
        for n in range(start, stop):
            someone = make.person(cast.org, f"E-{n}", department=f"Dept {n % 7}")
            make.assignment(someone, course, due_on=TODAY - timedelta(days=n))

    fill(0, 3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("departments")).status_code == 200
    fill(3, 40)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("departments")).status_code == 200

    assert len(many) == len(few)


def test_evaluating_now_from_the_rule_list(cast: Cast, records: dict, django_capture_on_commit_callbacks) -> None:
    make.person(cast.org, "E-2")
    Course.objects.filter(pk=records["course"].pk).update(status=Course.Status.PUBLISHED)
    records["rule"].starts_on = date(2020, 1, 1)
    records["rule"].save()

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).post(url("rules_evaluate"))

    assert response.status_code == 302
    assert Assignment.objects.filter(person__employee_id="E-2", status=Assignment.Status.OPEN).exists()


def test_rule_list_query_count_does_not_grow(cast: Cast) -> None:
    client = client_for(cast.owner)
    for n in range(3):
        make.rule(make.course(cast.org, f"C-{n}"), name=f"R{n}", audience=AudienceKind.DEPARTMENT, values=["A"])
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("rule_list")).status_code == 200
    for n in range(3, 30):
        make.rule(make.course(cast.org, f"C-{n}"), name=f"R{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("rule_list")).status_code == 200

    assert len(many) == len(few)
