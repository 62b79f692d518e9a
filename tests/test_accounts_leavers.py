"""A leaver's account that comes to light after the leaver workflow was planned (a list imported later, an account
assigned by hand) gets its deprovisioning task: open while the account is enabled, completed at once when the list
shows it disabled on a stated date. A done workflow of the last 90 days is reopened for an enabled account, so
the leaver report shows the breach."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.access.models import Account, System, account_key
from safeguard.access.services.designations import account_designate
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from safeguard.workforce.services.people import person_write
from safeguard.workforce.services.sla import State, leaver_sla
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_accounts_support import commit, ehr, leaver, lines

HEADER = "username,employee_id,roles,status,disabled_at"
TERMINATED = datetime(2026, 2, 10, 17, 0, tzinfo=UTC)
Deprovision = WorkflowTask.Kind.DEPROVISION


def gone(cast: Cast, terminated_at: datetime, employee_id: str = "E-901") -> Person:
    """Someone terminated through person_write while no list of the EHR was known: the workflow lists no account."""
    actor = Actor(user=cast.owner)
    values = {"employee_id": employee_id, "given_name": "Sam", "family_name": f"Ode {employee_id}"}
    person, _ = person_write(
        organization=cast.org,
        actor=actor,
        person=None,
        values=values,
        source=Person.Source.MANUAL,
        trigger="test",
        open_workflows=False,
        now=terminated_at - timedelta(days=30),
    )
    person_write(
        organization=cast.org,
        actor=actor,
        person=person,
        values={"termination_at": terminated_at},
        source=Person.Source.MANUAL,
        trigger="test",
        now=terminated_at,
    )
    return person


def workflow_of(person: Person) -> Workflow:
    return Workflow.objects.get(person=person, kind=Workflow.Kind.LEAVER)


def tasks(system: System, username: str) -> list[WorkflowTask]:
    return list(WorkflowTask.objects.filter(kind=Deprovision, subject_key=account_key(system.pk, username)))


def closed(person: Person, at: datetime) -> Workflow:
    """The workflow marked done, as if every step had been completed by `at`."""
    workflow = workflow_of(person)
    workflow.tasks.update(status=WorkflowTask.Status.DONE, completed_at=at)
    Workflow.objects.filter(pk=workflow.pk).update(status=Workflow.Status.DONE, closed_at=at)
    return workflow


def test_an_enabled_account_in_a_later_list_gets_its_task_in_the_open_workflow(cast: Cast) -> None:
    system = ehr(cast)
    person = gone(cast, TERMINATED)
    assert not tasks(system, "sode")

    _, outcome = commit(cast, lines("SOde,E-901,clinician;orders,active,", header=HEADER), taken_at="2026-02-12T09:00")

    [task] = tasks(system, "sode")
    assert task.workflow == workflow_of(person)
    assert (task.status, task.due_at) == (WorkflowTask.Status.OPEN, TERMINATED + timedelta(hours=24))
    assert (task.title, task.detail) == ("Disable EHR account SOde", "Roles: clinician, orders.")
    assert task.position > 0
    assert outcome.result["deprovisioning_added"] == 1
    event = AuditEvent.objects.get(action="workforce.task.added")
    assert (event.object_id, event.actor) == (str(task.public_id), cast.owner)
    assert event.changes["subject_key"] == [None, account_key(system.pk, "sode")]


def test_an_account_the_list_shows_disabled_is_recorded_and_completed_with_its_delay(cast: Cast) -> None:
    system = ehr(cast)
    gone(cast, TERMINATED)

    _, outcome = commit(
        cast, lines("sode,E-901,,disabled,2026-02-11 05:00", header=HEADER), taken_at="2026-02-12T09:00"
    )

    [task] = tasks(system, "sode")
    assert (task.status, task.effective_at) == (WorkflowTask.Status.DONE, datetime(2026, 2, 11, 5, tzinfo=UTC))
    assert task.elapsed_seconds == 12 * 3600
    assert task.note == "Seen disabled in the EHR list of 2026-02-12 09:00"
    assert (outcome.result["deprovisioning_added"], outcome.result["deprovisioning_observed"]) == (1, 1)


def test_a_disabled_account_without_a_date_is_not_measured(cast: Cast) -> None:
    system = ehr(cast)
    gone(cast, TERMINATED)

    commit(cast, lines("sode,E-901,,disabled,", header=HEADER), taken_at="2026-02-12T09:00")

    assert tasks(system, "sode") == []


def test_the_same_list_twice_adds_the_task_once(cast: Cast) -> None:
    system = ehr(cast)
    gone(cast, TERMINATED)
    text = lines("sode,E-901,,active,", header=HEADER)

    commit(cast, text, taken_at="2026-02-12T09:00")
    _, outcome = commit(cast, text, taken_at="2026-02-13T09:00")

    assert len(tasks(system, "sode")) == 1
    assert outcome.result["deprovisioning_added"] == 0


def test_an_account_planned_when_the_workflow_opened_is_not_added_again(cast: Cast) -> None:
    system = ehr(cast)
    leaver(cast, system, username="lpark", terminated_at=TERMINATED)

    commit(cast, lines("lpark,E-900,,active,", header=HEADER), taken_at="2026-02-12T09:00")

    assert len(tasks(system, "lpark")) == 1
    assert not AuditEvent.objects.filter(action="workforce.task.added").exists()


def test_accounts_of_people_still_working_get_no_task(cast: Cast) -> None:
    system = ehr(cast)
    make.person(cast.org, "E-5", name="Dana Reyes")

    commit(cast, lines("dreyes,E-5,,active,", header=HEADER))

    assert tasks(system, "dreyes") == []


def test_an_older_list_imported_late_adds_nothing(cast: Cast) -> None:
    system = ehr(cast)
    gone(cast, TERMINATED)
    make.snapshot(system, [{"username": "other"}], taken_at=datetime(2026, 2, 20, tzinfo=UTC))

    commit(cast, lines("sode,E-901,,active,", header=HEADER), taken_at="2026-02-12T09:00")

    assert tasks(system, "sode") == []


def test_a_done_workflow_of_the_last_90_days_is_reopened_and_the_report_shows_the_breach(cast: Cast) -> None:
    system = ehr(cast)
    now = timezone.now()
    terminated = now - timedelta(days=20)
    person = gone(cast, terminated)
    workflow = closed(person, terminated + timedelta(hours=2))

    commit(cast, lines("sode,E-901,,active,", header=HEADER), taken_at=now - timedelta(hours=1))

    workflow.refresh_from_db()
    assert (workflow.status, workflow.closed_at) == (Workflow.Status.OPEN, None)
    [task] = tasks(system, "sode")
    assert (task.workflow, task.status) == (workflow, WorkflowTask.Status.OPEN)
    event = AuditEvent.objects.get(action="workforce.workflow.reopened")
    assert event.changes["status"] == ["done", "open"]
    assert event.changes["reason"] == [None, "The leaver's EHR sode account is still enabled."]
    [row] = [row for row in leaver_sla(cast.org, now=now).rows if row.task == task]
    assert row.state == State.OVERDUE


def test_a_done_workflow_and_a_disabled_account_stay_done(cast: Cast) -> None:
    system = ehr(cast)
    now = timezone.now()
    terminated = (now - timedelta(days=20)).replace(second=0, microsecond=0)
    workflow = closed(gone(cast, terminated), terminated + timedelta(hours=2))
    disabled = timezone.localtime(terminated + timedelta(hours=3), timezone.get_fixed_timezone(0))

    text = lines(f"sode,E-901,,disabled,{disabled:%Y-%m-%d %H:%M}", header=HEADER)
    commit(cast, text, taken_at=now - timedelta(hours=1))

    workflow.refresh_from_db()
    assert workflow.status == Workflow.Status.DONE
    [task] = tasks(system, "sode")
    assert (task.status, task.elapsed_seconds) == (WorkflowTask.Status.DONE, 3 * 3600)


def test_a_workflow_done_more_than_90_days_ago_is_left_alone(cast: Cast) -> None:
    system = ehr(cast)
    now = timezone.now()
    terminated = now - timedelta(days=120)
    workflow = closed(gone(cast, terminated), terminated + timedelta(hours=2))

    commit(cast, lines("sode,E-901,,active,", header=HEADER), taken_at=now - timedelta(hours=1))

    workflow.refresh_from_db()
    assert workflow.status == Workflow.Status.DONE
    assert tasks(system, "sode") == []


def test_an_account_assigned_by_hand_to_a_leaver_gets_its_task(cast: Cast) -> None:
    system = ehr(cast)
    person = gone(cast, TERMINATED)
    snapshot = make.snapshot(
        system, [{"username": "s.ode", "roles": ["billing"]}], taken_at=TERMINATED + timedelta(days=2)
    )
    account = snapshot.accounts.get()

    account_designate(
        organization=cast.org, actor=Actor(user=cast.official), account=account, classification="person", person=person
    )

    [task] = tasks(system, "s.ode")
    assert (task.workflow, task.status, task.detail) == (
        workflow_of(person),
        WorkflowTask.Status.OPEN,
        "Roles: billing.",
    )
    assert AuditEvent.objects.get(action="workforce.task.added").actor == cast.official


def test_a_disabled_account_assigned_by_hand_is_completed_at_once(cast: Cast) -> None:
    system = ehr(cast)
    person = gone(cast, TERMINATED)
    disabled_at = TERMINATED + timedelta(hours=30)
    account: Account = make.snapshot(
        system,
        [{"username": "s.ode", "status": "disabled", "disabled_at": disabled_at}],
        taken_at=TERMINATED + timedelta(days=2),
    ).accounts.get()

    account_designate(
        organization=cast.org, actor=Actor(user=cast.owner), account=account, classification="person", person=person
    )

    [task] = tasks(system, "s.ode")
    assert (task.status, task.elapsed_seconds) == (WorkflowTask.Status.DONE, 30 * 3600)
    assert task.note == "Seen disabled in the EHR list of 2026-02-12 17:00"


def _import_queries(cast: Cast, count: int, offset: int) -> int:
    rows = [f"user{offset + n},E-{offset + n},,active," for n in range(count)]
    with CaptureQueriesContext(connection) as queries:
        commit(cast, lines("sode,E-901,,active,", *rows, header=HEADER), taken_at=f"2026-02-{12 + offset // 100}T09:00")
    return len(queries)


def test_leavers_cost_the_same_queries_for_3_or_30_accounts(cast: Cast) -> None:
    system = ehr(cast)
    gone(cast, TERMINATED)
    for n in [*range(100, 103), *range(200, 230)]:
        make.person(cast.org, f"E-{n}", termination_at=TERMINATED)  # left, but no workflow: nothing to track
    commit(cast, lines("sode,E-901,,active,", header=HEADER), taken_at="2026-02-11T09:00")

    assert _import_queries(cast, 3, 100) == _import_queries(cast, 30, 200)
    assert len(tasks(system, "sode")) == 1


@pytest.mark.parametrize("status", ["active", "disabled"])
def test_an_account_without_a_person_is_never_a_leavers(cast: Cast, status: str) -> None:
    system = ehr(cast)
    gone(cast, TERMINATED)

    commit(cast, lines(f"svc-backup,,,{status},2026-02-11 05:00", header=HEADER), taken_at="2026-02-12T09:00")

    assert WorkflowTask.objects.filter(kind=Deprovision, workflow__organization=system.organization).count() == 0
