"""Rules, assignments and the department overview over the API: the authorization matrix (denials change nothing
and write no audit event), isolation, the error envelope, the confidential reason, filters, the evaluation request
and flat query counts."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.training.models import Assignment, AssignmentRule, AudienceKind, Course
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_training_assignments_support import events, manager_member, privacy_officer, sanction

BASE = "/api/v1/orgs/clinic/training/"
TODAY = timezone.localdate()
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
DENIED_WRITE = [("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


@pytest.fixture
def records(cast: Cast) -> dict[str, Any]:
    course = make.course(cast.org, "SEC-1", title="Security basics")
    rule = make.rule(course, name="Everyone")
    dana = make.person(cast.org, "E-1", name="Dana Reyes", department="ICU")
    row = make.assignment(dana, course, due_on=TODAY + timedelta(days=5), rule=rule, reason="Everyone (rule)")
    return {"course": course, "rule": rule, "dana": dana, "assignment": row}


def rule_url(rule: AssignmentRule, action: str = "") -> str:
    return f"{BASE}rules/{rule.public_id}/{action}"


def assignment_url(row: Assignment, action: str = "") -> str:
    return f"{BASE}assignments/{row.public_id}/{action}"


@pytest.mark.parametrize("path", ["rules/", "rule", "preview", "assignments/", "assignment", "departments/"])
@pytest.mark.parametrize(("who", "expected"), READERS)
def test_read_matrix(cast: Cast, records: dict[str, Any], path: str, who: str, expected: int) -> None:
    target = {
        "rule": rule_url(records["rule"]),
        "preview": rule_url(records["rule"], "preview/"),
        "assignment": assignment_url(records["assignment"]),
    }.get(path, f"{BASE}{path}")

    assert client_as(cast, who).get(target).status_code == expected


def test_a_manager_reads_but_does_not_write(cast: Cast, records: dict[str, Any]) -> None:
    client = api_client(manager_member(cast))
    assert client.get(f"{BASE}assignments/").status_code == 200
    assert client.post(assignment_url(records["assignment"], "excuse/"), {"reason": "x"}).status_code == 403


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE)
def test_denied_writes_change_nothing(cast: Cast, records: dict[str, Any], who: str, expected: int) -> None:
    client, rule, row = client_as(cast, who), records["rule"], records["assignment"]
    before = audit_count()
    later = (TODAY + timedelta(days=40)).isoformat()
    calls = [
        client.post(
            f"{BASE}rules/", {"name": "X", "course_id": str(records["course"].public_id), "audience": "everyone"}
        ),
        client.patch(rule_url(rule), {"name": "Renamed"}, format="json"),
        client.post(rule_url(rule, "deactivate/"), {"cancel_open": True}, format="json"),
        client.post(rule_url(rule, "activate/")),
        client.post(f"{BASE}assignments/sync/"),
        client.post(
            f"{BASE}assignments/",
            {"person_id": str(records["dana"].public_id), "course_id": str(records["course"].public_id)},
        ),
        client.post(assignment_url(row, "excuse/"), {"reason": "x"}),
        client.post(assignment_url(row, "cancel/"), {"reason": "x"}),
        client.post(assignment_url(row, "extend/"), {"reason": "x", "due_on": later}),
    ]

    assert {response.status_code for response in calls} == {expected}
    assert audit_count() == before
    assert list(AssignmentRule.objects.values_list("name", "active")) == [("Everyone", True)]
    row.refresh_from_db()
    assert (row.status, row.due_on) == (Assignment.Status.OPEN, TODAY + timedelta(days=5))


def test_another_organizations_records_are_not_found(cast: Cast, records: dict[str, Any]) -> None:
    course = make.course(cast.other_org, "X")
    rule = make.rule(course)
    row = make.assignment(make.person(cast.other_org, "X-1"), course, due_on=TODAY + timedelta(days=3))
    client = api_client(cast.owner)

    answers = [
        client.get(rule_url(rule)).status_code,
        client.get(rule_url(rule, "preview/")).status_code,
        client.patch(rule_url(rule), {"name": "Mine"}, format="json").status_code,
        client.post(rule_url(rule, "deactivate/")).status_code,
        client.get(assignment_url(row)).status_code,
        client.post(assignment_url(row, "excuse/"), {"reason": "x"}).status_code,
        client.post(assignment_url(row, "extend/"), {"reason": "x", "due_on": "2030-01-01"}).status_code,
        api_client(cast.outsider).get("/api/v1/orgs/other/training/assignments/").json()["count"],
    ]

    assert answers == [404, 404, 404, 404, 404, 404, 404, 1]
    assert [r["public_id"] for r in client.get(f"{BASE}rules/").json()["results"]] == [str(records["rule"].public_id)]


def test_another_organizations_person_or_course_is_a_bad_input(cast: Cast, records: dict[str, Any]) -> None:
    foreign = make.course(cast.other_org, "X")
    client = api_client(cast.owner)
    due = (TODAY + timedelta(days=3)).isoformat()

    by_course = client.post(
        f"{BASE}assignments/",
        {
            "person_id": str(records["dana"].public_id),
            "course_id": str(foreign.public_id),
            "due_on": due,
            "reason": "r",
        },
    )
    rule = client.post(f"{BASE}rules/", {"name": "X", "course_id": str(foreign.public_id), "audience": "everyone"})

    assert error_of(by_course)["fields"] == {"course_id": ["No such course in this organization."]}
    assert error_of(rule)["fields"] == {"course_id": ["No such course in this organization."]}


# ---- rules --------------------------------------------------------------------------------------------------------


def test_create_a_rule_and_read_it(cast: Cast, records: dict[str, Any]) -> None:
    client = api_client(cast.official)
    body = {
        "name": "ICU staff",
        "course_id": str(records["course"].public_id),
        "audience": "department",
        "audience_values": ["ICU"],
        "cadence": "calendar",
        "calendar_month": 1,
        "calendar_day": 31,
        "notice_days": 45,
    }

    created = client.post(f"{BASE}rules/", body, format="json")

    assert created.status_code == 201
    data = created.json()
    assert (data["audience_text"], data["cadence"], data["calendar_day"], data["open_assignments"]) == (
        "People in these departments: ICU",
        "calendar",
        31,
        0,
    )
    assert data["starts_on"] == TODAY.isoformat()
    assert events("training.rule.created")[0].object_id == data["public_id"]


def test_a_bad_rule_is_refused_in_the_envelope(cast: Cast, records: dict[str, Any]) -> None:
    body = {"name": "Clickers", "course_id": str(records["course"].public_id), "audience": "phishing_clickers"}

    response = api_client(cast.owner).post(f"{BASE}rules/", {**body, "cadence": "annual"}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "cadence": ["Clicks and sanctions are one-off events: their rules take the cadence “Once”."]
    }
    assert AssignmentRule.objects.count() == 1


def test_patch_activate_deactivate_and_preview(cast: Cast, records: dict[str, Any]) -> None:
    client, rule = api_client(cast.owner), records["rule"]
    make.person(cast.org, "E-2", name="Sam Ito")

    patched = client.patch(rule_url(rule), {"due_days": 10}, format="json")
    refused = client.patch(rule_url(rule), {"active": False}, format="json")
    preview = client.get(rule_url(rule, "preview/")).json()
    off = client.post(rule_url(rule, "deactivate/"), {"cancel_open": True}, format="json")
    on = client.post(rule_url(rule, "activate/"))

    assert patched.json()["due_days"] == 10
    assert error_of(refused)["fields"] == {"active": ["Switch a rule on or off with activate and deactivate."]}
    assert preview["count"] == 1 and [p["name"] for p in preview["people"]] == ["Sam Ito"]
    assert off.json()["active"] is False and on.json()["active"] is True
    records["assignment"].refresh_from_db()
    assert records["assignment"].status == Assignment.Status.CANCELLED


def test_the_evaluation_request_is_accepted_and_runs(
    cast: Cast, records: dict[str, Any], django_capture_on_commit_callbacks
) -> None:
    make.person(cast.org, "E-2")

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(cast.owner).post(f"{BASE}assignments/sync/")

    assert response.status_code == 202
    assert response.json() == {"detail": "The rules are being evaluated."}
    assert Assignment.objects.filter(person__employee_id="E-2", status=Assignment.Status.OPEN).exists()


# ---- assignments --------------------------------------------------------------------------------------------------


def test_assign_excuse_extend_and_cancel(cast: Cast, records: dict[str, Any]) -> None:
    client = api_client(cast.owner)
    other = make.course(cast.org, "SEC-2")
    due, later = (TODAY + timedelta(days=9)).isoformat(), (TODAY + timedelta(days=20)).isoformat()
    body = {"person_id": str(records["dana"].public_id), "course_id": str(other.public_id), "due_on": due}

    created = client.post(f"{BASE}assignments/", {**body, "reason": "Asked"}, format="json")
    twice = client.post(f"{BASE}assignments/", {**body, "reason": "Again"}, format="json")
    row = Assignment.objects.get(public_id=created.json()["public_id"])
    extended = client.post(assignment_url(row, "extend/"), {"due_on": later, "reason": "Leave"}, format="json")
    cancelled = client.post(assignment_url(row, "cancel/"), {"reason": "Wrong course"}, format="json")
    refused = client.post(assignment_url(records["assignment"], "cancel/"), {"reason": "x"}, format="json")
    excused = client.post(assignment_url(records["assignment"], "excuse/"), {"reason": "Elsewhere"}, format="json")

    assert created.status_code == 201 and created.json()["rule"] is None
    assert error_of(twice)["fields"]["course_id"][0].startswith("Dana Reyes already has an open assignment")
    assert extended.json()["due_on"] == later
    assert (cancelled.json()["status"], cancelled.json()["close_reason"]) == ("cancelled", "Wrong course")
    assert error_of(refused)["message"].startswith("The active rule “Everyone” made this assignment")
    assert excused.json()["status"] == "excused"


def test_filters_and_overdue(cast: Cast, records: dict[str, Any]) -> None:
    course = records["course"]
    late = make.assignment(
        make.person(cast.org, "E-2", name="Ann Late", department="icu"), course, due_on=TODAY - timedelta(days=1)
    )
    make.assignment(make.person(cast.org, "E-3", department="Lab"), course, due_on=TODAY - timedelta(days=1))
    client = api_client(cast.auditor)

    overdue = client.get(f"{BASE}assignments/", {"department": "ICU", "overdue": "true"}).json()
    by_course = client.get(f"{BASE}assignments/", {"course_id": str(course.public_id), "person": "dana"}).json()
    bad = client.get(f"{BASE}assignments/", {"status": "lost"})

    assert [(r["public_id"], r["overdue"]) for r in overdue["results"]] == [(str(late.public_id), True)]
    assert [r["person"]["name"] for r in by_course["results"]] == ["Dana Reyes"]
    assert error_of(bad)["fields"] == {"status": ['"lost" is not a valid choice.']}


@pytest.mark.parametrize(("who", "shown"), [("privacy", True), ("auditor", False), ("manager", False)])
def test_a_confidential_reason_trigger_and_rule_show_only_to_sanctions_readers(
    cast: Cast, who: str, shown: bool
) -> None:
    course = make.course(cast.org, "REM")
    rule = make.rule(course, name="After a sanction", audience=AudienceKind.SANCTIONED)
    row = make.assignment(
        make.person(cast.org, "E-1"),
        course,
        due_on=TODAY,
        rule=rule,
        confidential=True,
        reason="Named in a sanction decided on X",
        trigger_key="sanction:abc",
    )
    plain = make.assignment(make.person(cast.org, "E-2"), course, due_on=TODAY + timedelta(days=1), reason="Asked")
    user = {"privacy": privacy_officer, "manager": manager_member}.get(who, lambda c: c.auditor)(cast)
    client = api_client(user)

    detail = client.get(assignment_url(row)).json()
    listed = client.get(f"{BASE}assignments/").json()["results"]
    other = client.get(assignment_url(plain)).json()

    for data in (detail, listed[0]):
        seen = (data["reason"], data["trigger_key"], data["rule"], data["confidential"])
        if shown:
            assert seen == (
                "Named in a sanction decided on X",
                "sanction:abc",
                {"public_id": str(rule.public_id), "name": "After a sanction"},
                True,
            )
        else:
            assert seen == ("Assigned by the security official", "", None, None)
    # For non-readers the flag is null on every assignment: it tells them nothing.
    assert other["confidential"] is (False if shown else None)
    assert listed[1]["public_id"] == str(plain.public_id)


@pytest.mark.parametrize(("who", "shown"), [("privacy", True), ("auditor", False), ("manager", False)])
def test_a_sanction_rules_preview_names_people_only_to_sanctions_readers(cast: Cast, who: str, shown: bool) -> None:
    rule = make.rule(make.course(cast.org, "REM"), audience=AudienceKind.SANCTIONED, starts_on=date(2026, 1, 1))
    make.person(cast.org, "E-1", name="Nora Nurse", email="nurse@clinic.test")
    sanction(cast, cast.workforce, date(2026, 2, 1))
    sanction(cast, None, date(2026, 2, 2))
    user = {"privacy": privacy_officer, "manager": manager_member}.get(who, lambda c: c.auditor)(cast)

    preview = api_client(user).get(rule_url(rule, "preview/")).json()

    assert preview["count"] == 1
    if shown:
        assert [p["name"] for p in preview["people"]] == ["Nora Nurse"] and preview["names_hidden"] is False
        assert preview["unlinked_sanctions"] == {"since": "2026-01-01", "no_user": 1, "no_roster_match": 0}
    else:
        assert (preview["people"], preview["names_hidden"], preview["unlinked_sanctions"]) == ([], True, None)


def test_a_roster_rules_preview_names_people_to_every_program_viewer(cast: Cast, records: dict[str, Any]) -> None:
    make.person(cast.org, "E-2", name="Sam Ito")

    preview = api_client(manager_member(cast)).get(rule_url(records["rule"], "preview/")).json()

    assert [p["name"] for p in preview["people"]] == ["Sam Ito"]
    assert (preview["names_hidden"], preview["unlinked_sanctions"]) == (False, None)


def test_departments_overview(cast: Cast, records: dict[str, Any]) -> None:
    make.assignment(make.person(cast.org, "E-2", department="Lab"), records["course"], due_on=TODAY - timedelta(days=3))

    rows = api_client(cast.auditor).get(f"{BASE}departments/").json()["results"]

    assert [(r["department"], r["people"], r["open"], r["overdue"], r["on_time_rate"]) for r in rows] == [
        ("ICU", 1, 1, 0, None),
        ("Lab", 1, 1, 1, 0),
    ]


def test_list_query_counts_do_not_grow(cast: Cast) -> None:
    client = api_client(cast.owner)
    course = make.course(cast.org, "SEC-1")
    rule = make.rule(course)

    def fill(start: int, stop: int) -> None:
        for n in range(start, stop):
            someone = make.person(cast.org, f"E-{n}", department=f"D{n % 5}")
            make.assignment(someone, course, due_on=TODAY, rule=rule, completion=make.completion(someone, course))
            make.rule(make.course(cast.org, f"C-{n}"), name=f"R{n}")

    fill(0, 3)
    paths = [f"{BASE}assignments/", f"{BASE}rules/", f"{BASE}departments/"]
    with CaptureQueriesContext(connection) as few:
        assert all(client.get(path).status_code == 200 for path in paths)
    fill(3, 30)
    with CaptureQueriesContext(connection) as many:
        assert all(client.get(path).status_code == 200 for path in paths)

    assert len(many) == len(few)


def test_rules_are_listed_by_name(cast: Cast) -> None:
    for name in ("b", "A", "c"):
        make.rule(make.course(cast.org, name), name=name, audience=AudienceKind.EVERYONE)
    Course.objects.update(status=Course.Status.PUBLISHED)

    names = [r["name"] for r in api_client(cast.auditor).get(f"{BASE}rules/").json()["results"]]

    assert names == ["A", "b", "c"]
