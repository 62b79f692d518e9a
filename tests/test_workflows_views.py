"""Workflow pages over HTTP: who reaches what, completing and waiving tasks through the forms, the tasks assigned
to me, the leaver target page, the settings page, clearances and authorizations entered by hand, isolation
between organizations, and flat query counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from safeguard.core.models import AuditEvent, User
from safeguard.core.roles import Role
from safeguard.workforce.models import Authorization, Clearance, Person, Workflow, WorkflowTask, WorkforceSettings
from tests import access_factories as factories
from tests.conftest import Cast, client_for
from tests.test_workflows_support import TaskKind, events, joiner, leaver, member, task_of

Status = WorkflowTask.Status


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"workforce:{name}", args=[org, *args])


def user_of(cast: Cast, who: str) -> User:
    roles = {"privacy": Role.PRIVACY_OFFICER, "manager": Role.MANAGER}
    if who in roles:
        return member(cast.org, f"{who}@clinic.test", roles[who])
    user: User = getattr(cast, who)
    return user


@pytest.fixture
def workflow(cast: Cast) -> Workflow:
    return joiner(cast)


def page_args(name: str, workflow: Workflow) -> list[object]:
    if name in ("workflow_detail",):
        return [workflow.public_id]
    if name == "task_detail":
        return [task_of(workflow, TaskKind.AUTHORIZE).public_id]
    if name.startswith(("clearance", "authorization")):
        return [workflow.person.public_id]
    return []


PROGRAM_READERS = {"owner": 200, "official": 200, "privacy": 200, "manager": 200, "auditor": 200, "workforce": 403}
PROGRAM_WRITERS = {"owner": 200, "official": 200, "privacy": 200, "manager": 403, "auditor": 403, "workforce": 403}
PAGES = {
    "workflow_list": PROGRAM_READERS,
    "workflow_detail": PROGRAM_READERS,
    "task_detail": PROGRAM_READERS,
    "leaver_sla": PROGRAM_READERS,
    "clearance_list": PROGRAM_READERS,
    "authorization_list": PROGRAM_READERS,
    "clearance_create": PROGRAM_WRITERS,
    "authorization_create": PROGRAM_WRITERS,
    "my_tasks": dict.fromkeys(PROGRAM_READERS, 200),
    "settings": {"owner": 200, "official": 403, "privacy": 403, "manager": 403, "auditor": 403, "workforce": 403},
}


@pytest.mark.parametrize(("page", "who", "expected"), [(p, w, e) for p, m in PAGES.items() for w, e in m.items()])
def test_who_reaches_each_page(cast: Cast, workflow: Workflow, page: str, who: str, expected: int) -> None:
    response = client_for(user_of(cast, who)).get(url(page, *page_args(page, workflow)))

    assert response.status_code == expected


@pytest.mark.parametrize("page", list(PAGES))
def test_another_organizations_member_gets_404(cast: Cast, workflow: Workflow, page: str) -> None:
    response = client_for(cast.outsider).get(url(page, *page_args(page, workflow)))

    assert response.status_code == 404


@pytest.mark.parametrize("page", ["workflow_detail", "task_detail", "clearance_list", "authorization_create"])
def test_another_organizations_records_are_404_in_mine(cast: Cast, workflow: Workflow, page: str) -> None:
    theirs = joiner(cast, "X-1", org=cast.other_org)

    response = client_for(cast.owner).get(url(page, *page_args(page, theirs)))

    assert response.status_code == 404


def test_the_assignee_reaches_their_task_without_program_rights(cast: Cast) -> None:
    boss = factories.person(cast.org, "M-1", email=cast.workforce.email)
    workflow = joiner(cast, manager=boss)
    task = task_of(workflow, TaskKind.AUTHORIZE)
    client = client_for(cast.workforce)

    mine = client.get(url("my_tasks"))
    detail = client.get(url("task_detail", task.public_id))
    other = client.get(url("task_detail", task_of(workflow, TaskKind.TRAINING).public_id))

    assert escape(task.title) in mine.content.decode()
    assert (detail.status_code, other.status_code) == (200, 403)
    assert b"Mark done" in detail.content and b"Waive" not in detail.content


def test_the_assignee_completes_their_task_and_returns_to_their_list(cast: Cast) -> None:
    boss = factories.person(cast.org, "M-1", email=cast.workforce.email)
    workflow = joiner(cast, manager=boss)
    task = task_of(workflow, TaskKind.AUTHORIZE)

    response = client_for(cast.workforce).post(url("task_complete", task.public_id), {"note": "Approved."})

    assert response.status_code == 302 and response["Location"] == url("my_tasks")
    assert Authorization.objects.get(person=workflow.person).authorized_by == cast.workforce


# ---- completing and waiving through the pages ------------------------------------------------------------------


def test_completing_from_the_workflow_page(cast: Cast, workflow: Workflow) -> None:
    task = task_of(workflow, TaskKind.ACK_SANCTION)
    prefix = str(task.public_id)

    response = client_for(cast.official).post(
        url("task_complete", task.public_id), {"prefix": prefix, f"{prefix}-note": "Signed on paper."}
    )

    assert response.status_code == 302 and response["Location"] == url("workflow_detail", workflow.public_id)
    task.refresh_from_db()
    assert (task.status, task.note, task.completed_by) == (Status.DONE, "Signed on paper.", cast.official)
    assert events("workforce.task.completed")[-1].actor == cast.official


def test_a_refused_provisioning_shows_why(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    factories.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)])
    workflow = joiner(cast)
    task = task_of(workflow, TaskKind.PROVISION)
    before = AuditEvent.objects.count()

    response = client_for(cast.official).post(url("task_complete", task.public_id), {})

    assert response.status_code == 200
    assert "Provisioning needs the manager&#x27;s authorization first" in response.content.decode()
    assert task_of(workflow, TaskKind.PROVISION).status == Status.OPEN
    assert AuditEvent.objects.count() == before


def test_disabling_an_account_at_a_local_time_in_a_zone(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    from zoneinfo import ZoneInfo

    eastern = ZoneInfo("America/New_York")
    workflow = leaver(cast, "E-7", datetime(2026, 3, 8, 1, 30, tzinfo=eastern), systems=[ehr])
    task = task_of(workflow, TaskKind.DEPROVISION)

    response = client_for(cast.official).post(
        url("task_complete", task.public_id), {"effective_at": "2026-03-08T03:30", "time_zone": "America/New_York"}
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.elapsed_seconds, task.effective_at) == (3600, datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    detail = client_for(cast.official).get(url("workflow_detail", workflow.public_id)).content.decode()
    assert "Elapsed since termination: <strong>1 h</strong> (target 24 h)" in detail


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"effective_at": "2026-03-08T02:30", "time_zone": "America/New_York"}, "does not exist in America/New_York"),
        ({"effective_at": "2026-11-01T01:30", "time_zone": "America/New_York"}, "happens twice in America/New_York"),
        ({"effective_at": "yesterday"}, "is not a date and time"),
        ({"effective_at": "2026-03-08T09:00", "time_zone": "Mars/Olympus"}, "Select a valid choice."),
    ],
)
def test_a_disablement_time_that_cannot_be_read_is_refused(cast: Cast, posted: dict[str, str], message: str) -> None:
    ehr = factories.system(cast.org, "EHR")
    workflow = leaver(cast, "E-7", datetime(2026, 3, 1, 12, tzinfo=UTC), systems=[ehr])
    task = task_of(workflow, TaskKind.DEPROVISION)

    response = client_for(cast.official).post(url("task_complete", task.public_id), posted)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert task_of(workflow, TaskKind.DEPROVISION).status == Status.OPEN


def test_a_clearance_task_through_the_form(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    factories.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)], requires_clearance=True)
    workflow = joiner(cast)
    task = task_of(workflow, TaskKind.CLEARANCE)
    client = client_for(cast.official)

    missing = client.post(url("task_complete", task.public_id), {"clearance_kind": "Background check"})
    done = client.post(
        url("task_complete", task.public_id),
        {"clearance_result": "passed", "completed_on": timezone.localdate().isoformat(), "clearance_kind": ""},
    )

    assert missing.status_code == 200 and b"This field is required." in missing.content
    assert done.status_code == 302
    assert Clearance.objects.get(person=workflow.person).kind == "Background check"


def test_waiving_through_the_page(cast: Cast, workflow: Workflow) -> None:
    task = task_of(workflow, TaskKind.TRAINING)

    response = client_for(cast.official).post(url("task_waive", task.public_id), {"reason": "Agency nurse, trained."})

    assert response.status_code == 302
    task.refresh_from_db()
    assert (task.status, task.waived_by) == (Status.WAIVED, cast.official)


def test_a_waiver_without_reason_is_shown_again(cast: Cast, workflow: Workflow) -> None:
    task = task_of(workflow, TaskKind.TRAINING)

    response = client_for(cast.owner).post(url("task_waive", task.public_id), {"reason": ""})

    assert response.status_code == 200 and b"This field is required." in response.content
    assert task_of(workflow, TaskKind.TRAINING).status == Status.OPEN


@pytest.mark.parametrize(
    ("who", "expected"), [("privacy", 403), ("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_denied_writes_change_nothing(cast: Cast, workflow: Workflow, who: str, expected: int) -> None:
    client = client_for(user_of(cast, who))
    task = task_of(workflow, TaskKind.TRAINING)
    before = AuditEvent.objects.count()

    waived = client.post(url("task_waive", task.public_id), {"reason": "No."})
    responses = [waived.status_code]
    if who != "privacy":  # the privacy officer manages the program: completing is theirs
        responses.append(client.post(url("task_complete", task.public_id), {"note": "x"}).status_code)
        responses.append(
            client.post(
                url("clearance_create", workflow.person.public_id), {"kind": "Check", "result": "pending"}
            ).status_code
        )
    responses.append(
        client.post(url("settings"), {"leaver_sla_hours": 1, "joiner_due_days": 1, "mover_due_days": 1}).status_code
    )

    assert set(responses) == {expected}
    assert task_of(workflow, TaskKind.TRAINING).status == Status.OPEN
    assert not Clearance.objects.exists() and not WorkforceSettings.objects.exists()
    assert AuditEvent.objects.count() == before


# ---- the lists ---------------------------------------------------------------------------------------------------


def test_the_list_filters_by_kind_status_and_overdue(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    joiner(cast, "E-1", family_name="Newcomer")
    leaver(cast, "E-2", timezone.now() - timedelta(hours=30), systems=[ehr], name="Late Leaver")
    client = client_for(cast.owner)

    leavers = client.get(url("workflow_list"), {"kind": "leaver"}).content.decode()
    overdue = client.get(url("workflow_list"), {"overdue": "on"}).content.decode()
    done = client.get(url("workflow_list"), {"status": "done"}).content.decode()

    assert "Late Leaver" in leavers and "Newcomer" not in leavers
    assert "Late Leaver" in overdue and "Newcomer" not in overdue and "overdue" in overdue
    assert "No workflow matches these filters" in done


def make_workflows(cast: Cast, count: int) -> None:
    start = Workflow.objects.count()
    for number in range(start, start + count):
        person = factories.person(cast.org, f"E-{number}")
        workflow = Workflow.objects.create(organization=cast.org, person=person, kind=Workflow.Kind.JOINER, trigger="t")
        WorkflowTask.objects.bulk_create(
            [
                WorkflowTask(organization=cast.org, workflow=workflow, kind=kind, title=kind, assignee=cast.workforce)
                for kind in (TaskKind.AUTHORIZE, TaskKind.TRAINING)
            ]
        )


@pytest.mark.parametrize("page", ["workflow_list", "my_tasks"])
def test_list_pages_take_the_same_queries_for_3_and_30_rows(cast: Cast, page: str) -> None:
    counts: list[int] = []
    for made in (3, 27):
        make_workflows(cast, made)
        client = client_for(cast.workforce if page == "my_tasks" else cast.owner)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(page))
        assert response.status_code == 200
        counts.append(len(queries))

    assert counts[0] == counts[1]


def test_the_leaver_page_shows_both_targets_and_breaches(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    leaver(cast, "E-1", timezone.now() - timedelta(hours=30), systems=[ehr], name="Sam Ortiz")

    content = client_for(cast.auditor).get(url("leaver_sla")).content.decode()

    assert "Our target is 24 h" in content and "the 2025 proposed rule would set\n1 h" in content
    assert "Sam Ortiz" in content and "still enabled after 30 h" in content and "<strong>missed</strong>" in content


@pytest.mark.parametrize("count", [2, 12])
def test_the_leaver_page_queries_are_flat(cast: Cast, count: int) -> None:
    ehr = factories.system(cast.org, "EHR")
    for number in range(count):
        leaver(cast, f"E-{number}", timezone.now() - timedelta(days=number + 1), systems=[ehr])

    client = client_for(cast.owner)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("leaver_sla"))

    assert response.status_code == 200
    assert len(queries) == 10


# ---- settings, clearances and authorizations by hand ------------------------------------------------------------


def test_the_owner_changes_the_settings(cast: Cast) -> None:
    client = client_for(cast.owner)

    refused = client.post(url("settings"), {"leaver_sla_hours": 0, "joiner_due_days": 14, "mover_due_days": 7})
    saved = client.post(url("settings"), {"leaver_sla_hours": 4, "joiner_due_days": 14, "mover_due_days": 7})

    assert refused.status_code == 200 and b"Give a whole number of hours from 1 to 720." in refused.content
    assert saved.status_code == 302
    assert WorkforceSettings.objects.get(organization=cast.org).leaver_sla_hours == 4
    assert events("workforce.settings.updated")[-1].changes == {"leaver_sla_hours": [24, 4]}


def test_a_clearance_is_recorded_from_the_page(cast: Cast) -> None:
    person = factories.person(cast.org, "E-1")
    client = client_for(cast.official)

    refused = client.post(url("clearance_create", person.public_id), {"kind": "Background check", "result": "passed"})
    saved = client.post(
        url("clearance_create", person.public_id),
        {"kind": "Background check", "result": "passed", "completed_on": "2025-01-05"},
    )

    assert b"Give the date the result came back." in refused.content
    assert saved.status_code == 302 and saved["Location"] == url("clearance_list", person.public_id)
    assert "2025-01-05" in client.get(url("clearance_list", person.public_id)).content.decode()


def test_an_authorization_is_recorded_from_the_page(cast: Cast) -> None:
    person: Person = factories.person(cast.org, "E-1")
    client = client_for(cast.official)

    refused = client.post(
        url("authorization_create", person.public_id),
        {"authorized_by": str(cast.auditor.public_id), "authorized_on": "2024-02-01", "note": "Paper."},
    )
    saved = client.post(
        url("authorization_create", person.public_id),
        {"authorized_by": str(cast.owner.public_id), "authorized_on": "2024-02-01", "note": "Paper form, HR file."},
    )

    assert refused.status_code == 200 and b"Select a valid choice." in refused.content
    assert saved.status_code == 302
    authorization = Authorization.objects.get(person=person)
    assert (authorization.authorized_by, authorization.basis) == (cast.owner, "recorded")
    assert "Paper form, HR file." in client.get(url("authorization_list", person.public_id)).content.decode()


@pytest.mark.parametrize("page", ["workflow_detail", "task_detail"])
def test_a_joiners_pages_take_the_same_queries_for_3_and_30_provisioning_tasks(cast: Cast, page: str) -> None:
    counts: list[int] = []
    for systems in (3, 30):
        role = f"Role {systems}"
        grants = [(factories.system(cast.org, f"{role} system {n}"), "user", False) for n in range(systems)]
        factories.profile(cast.org, role, job_role=role, grants=grants)
        workflow = joiner(cast, f"E-{systems}", job_role=role)
        assert workflow.tasks.filter(kind=TaskKind.PROVISION).count() == systems
        provision = workflow.tasks.filter(kind=TaskKind.PROVISION).order_by("position").first()
        assert provision is not None
        target = workflow.public_id if page == "workflow_detail" else provision.public_id
        client = client_for(cast.owner)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(page, target))
        assert response.status_code == 200
        assert "Provisioning needs the manager&#x27;s authorization first" in response.content.decode()
        counts.append(len(queries))

    assert counts[0] == counts[1]
