"""person_write: how a roster change is classified (joiner, mover, leaver, rehire, update) and which workflow,
with which tasks, it opens — including the access app's steps from role profiles and held accounts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from safeguard.access.models import AccountStatus, account_key
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import IssuedItem, Person, Workflow, WorkflowTask, WorkforceSettings
from safeguard.workforce.services.people import person_write
from tests import access_factories as make
from tests.conftest import Cast

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
Kind = Workflow.Kind
TaskKind = WorkflowTask.Kind


def write(cast: Cast, person: Person | None, **values: object) -> tuple[Person, str]:
    written, change = person_write(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        person=person,
        values=values,
        source=Person.Source.MANUAL,
        trigger="test",
        now=NOW,
    )
    return written, change.kind


def tasks_of(workflow: Workflow) -> list[tuple[str, str]]:
    return list(workflow.tasks.order_by("position").values_list("kind", "status"))


def test_a_new_person_is_a_joiner_with_authorization_acknowledgements_training_and_provisioning(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)], requires_clearance=True)
    manager, _ = write(cast, None, employee_id="M1", given_name="Mia", family_name="Stone", email="so@clinic.test")
    person, kind = write(cast, None, employee_id="E1", given_name="Ann", job_role="Nurse", manager=manager)
    assert kind == Kind.JOINER
    workflow = Workflow.objects.get(person=person)
    assert [k for k, _ in tasks_of(workflow)] == [
        TaskKind.AUTHORIZE,
        TaskKind.CLEARANCE,
        TaskKind.ACK_SANCTION,
        TaskKind.ACK_SECURITY,
        TaskKind.TRAINING,
        TaskKind.PROVISION,
    ]
    authorize = workflow.tasks.get(kind=TaskKind.AUTHORIZE)
    assert authorize.assignee == cast.official  # the manager's Safeguard account, found by email
    assert "clinician" in workflow.tasks.get(kind=TaskKind.PROVISION).detail
    assert authorize.due_at == NOW + timedelta(days=14)


def test_without_a_profile_requiring_clearance_there_is_no_clearance_task(cast: Cast) -> None:
    person, _ = write(cast, None, employee_id="E1", given_name="Ann", job_role="Clerk")
    kinds = [k for k, _ in tasks_of(Workflow.objects.get(person=person))]
    assert TaskKind.CLEARANCE not in kinds and TaskKind.PROVISION not in kinds


def test_a_change_of_department_role_or_manager_is_a_mover_with_the_access_to_add_and_remove(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    billing = make.system(cast.org, "Billing")
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)])
    make.profile(cast.org, "Billers", job_role="Biller", grants=[(billing, "claims", False), (ehr, "read-only", False)])
    person, _ = write(cast, None, employee_id="E1", job_role="Nurse")
    moved, kind = write(cast, person, job_role="Biller", department="Billing")
    assert kind == Kind.MOVER
    mover = Workflow.objects.get(person=moved, kind=Kind.MOVER)
    assert mover.changes["job_role"] == ["Nurse", "Biller"]
    details = dict(mover.tasks.filter(kind=TaskKind.CHANGE_ACCESS).values_list("title", "detail"))
    assert details == {
        "Change Billing access for E1": "To match the new role: add claims.",
        "Change EHR access for E1": "To match the new role: add read-only; remove clinician.",
    }


def test_a_termination_opens_a_leaver_workflow_with_one_deprovisioning_task_per_enabled_account(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    person, _ = write(cast, None, employee_id="E1", given_name="Ann")
    make.snapshot(
        ehr,
        [
            {"username": "ann", "person": person, "roles": ["clinician"]},
            {"username": "ann-old", "person": person, "status": AccountStatus.DISABLED},
        ],
    )
    IssuedItem.objects.create(organization=cast.org, person=person, kind=IssuedItem.Kind.BADGE, label="B-12")
    terminated_at = NOW - timedelta(hours=2)
    left, kind = write(cast, person, termination_at=terminated_at)
    assert (kind, left.status) == (Kind.LEAVER, Person.Status.TERMINATED)
    leaver = Workflow.objects.get(person=left, kind=Kind.LEAVER)
    assert (leaver.termination_at, leaver.sla_hours) == (terminated_at, 24)
    deprovision = leaver.tasks.get(kind=TaskKind.DEPROVISION)
    assert deprovision.subject_key == account_key(ehr.pk, "ann")
    assert deprovision.due_at == terminated_at + timedelta(hours=24)
    assert list(leaver.tasks.filter(kind=TaskKind.RECOVER).values_list("title", flat=True)) == ["Recover badge B-12"]
    assert Workflow.objects.get(person=left, kind=Kind.JOINER).status == Workflow.Status.CANCELLED


def test_the_leaver_target_in_force_when_the_workflow_opened_is_kept(cast: Cast) -> None:
    WorkforceSettings.objects.create(organization=cast.org, leaver_sla_hours=1)
    person, _ = write(cast, None, employee_id="E1")
    write(cast, person, termination_at=NOW)
    assert Workflow.objects.get(person=person, kind=Kind.LEAVER).sla_hours == 1


def test_a_future_termination_opens_the_leaver_workflow_on_notice_but_the_person_stays_active(cast: Cast) -> None:
    person, _ = write(cast, None, employee_id="E1")
    notice, kind = write(cast, person, termination_at=NOW + timedelta(days=10))
    assert (kind, notice.status) == (Kind.LEAVER, Person.Status.ACTIVE)


def test_a_corrected_termination_time_moves_the_clock_and_remeasures(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    person, _ = write(cast, None, employee_id="E1")
    make.snapshot(ehr, [{"username": "e1", "person": person}])
    write(cast, person, termination_at=NOW - timedelta(hours=5))
    task = WorkflowTask.objects.get(kind=TaskKind.DEPROVISION)
    task.effective_at = NOW
    task.elapsed_seconds = 5 * 3600
    task.save()
    person.refresh_from_db()
    _, kind = write(cast, person, termination_at=NOW - timedelta(hours=30))
    assert kind == "update"
    task.refresh_from_db()
    assert (task.elapsed_seconds, task.due_at) == (30 * 3600, NOW - timedelta(hours=6))
    assert AuditEvent.objects.filter(action="workforce.workflow.retimed").count() == 1


def test_a_rehire_is_a_joiner_again(cast: Cast) -> None:
    person, _ = write(cast, None, employee_id="E1", termination_at=NOW - timedelta(days=400))
    assert not Workflow.objects.filter(person=person).exists()  # left long ago: recorded, no workflow
    back, kind = write(cast, person, termination_at=None)
    assert (kind, back.status) == (Kind.JOINER, Person.Status.ACTIVE)


def test_a_person_added_already_terminated_recently_is_a_leaver(cast: Cast) -> None:
    _, kind = write(cast, None, employee_id="E1", termination_at=NOW - timedelta(days=3))
    assert kind == Kind.LEAVER


def test_an_unchanged_write_records_nothing_and_a_correction_is_an_update(cast: Cast) -> None:
    person, _ = write(cast, None, employee_id="E1", email="a@clinic.test")
    events = AuditEvent.objects.count()
    assert write(cast, person, email="a@clinic.test")[1] == "unchanged"
    assert AuditEvent.objects.count() == events
    assert write(cast, person, email="ann@clinic.test")[1] == "update"
    assert Workflow.objects.filter(person=person).count() == 1  # only the joiner


def test_an_initial_load_records_people_without_workflows(cast: Cast) -> None:
    person_write(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        person=None,
        values={"employee_id": "E1"},
        source=Person.Source.ROSTER,
        trigger="first roster",
        open_workflows=False,
        now=NOW,
    )
    assert Person.objects.filter(organization=cast.org).count() == 1
    assert not Workflow.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"employee_id": ""}, "employee_id", "Give the employee id"),
        ({"employee_id": "E1", "email": "nope"}, "email", "'nope' is not an email address."),
        (
            {"employee_id": "E1", "hire_date": date(2026, 6, 1), "termination_at": NOW.replace(month=5)},
            "termination_at",
            "The termination (2026-05-01) is before the hire date (2026-06-01).",
        ),
    ],
)
def test_bad_values_are_refused_naming_the_field(cast: Cast, values: dict, field: str, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        write(cast, None, **values)
    assert refused.value.field == field and refused.value.message.startswith(message)
    assert not Person.objects.exists()


def test_a_person_cannot_manage_themselves(cast: Cast) -> None:
    person, _ = write(cast, None, employee_id="E1")
    with pytest.raises(ServiceError, match="cannot be their own manager"):
        write(cast, person, manager=person)


def test_other_organizations_people_cannot_be_written(cast: Cast) -> None:
    stranger = Person.objects.create(organization=cast.other_org, employee_id="X1")
    with pytest.raises(ServiceError, match="No such person"):
        write(cast, stranger, department="ICU")


def test_each_write_is_audited_with_its_field_changes(cast: Cast) -> None:
    person, _ = write(cast, None, employee_id="E1", department="ICU")
    write(cast, person, department="Billing")
    event = AuditEvent.objects.filter(action="workforce.person.updated").get()
    assert event.changes == {"department": ["ICU", "Billing"]}
    assert timezone.is_aware(person.updated_at)


def test_recording_an_item_recovered_completes_the_leavers_task_and_completing_the_task_records_the_item(
    cast: Cast,
) -> None:
    from safeguard.workforce.services.roster import item_recover
    from safeguard.workforce.services.tasks import task_complete

    person, _ = write(cast, None, employee_id="E1")
    badge = IssuedItem.objects.create(organization=cast.org, person=person, kind=IssuedItem.Kind.BADGE, label="B-1")
    laptop = IssuedItem.objects.create(organization=cast.org, person=person, kind=IssuedItem.Kind.DEVICE, label="L-9")
    write(cast, person, termination_at=NOW - timedelta(hours=1))
    tasks = {t.subject_key: t for t in WorkflowTask.objects.filter(kind=TaskKind.RECOVER)}

    item_recover(
        organization=cast.org, actor=Actor(user=cast.owner), item=badge, recovered_at=NOW - timedelta(minutes=5)
    )
    badge_task = WorkflowTask.objects.get(pk=tasks[f"item:{badge.pk}"].pk)
    assert (badge_task.status, badge_task.effective_at) == (WorkflowTask.Status.DONE, NOW - timedelta(minutes=5))

    laptop_task = WorkflowTask.objects.get(pk=tasks[f"item:{laptop.pk}"].pk)
    task_complete(organization=cast.org, actor=Actor(user=cast.owner), task=laptop_task)
    laptop.refresh_from_db()
    assert laptop.recovered_at is not None
    assert (
        AuditEvent.objects.filter(action="workforce.task.completed", object_id=str(laptop_task.public_id)).count() == 1
    )


# ---- a notice withdrawn, a rehire, a second departure ----------------------------------------------------------


def leaver_on_an_account(cast: Cast, termination_at: datetime) -> tuple[Person, Workflow]:
    ehr = make.system(cast.org, "EHR")
    person, _ = write(cast, None, employee_id="E1", given_name="Ann")
    make.snapshot(ehr, [{"username": "ann", "person": person}])
    person, _ = write(cast, person, termination_at=termination_at)
    return person, Workflow.objects.get(person=person, kind=Kind.LEAVER)


def test_a_withdrawn_notice_cancels_the_leaver_workflow_and_opens_no_joiner(cast: Cast) -> None:
    person, notice = leaver_on_an_account(cast, NOW + timedelta(days=10))

    stays, kind = write(cast, person, termination_at=None)

    assert (kind, stays.status) == ("update", Person.Status.ACTIVE)
    notice.refresh_from_db()
    assert (notice.status, notice.cancel_reason) == (Workflow.Status.CANCELLED, "Termination withdrawn")
    assert not Workflow.objects.filter(person=person, kind=Kind.JOINER, status=Workflow.Status.OPEN).exists()
    event = AuditEvent.objects.filter(action="workforce.workflow.cancelled", object_id=str(notice.public_id)).get()
    assert event.changes["reason"] == [None, "Termination withdrawn"]


def test_a_withdrawn_notice_leaves_no_account_task_to_breach_the_target(cast: Cast) -> None:
    from safeguard.workforce.services.sla import leaver_sla

    person, _ = leaver_on_an_account(cast, NOW + timedelta(days=10))
    write(cast, person, termination_at=None)

    report = leaver_sla(cast.org, now=NOW + timedelta(days=30))

    assert (report.leavers, report.breaches) == ([], [])


def test_a_withdrawn_notice_with_a_new_department_is_a_mover(cast: Cast) -> None:
    person, notice = leaver_on_an_account(cast, NOW + timedelta(days=10))

    _, kind = write(cast, person, termination_at=None, department="Billing")

    assert kind == Kind.MOVER
    notice.refresh_from_db()
    assert notice.status == Workflow.Status.CANCELLED


def test_a_rehire_cancels_the_leaver_workflow_still_open(cast: Cast) -> None:
    person, leaving = leaver_on_an_account(cast, NOW - timedelta(days=2))

    back, kind = write(cast, person, termination_at=None)

    assert (kind, back.status) == (Kind.JOINER, Person.Status.ACTIVE)
    leaving.refresh_from_db()
    assert (leaving.status, leaving.cancel_reason) == (Workflow.Status.CANCELLED, "Rehired")
    assert Workflow.objects.get(person=person, kind=Kind.JOINER, status=Workflow.Status.OPEN)


def test_a_rehire_in_an_initial_load_still_cancels_the_open_leaver_workflow(cast: Cast) -> None:
    person, leaving = leaver_on_an_account(cast, NOW - timedelta(days=2))

    person_write(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        person=person,
        values={"termination_at": None},
        source=Person.Source.ROSTER,
        trigger="roster",
        open_workflows=False,
        now=NOW,
    )

    leaving.refresh_from_db()
    assert leaving.status == Workflow.Status.CANCELLED


def test_a_second_departure_opens_a_new_leaver_workflow_measured_from_its_own_termination(cast: Cast) -> None:
    from safeguard.workforce.services.workflows import workflow_open

    first_end = NOW - timedelta(days=60)
    person, first = leaver_on_an_account(cast, first_end)
    # A leaver workflow left open from before rehires cancelled them: the next departure must not reuse it.
    Person.objects.filter(pk=person.pk).update(termination_at=None, status=Person.Status.ACTIVE)
    person.refresh_from_db()
    second_end = NOW - timedelta(hours=3)
    person.termination_at = second_end
    person.save()

    second = workflow_open(
        organization=cast.org, actor=Actor(user=cast.owner), person=person, kind=Kind.LEAVER, trigger="t", now=NOW
    )

    assert second.pk != first.pk
    assert second.termination_at == second_end
    assert second.tasks.get(kind=TaskKind.DEPROVISION).due_at == second_end + timedelta(hours=24)
    first.refresh_from_db()
    assert first.status == Workflow.Status.CANCELLED
    assert first.termination_at == first_end  # the first departure keeps its own clock


def test_an_open_leaver_workflow_for_the_same_termination_is_reused(cast: Cast) -> None:
    from safeguard.workforce.services.workflows import workflow_open

    person, first = leaver_on_an_account(cast, NOW - timedelta(hours=3))

    again = workflow_open(
        organization=cast.org, actor=Actor(user=cast.owner), person=person, kind=Kind.LEAVER, trigger="t", now=NOW
    )

    assert again.pk == first.pk


# ---- one employee id and one user name per person ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"employee_id": "E1"}, "employee_id", "Employee ID E1 already belongs to Ann Lee."),
        (
            {"employee_id": "E2", "user_name": "ANN.LEE"},
            "user_name",
            "The user name 'ANN.LEE' already belongs to Ann Lee (E1); user names are compared whatever their case.",
        ),
    ],
)
def test_an_employee_id_or_user_name_taken_is_refused_naming_the_field(
    cast: Cast, values: dict, field: str, message: str
) -> None:
    write(cast, None, employee_id="E1", given_name="Ann", family_name="Lee", user_name="ann.lee")

    with pytest.raises(ServiceError) as refused:
        write(cast, None, **values)

    assert (refused.value.field, refused.value.message) == (field, message)
    assert Person.objects.count() == 1


def test_taking_another_persons_user_name_on_an_update_is_refused(cast: Cast) -> None:
    write(cast, None, employee_id="E1", given_name="Ann", family_name="Lee", user_name="ann.lee")
    other, _ = write(cast, None, employee_id="E2")

    with pytest.raises(ServiceError) as refused:
        write(cast, other, user_name="Ann.Lee")

    assert refused.value.field == "user_name"


def test_a_person_keeps_their_own_user_name_and_another_organization_may_use_it(cast: Cast) -> None:
    person, _ = write(cast, None, employee_id="E1", user_name="ann.lee")
    Person.objects.create(organization=cast.other_org, employee_id="E9", user_name="pat")

    assert write(cast, person, user_name="ANN.LEE", department="ICU")[1] == Kind.MOVER
    assert write(cast, None, employee_id="E9", user_name="PAT")[1] == Kind.JOINER
