"""Workflows over the API: reading workflows and tasks, completing and waiving tasks, the leaver target report,
clearances and authorizations per person, and the workforce settings; who may do what, isolation between
organizations, the error envelope with its specific messages, audit events, and flat query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from safeguard.core.roles import Role
from safeguard.workforce.models import Authorization, Clearance, Workflow, WorkflowTask, WorkforceSettings
from tests import access_factories as factories
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_workflows_support import TaskKind, events, joiner, leaver, member, task_of

BASE = "/api/v1/orgs/clinic/"
Status = WorkflowTask.Status


def client_for_role(cast: Cast, who: str) -> APIClient:
    roles = {"privacy": Role.PRIVACY_OFFICER, "manager": Role.MANAGER}
    if who in roles:
        return api_client(member(cast.org, f"{who}@clinic.test", roles[who]))
    return client_as(cast, who)


@pytest.fixture
def workflow(cast: Cast) -> Workflow:
    return joiner(cast)


def reads(workflow: Workflow) -> list[str]:
    person = workflow.person.public_id
    return [
        f"{BASE}workflows/",
        f"{BASE}workflows/{workflow.public_id}/",
        f"{BASE}leaver-sla/",
        f"{BASE}people/{person}/clearances/",
        f"{BASE}people/{person}/authorizations/",
        f"{BASE}settings/workforce/",
    ]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("manager", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_reads_matrix(cast: Cast, workflow: Workflow, who: str, expected: int) -> None:
    client = client_for_role(cast, who)

    statuses = {client.get(path).status_code for path in reads(workflow)}

    assert statuses == {expected}


@pytest.mark.parametrize(
    ("who", "expected"), [("workforce", 200), ("auditor", 200), ("outsider", 404), ("anonymous", 401)]
)
def test_my_tasks_is_open_to_every_member(cast: Cast, who: str, expected: int) -> None:
    boss = factories.person(cast.org, "M-1", email=cast.workforce.email)
    joiner(cast, manager=boss)

    response = client_for_role(cast, who).get(f"{BASE}workflow-tasks/mine/")

    assert response.status_code == expected
    if who == "workforce":
        assert [row["kind"] for row in response.json()["results"]] == ["authorize"]
    if who == "auditor":
        assert response.json()["results"] == []


def test_another_organizations_records_are_404(cast: Cast) -> None:
    theirs = joiner(cast, "X-1", org=cast.other_org)
    task = task_of(theirs, TaskKind.TRAINING)
    client = client_as(cast, "owner")
    before = audit_count()

    answers = [
        client.get(f"{BASE}workflows/{theirs.public_id}/").status_code,
        client.post(f"{BASE}workflow-tasks/{task.public_id}/complete/", {}).status_code,
        client.post(f"{BASE}workflow-tasks/{task.public_id}/waive/", {"reason": "x"}).status_code,
        client.get(f"{BASE}people/{theirs.person.public_id}/clearances/").status_code,
        client.post(
            f"{BASE}people/{theirs.person.public_id}/authorizations/",
            {"authorized_by": cast.owner.email, "authorized_on": "2025-01-01", "note": "x"},
        ).status_code,
    ]

    assert answers == [404] * 5
    assert task_of(theirs, TaskKind.TRAINING).status == Status.OPEN
    assert audit_count() == before


def test_the_workflow_detail_lists_its_tasks(cast: Cast, workflow: Workflow) -> None:
    body = client_as(cast, "auditor").get(f"{BASE}workflows/{workflow.public_id}/").json()

    assert body["kind"] == "joiner" and body["person"]["employee_id"] == "E-100"
    assert [task["kind"] for task in body["tasks"]] == ["authorize", "ack_sanction", "ack_security", "training"]
    assert body["tasks"][0]["overdue"] is False


def test_the_list_filters_overdue_workflows(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    joiner(cast, "E-1")
    late = leaver(cast, "E-2", timezone.now() - timedelta(hours=30), systems=[ehr])

    body = client_as(cast, "owner").get(f"{BASE}workflows/", {"overdue": "true"}).json()

    assert [row["public_id"] for row in body["results"]] == [str(late.public_id)]
    assert body["results"][0]["open_tasks"] == 2


def test_a_bad_filter_is_refused(cast: Cast) -> None:
    response = client_as(cast, "owner").get(f"{BASE}workflows/", {"kind": "visitor"})

    assert response.status_code == 400
    assert "kind" in error_of(response)["fields"]


@pytest.mark.parametrize("path", ["workflows/", "leaver-sla/"])
def test_list_queries_are_flat(cast: Cast, path: str) -> None:
    ehr = factories.system(cast.org, "EHR")
    client = client_as(cast, "owner")
    counts = []
    for start, total in ((0, 3), (3, 30)):
        for number in range(start, total):
            leaver(cast, f"E-{number}", timezone.now() - timedelta(days=number + 1), systems=[ehr])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{BASE}{path}").status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


# ---- completing and waiving ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("official", 200), ("privacy", 200), ("manager", 403), ("auditor", 403), ("workforce", 403), ("anonymous", 401)],
)
def test_complete_matrix(cast: Cast, workflow: Workflow, who: str, expected: int) -> None:
    task = task_of(workflow, TaskKind.ACK_SANCTION)
    before = audit_count()

    response = client_for_role(cast, who).post(f"{BASE}workflow-tasks/{task.public_id}/complete/", {"note": "Signed."})

    assert response.status_code == expected
    task.refresh_from_db()
    if expected == 200:
        assert (response.json()["status"], task.status) == ("done", Status.DONE)
        assert events("workforce.task.completed")[-1].changes["note"] == [None, "Signed."]
    else:
        assert task.status == Status.OPEN and audit_count() == before


def test_the_assignee_completes_over_the_api(cast: Cast) -> None:
    boss = factories.person(cast.org, "M-1", email=cast.workforce.email)
    workflow = joiner(cast, manager=boss)
    task = task_of(workflow, TaskKind.AUTHORIZE)

    response = client_as(cast, "workforce").post(f"{BASE}workflow-tasks/{task.public_id}/complete/", {}, format="json")

    assert response.status_code == 200
    assert Authorization.objects.get(person=workflow.person).authorized_by == cast.workforce


def test_a_disablement_is_measured_from_the_given_time(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    workflow = leaver(cast, "E-7", datetime(2026, 3, 8, 6, 30, tzinfo=UTC), systems=[ehr])
    task = task_of(workflow, TaskKind.DEPROVISION)

    response = client_as(cast, "official").post(
        f"{BASE}workflow-tasks/{task.public_id}/complete/", {"effective_at": "2026-03-08T03:30:00-04:00"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["elapsed_seconds"] == 3600


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"effective_at": "2026-03-08T03:30:00"}, "effective_at", "Give the time with its UTC offset"),
        ({"effective_at": "2999-01-01T00:00:00Z"}, "effective_at", "The time it took effect cannot be in the future."),
    ],
)
def test_bad_disablement_times_are_refused(cast: Cast, body: dict[str, str], field: str, message: str) -> None:
    ehr = factories.system(cast.org, "EHR")
    workflow = leaver(cast, "E-7", datetime(2026, 3, 8, 6, 30, tzinfo=UTC), systems=[ehr])
    task = task_of(workflow, TaskKind.DEPROVISION)

    response = client_as(cast, "official").post(f"{BASE}workflow-tasks/{task.public_id}/complete/", body, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"][field][0].startswith(message)
    assert task_of(workflow, TaskKind.DEPROVISION).status == Status.OPEN


def test_a_pending_clearance_cannot_complete_the_task(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    factories.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)], requires_clearance=True)
    task = task_of(joiner(cast), TaskKind.CLEARANCE)

    response = client_as(cast, "official").post(
        f"{BASE}workflow-tasks/{task.public_id}/complete/",
        {"clearance_result": "pending", "completed_on": "2026-01-05"},
        format="json",
    )

    assert response.status_code == 400
    assert error_of(response)["message"] == (
        "A pending clearance cannot complete the task: record the result when it comes back."
    )


def test_provisioning_before_authorization_is_refused(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    factories.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)])
    workflow = joiner(cast)
    task = task_of(workflow, TaskKind.PROVISION)

    response = client_as(cast, "owner").post(f"{BASE}workflow-tasks/{task.public_id}/complete/", {}, format="json")

    assert response.status_code == 400
    assert error_of(response)["message"].startswith("Provisioning needs the manager's authorization first")


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("official", 200), ("privacy", 403), ("auditor", 403), ("outsider", 404)]
)
def test_waive_matrix(cast: Cast, workflow: Workflow, who: str, expected: int) -> None:
    task = task_of(workflow, TaskKind.TRAINING)

    response = client_for_role(cast, who).post(
        f"{BASE}workflow-tasks/{task.public_id}/waive/", {"reason": "Trained at the agency."}, format="json"
    )

    assert response.status_code == expected
    assert task_of(workflow, TaskKind.TRAINING).status == (Status.WAIVED if expected == 200 else Status.OPEN)
    assert len(events("workforce.task.waived")) == (1 if expected == 200 else 0)


def test_a_waiver_needs_a_reason(cast: Cast, workflow: Workflow) -> None:
    task = task_of(workflow, TaskKind.TRAINING)

    response = client_as(cast, "owner").post(f"{BASE}workflow-tasks/{task.public_id}/waive/", {"reason": "  "})

    assert response.status_code == 400
    assert "reason" in error_of(response)["fields"]


# ---- the leaver report ------------------------------------------------------------------------------------------


def test_the_leaver_report_gives_rows_and_figures(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    leaver(cast, "E-1", timezone.now() - timedelta(hours=30), systems=[ehr], name="Sam Ortiz")

    body = client_as(cast, "auditor").get(f"{BASE}leaver-sla/").json()

    assert (body["days"], body["target_hours"], body["proposed_rule_hours"]) == (90, 24, 1)
    assert (body["leavers"], body["accounts"], body["breaches"], body["still_enabled"]) == (1, 1, 1, 1)
    [row] = body["rows"]
    assert (row["person"]["name"], row["state"], row["breach"], row["elapsed"]) == (
        "Sam Ortiz",
        "overdue",
        True,
        "still enabled after 30 h",
    )


def test_the_leaver_report_window_is_bounded(cast: Cast) -> None:
    response = client_as(cast, "owner").get(f"{BASE}leaver-sla/", {"days": 0})

    assert response.status_code == 400
    assert "days" in error_of(response)["fields"]


# ---- clearances, authorizations and settings ---------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [("official", 201), ("privacy", 201), ("manager", 403), ("auditor", 403)])
def test_record_clearance_matrix(cast: Cast, who: str, expected: int) -> None:
    person = factories.person(cast.org, "E-1")

    response = client_for_role(cast, who).post(
        f"{BASE}people/{person.public_id}/clearances/",
        {"result": "passed", "completed_on": "2025-01-05"},
        format="json",
    )

    assert response.status_code == expected
    assert Clearance.objects.count() == (1 if expected == 201 else 0)
    if expected == 201:
        assert response.json()["kind"] == "Background check"
        assert events("workforce.clearance.recorded")[-1].object_id == response.json()["public_id"]


def test_a_passed_clearance_without_date_is_refused(cast: Cast) -> None:
    person = factories.person(cast.org, "E-1")

    response = client_as(cast, "owner").post(
        f"{BASE}people/{person.public_id}/clearances/", {"result": "passed"}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"completed_on": ["Give the date the result came back."]}


def test_an_authorization_is_recorded_over_the_api(cast: Cast) -> None:
    person = factories.person(cast.org, "E-1")
    path = f"{BASE}people/{person.public_id}/authorizations/"
    client = client_as(cast, "owner")

    unknown = client.post(
        path, {"authorized_by": "nobody@clinic.test", "authorized_on": "2024-02-01", "note": "Paper."}, format="json"
    )
    made = client.post(
        path, {"authorized_by": cast.official.email, "authorized_on": "2024-02-01", "note": "Paper."}, format="json"
    )

    assert unknown.status_code == 400
    assert error_of(unknown)["fields"] == {
        "authorized_by": ["No current member of this organization matches 'nobody@clinic.test'."]
    }
    assert made.status_code == 201 and made.json()["basis"] == "recorded"
    assert client.get(path).json()["results"][0]["authorized_by"]["email"] == cast.official.email


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("official", 403), ("auditor", 403), ("outsider", 404)])
def test_settings_update_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_for_role(cast, who).patch(f"{BASE}settings/workforce/", {"leaver_sla_hours": 4}, format="json")

    assert response.status_code == expected
    if expected == 200:
        assert response.json() == {
            "leaver_sla_hours": 4,
            "joiner_due_days": 14,
            "mover_due_days": 7,
            "proposed_rule_sla_hours": 1,
        }
        assert events("workforce.settings.updated")[-1].changes == {"leaver_sla_hours": [24, 4]}
    else:
        assert not WorkforceSettings.objects.exists()


def test_a_settings_value_out_of_range_is_refused(cast: Cast) -> None:
    response = client_as(cast, "owner").patch(f"{BASE}settings/workforce/", {"mover_due_days": 0}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"mover_due_days": ["Give a whole number of days from 1 to 365."]}
