"""Completing and waiving workflow tasks: the rules of each kind of task (each refusal with its message), the
records tasks leave (authorizations, clearances, measured disablements, recovered items), the workflow closing
itself, who may complete and who may waive, and the audit trail."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import (
    Authorization,
    Clearance,
    IssuedItem,
    Workflow,
    WorkflowTask,
    WorkforceSettings,
)
from safeguard.workforce.services.tasks import (
    authorization_enter,
    clearance_record,
    deprovision_observed,
    step_observed,
    task_complete,
    task_waive,
)
from safeguard.workforce.services.workflows import workforce_settings_update
from tests import access_factories as factories
from tests.conftest import Cast
from tests.test_workflows_support import TaskKind, actor, events, joiner, leaver, member, set_status, task_of

Status = WorkflowTask.Status


def complete(cast: Cast, task: WorkflowTask, **values: object) -> WorkflowTask:
    return task_complete(organization=cast.org, actor=actor(cast.official), task=task, **values)  # type: ignore[arg-type]


def provisioning_joiner(cast: Cast, *, clearance: bool = False) -> Workflow:
    ehr = factories.system(cast.org, "EHR")
    factories.profile(
        cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "clinician", False)], requires_clearance=clearance
    )
    return joiner(cast)


# ---- a joiner's steps -------------------------------------------------------------------------------------------


def test_a_joiner_workflow_has_the_people_and_access_steps(cast: Cast) -> None:
    workflow = provisioning_joiner(cast, clearance=True)

    kinds = list(workflow.tasks.order_by("position").values_list("kind", flat=True))

    assert kinds == [
        TaskKind.AUTHORIZE,
        TaskKind.CLEARANCE,
        TaskKind.ACK_SANCTION,
        TaskKind.ACK_SECURITY,
        TaskKind.TRAINING,
        TaskKind.PROVISION,
    ]


def test_authorizing_records_an_authorization_by_the_person_who_completed_it(cast: Cast) -> None:
    workflow = provisioning_joiner(cast)

    complete(cast, task_of(workflow, TaskKind.AUTHORIZE), note="Standard nursing access.")

    authorization = Authorization.objects.get(person=workflow.person)
    assert (authorization.basis, authorization.authorized_by, authorization.note) == (
        Authorization.Basis.JOINER,
        cast.official,
        "Standard nursing access.",
    )
    event = events("workforce.task.completed")[-1]
    assert event.changes["authorization"] == [None, str(authorization.public_id)]
    assert events("workforce.authorization.recorded")[-1].changes["basis"] == [None, "joiner"]


def test_provisioning_is_refused_before_the_managers_authorization(cast: Cast) -> None:
    workflow = provisioning_joiner(cast)

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.PROVISION))

    title = task_of(workflow, TaskKind.AUTHORIZE).title
    assert refused.value.message == f"Provisioning needs the manager's authorization first: complete “{title}”."
    assert task_of(workflow, TaskKind.PROVISION).status == Status.OPEN


def test_provisioning_is_refused_while_a_required_clearance_is_open(cast: Cast) -> None:
    workflow = provisioning_joiner(cast, clearance=True)
    set_status(workflow, TaskKind.AUTHORIZE, Status.DONE)
    set_status(workflow, TaskKind.TRAINING, Status.DONE)

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.PROVISION))

    title = task_of(workflow, TaskKind.CLEARANCE).title
    assert refused.value.message == f"Provisioning needs a passed clearance first: complete “{title}”."


def test_provisioning_is_refused_after_a_failed_clearance(cast: Cast) -> None:
    workflow = provisioning_joiner(cast, clearance=True)
    set_status(workflow, TaskKind.AUTHORIZE, Status.DONE)
    set_status(workflow, TaskKind.TRAINING, Status.DONE)
    complete(cast, task_of(workflow, TaskKind.CLEARANCE), clearance_result="failed", completed_on=timezone.localdate())

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.PROVISION))

    assert refused.value.message == "The clearance result is failed: access cannot be provisioned."


def test_provisioning_is_refused_before_training(cast: Cast) -> None:
    workflow = provisioning_joiner(cast)
    set_status(workflow, TaskKind.AUTHORIZE, Status.DONE)

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.PROVISION))

    title = task_of(workflow, TaskKind.TRAINING).title
    assert refused.value.message == (
        f"Training comes before access to ePHI: complete “{title}” first, or have the security official or an "
        "owner waive it as a recorded, approved exception."
    )


def test_provisioning_goes_ahead_after_authorization_passed_clearance_and_waived_training(cast: Cast) -> None:
    workflow = provisioning_joiner(cast, clearance=True)
    complete(cast, task_of(workflow, TaskKind.AUTHORIZE))
    complete(cast, task_of(workflow, TaskKind.CLEARANCE), clearance_result="passed", completed_on=timezone.localdate())
    task_waive(
        organization=cast.org,
        actor=actor(cast.official),
        task=task_of(workflow, TaskKind.TRAINING),
        reason="Emergency staffing: training booked for Monday.",
    )

    done = complete(cast, task_of(workflow, TaskKind.PROVISION))

    assert done.status == Status.DONE


def test_a_clearance_not_needed_does_not_hold_provisioning(cast: Cast) -> None:
    workflow = provisioning_joiner(cast, clearance=True)
    set_status(workflow, TaskKind.CLEARANCE, Status.NOT_NEEDED)
    set_status(workflow, TaskKind.AUTHORIZE, Status.DONE)
    set_status(workflow, TaskKind.TRAINING, Status.DONE)

    assert complete(cast, task_of(workflow, TaskKind.PROVISION)).status == Status.DONE


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({}, "clearance_result", "Record the clearance result: passed or failed."),
        (
            {"clearance_result": "pending"},
            "clearance_result",
            "A pending clearance cannot complete the task: record the result when it comes back.",
        ),
        ({"clearance_result": "maybe"}, "clearance_result", "Use passed or failed."),
        ({"clearance_result": "passed"}, "completed_on", "Give the date the result came back."),
        (
            {"clearance_result": "passed", "completed_on": date(2999, 1, 1)},
            "completed_on",
            "The result date cannot be in the future.",
        ),
        (
            {"clearance_result": "passed", "completed_on": date(1980, 1, 1)},
            "completed_on",
            "The result date cannot be before 1990-01-01.",
        ),
        (
            {"clearance_result": "passed", "completed_on": date(2026, 1, 5), "clearance_kind": " "},
            "clearance_kind",
            "Say what the clearance was, e.g. a background check.",
        ),
    ],
)
def test_a_clearance_task_needs_a_result_and_its_date(
    cast: Cast, values: dict[str, object], field: str, message: str
) -> None:
    workflow = provisioning_joiner(cast, clearance=True)

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.CLEARANCE), **values)

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not Clearance.objects.exists()
    assert task_of(workflow, TaskKind.CLEARANCE).status == Status.OPEN


def test_a_clearance_task_records_the_clearance(cast: Cast) -> None:
    workflow = provisioning_joiner(cast, clearance=True)

    complete(
        cast,
        task_of(workflow, TaskKind.CLEARANCE),
        clearance_result="passed",
        completed_on=date(2026, 1, 5),
        clearance_kind="State license check",
        note="Clean.",
    )

    clearance = Clearance.objects.get(person=workflow.person)
    assert (clearance.kind, clearance.result, clearance.completed_on, clearance.recorded_by) == (
        "State license check",
        "passed",
        date(2026, 1, 5),
        cast.official,
    )
    assert events("workforce.clearance.recorded")[-1].changes["result"] == [None, "passed"]


# ---- a leaver's accounts ----------------------------------------------------------------------------------------


def test_disabling_an_account_measures_the_time_since_termination(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-7", terminated, systems=[ehr])
    task = task_of(workflow, TaskKind.DEPROVISION)

    done = complete(
        cast, task, effective_at=terminated + timedelta(hours=31, minutes=12), now=terminated + timedelta(days=2)
    )

    assert (done.effective_at, done.elapsed_seconds) == (terminated + timedelta(hours=31, minutes=12), 112320)
    assert events("workforce.task.completed")[-1].changes["elapsed_seconds"] == [None, 112320]


def test_disabling_defaults_to_now(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-7", terminated, systems=[ehr])
    now = terminated + timedelta(hours=2)

    done = complete(cast, task_of(workflow, TaskKind.DEPROVISION), now=now)

    assert (done.effective_at, done.elapsed_seconds) == (now, 7200)


def test_a_disablement_in_the_future_is_refused(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-7", terminated, systems=[ehr])
    now = terminated + timedelta(hours=2)

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.DEPROVISION), effective_at=now + timedelta(minutes=5), now=now)

    assert (refused.value.field, refused.value.message) == (
        "effective_at",
        "The time it took effect cannot be in the future.",
    )


def test_a_naive_disablement_time_is_refused(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-7", terminated, systems=[ehr])

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.DEPROVISION), effective_at=datetime(2026, 6, 1, 18, 0))  # noqa: DTZ001

    assert refused.value.message == "Give the time with its time zone."


def test_the_spring_forward_hour_is_not_counted_twice(cast: Cast) -> None:
    """01:30 EST → 03:30 EDT on 8 March 2026 is one hour, though the wall clocks are two apart."""
    eastern = ZoneInfo("America/New_York")
    ehr = factories.system(cast.org, "EHR")
    terminated = datetime(2026, 3, 8, 1, 30, tzinfo=eastern)
    workflow = leaver(cast, "E-7", terminated, systems=[ehr], now=datetime(2026, 3, 9, tzinfo=UTC))

    done = complete(
        cast,
        task_of(workflow, TaskKind.DEPROVISION),
        effective_at=datetime(2026, 3, 8, 3, 30, tzinfo=eastern),
        now=datetime(2026, 3, 9, tzinfo=UTC),
    )

    assert done.elapsed_seconds == 3600


def test_deprovision_observed_measures_on_the_utc_timeline(cast: Cast) -> None:
    eastern = ZoneInfo("America/New_York")
    ehr = factories.system(cast.org, "EHR")
    workflow = leaver(cast, "E-7", datetime(2026, 3, 8, 1, 30, tzinfo=eastern), systems=[ehr])
    # The workflow keeps the termination as the person had it, before any database round trip.
    task = task_of(workflow, TaskKind.DEPROVISION)

    done = deprovision_observed(
        organization=cast.org,
        actor=actor(None),
        subject_key=task.subject_key,
        disabled_at=datetime(2026, 3, 8, 3, 30, tzinfo=eastern),
        source_note="EHR list of 8 March",
    )

    task.refresh_from_db()
    assert (done, task.status, task.elapsed_seconds) == (1, Status.DONE, 3600)


def test_the_workflow_closes_when_no_task_is_left_open(cast: Cast) -> None:
    ehr, billing = factories.system(cast.org, "EHR"), factories.system(cast.org, "Billing")
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-7", terminated, systems=[ehr, billing])
    first, second = WorkflowTask.objects.filter(workflow=workflow, kind=TaskKind.DEPROVISION).order_by("position")
    now = terminated + timedelta(hours=3)

    complete(cast, first, now=now)
    complete(cast, task_of(workflow, TaskKind.RECOVER), now=now)
    workflow.refresh_from_db()
    assert workflow.status == Workflow.Status.OPEN

    complete(cast, second, now=now)

    workflow.refresh_from_db()
    assert (workflow.status, workflow.closed_at) == (Workflow.Status.DONE, now)
    assert events("workforce.workflow.done")[-1].object_id == str(workflow.public_id)


def test_recovering_an_issued_item_marks_it_recovered(cast: Cast) -> None:
    person = factories.person(cast.org, "E-9")
    badge = IssuedItem.objects.create(organization=cast.org, person=person, kind=IssuedItem.Kind.BADGE, label="B-7")
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    from safeguard.workforce.services.people import person_write

    person_write(
        organization=cast.org,
        actor=actor(cast.owner),
        person=person,
        values={"termination_at": terminated},
        source="manual",
        trigger="test",
        now=terminated,
    )
    workflow = Workflow.objects.get(person=person, kind=Workflow.Kind.LEAVER)
    recovered_at = terminated + timedelta(hours=1)

    complete(cast, task_of(workflow, TaskKind.RECOVER), effective_at=recovered_at, now=terminated + timedelta(hours=2))

    badge.refresh_from_db()
    assert (badge.recovered_at, badge.recovered_by) == (recovered_at, cast.official)


# ---- who may complete, who may waive, and what cannot change --------------------------------------------------


def test_a_done_task_cannot_be_completed_again(cast: Cast) -> None:
    workflow = provisioning_joiner(cast)
    task = task_of(workflow, TaskKind.ACK_SANCTION)
    complete(cast, task)

    with pytest.raises(ServiceError) as refused:
        complete(cast, task)

    assert refused.value.message == "This task is already done."


def test_a_cancelled_workflows_tasks_are_closed(cast: Cast) -> None:
    workflow = provisioning_joiner(cast)
    Workflow.objects.filter(pk=workflow.pk).update(status=Workflow.Status.CANCELLED)

    with pytest.raises(ServiceError) as refused:
        complete(cast, task_of(workflow, TaskKind.ACK_SANCTION))

    assert refused.value.message == "The workflow is cancelled: its tasks are closed."


def test_the_assignee_completes_their_own_task_without_program_rights(cast: Cast) -> None:
    manager_user = member(cast.org, "boss@clinic.test", Role.WORKFORCE)
    boss = factories.person(cast.org, "M-1", email="boss@clinic.test")
    workflow = joiner(cast, manager=boss)
    task = task_of(workflow, TaskKind.AUTHORIZE)
    assert task.assignee == manager_user

    task_complete(organization=cast.org, actor=actor(manager_user), task=task)

    assert Authorization.objects.get(person=workflow.person).authorized_by == manager_user


@pytest.mark.parametrize("who", ["workforce", "auditor"])
def test_others_without_program_rights_cannot_complete(cast: Cast, who: str) -> None:
    workflow = provisioning_joiner(cast)
    before = len(events("workforce.task.completed"))

    with pytest.raises(ServiceError) as refused:
        task_complete(
            organization=cast.org, actor=actor(getattr(cast, who)), task=task_of(workflow, TaskKind.AUTHORIZE)
        )

    assert refused.value.message == "Only the task's assignee or the program's managers can complete it."
    assert len(events("workforce.task.completed")) == before
    assert not Authorization.objects.exists()


def test_the_system_cannot_complete_a_task(cast: Cast) -> None:
    workflow = provisioning_joiner(cast)

    with pytest.raises(ServiceError) as refused:
        task_complete(organization=cast.org, actor=actor(None), task=task_of(workflow, TaskKind.AUTHORIZE))

    assert refused.value.message == "Only a person can complete a task."


@pytest.mark.parametrize("who", ["owner", "official"])
def test_the_security_official_and_owners_waive(cast: Cast, who: str) -> None:
    workflow = provisioning_joiner(cast)
    task = task_of(workflow, TaskKind.TRAINING)

    waived = task_waive(organization=cast.org, actor=actor(getattr(cast, who)), task=task, reason="Approved.")

    assert (waived.status, waived.waiver_reason, waived.waived_by) == (Status.WAIVED, "Approved.", getattr(cast, who))
    assert events("workforce.task.waived")[-1].changes == {
        "status": ["open", "waived"],
        "waiver_reason": [None, "Approved."],
    }


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.MANAGER, Role.WORKFORCE, Role.AUDITOR])
def test_nobody_else_waives(cast: Cast, role: str) -> None:
    workflow = provisioning_joiner(cast)
    task = task_of(workflow, TaskKind.TRAINING)
    user = cast.auditor if role == Role.AUDITOR else member(cast.org, f"{role}@clinic.test", role)

    with pytest.raises(ServiceError) as refused:
        task_waive(organization=cast.org, actor=actor(user), task=task, reason="x")

    assert refused.value.message == "Only the security official or an owner can waive a task."
    assert task_of(workflow, TaskKind.TRAINING).status == Status.OPEN
    assert not events("workforce.task.waived")


def test_a_waiver_needs_a_reason(cast: Cast) -> None:
    workflow = provisioning_joiner(cast)

    with pytest.raises(ServiceError) as refused:
        task_waive(
            organization=cast.org, actor=actor(cast.official), task=task_of(workflow, TaskKind.TRAINING), reason=" "
        )

    assert (refused.value.field, refused.value.message) == (
        "reason",
        "Give the reason for the waiver: it is the recorded, approved exception.",
    )


def test_waiving_the_last_open_task_closes_the_workflow(cast: Cast) -> None:
    workflow = joiner(cast)  # no profile: authorize, two acknowledgements, training
    for kind in (TaskKind.AUTHORIZE, TaskKind.ACK_SANCTION, TaskKind.ACK_SECURITY):
        complete(cast, task_of(workflow, kind))

    task_waive(organization=cast.org, actor=actor(cast.owner), task=task_of(workflow, TaskKind.TRAINING), reason="Ok.")

    workflow.refresh_from_db()
    assert workflow.status == Workflow.Status.DONE


# ---- records entered by hand ------------------------------------------------------------------------------------


def test_a_clearance_is_recorded_by_hand_pending_without_a_date(cast: Cast) -> None:
    person = factories.person(cast.org, "E-3")

    clearance = clearance_record(
        organization=cast.org, actor=actor(cast.official), person=person, result="pending", completed_on=None
    )

    assert (clearance.result, clearance.completed_on) == ("pending", None)
    assert events("workforce.clearance.recorded")[-1].object_id == str(clearance.public_id)


@pytest.mark.parametrize(
    ("result", "completed_on", "field", "message"),
    [
        ("passed", None, "completed_on", "Give the date the result came back."),
        ("pending", date(2026, 1, 5), "completed_on", "A pending clearance has no result date yet."),
        ("great", date(2026, 1, 5), "result", "Use passed, failed or pending."),
    ],
)
def test_clearance_record_refusals(
    cast: Cast, result: str, completed_on: date | None, field: str, message: str
) -> None:
    person = factories.person(cast.org, "E-3")

    with pytest.raises(ServiceError) as refused:
        clearance_record(
            organization=cast.org, actor=actor(cast.official), person=person, result=result, completed_on=completed_on
        )

    assert (refused.value.field, refused.value.message) == (field, message)


def test_another_organizations_person_is_refused(cast: Cast) -> None:
    stranger = factories.person(cast.other_org, "X-1")

    with pytest.raises(ServiceError) as refused:
        clearance_record(
            organization=cast.org,
            actor=actor(cast.official),
            person=stranger,
            result="passed",
            completed_on=date(2026, 1, 5),
        )

    assert refused.value.message == "No such person."


def test_an_authorization_is_recorded_by_hand(cast: Cast) -> None:
    person = factories.person(cast.org, "E-3")
    now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)

    authorization = authorization_enter(
        organization=cast.org,
        actor=actor(cast.official),
        person=person,
        authorized_by=cast.owner,
        authorized_on=date(2024, 2, 1),
        note="Paper form in the HR file.",
        now=now,
    )

    assert authorization.basis == Authorization.Basis.RECORDED
    assert timezone.localdate(authorization.authorized_at) == date(2024, 2, 1)
    event = events("workforce.authorization.recorded")[-1]
    assert (event.actor, event.changes["authorized_by"]) == (cast.official, [None, cast.owner.email])


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"authorized_by": "auditor"}, "authorized_by", "The approver must be a current member of this organization."),
        ({"authorized_by": "outsider"}, "authorized_by", "The approver must be a current member of this organization."),
        ({"authorized_on": date(2999, 1, 1)}, "authorized_on", "The authorization date cannot be in the future."),
        ({"authorized_on": date(1980, 1, 1)}, "authorized_on", "The authorization date cannot be before 1990-01-01."),
        ({"note": " "}, "note", "Say what access was approved and where the original approval is kept."),
    ],
)
def test_authorization_enter_refusals(cast: Cast, values: dict[str, object], field: str, message: str) -> None:
    person = factories.person(cast.org, "E-3")
    arguments: dict[str, object] = {"authorized_by": cast.owner, "authorized_on": date(2024, 2, 1), "note": "Paper."}
    arguments.update(values)
    if isinstance(arguments["authorized_by"], str):
        arguments["authorized_by"] = getattr(cast, str(arguments["authorized_by"]))

    with pytest.raises(ServiceError) as refused:
        authorization_enter(organization=cast.org, actor=actor(cast.official), person=person, **arguments)  # type: ignore[arg-type]

    assert (refused.value.field, refused.value.message) == (field, message)
    assert not Authorization.objects.exists()


# ---- settings -------------------------------------------------------------------------------------------------


def test_settings_change_is_audited_and_new_leavers_get_the_new_target(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    before = leaver(cast, "E-1", datetime(2026, 6, 1, 17, 0, tzinfo=UTC), systems=[ehr])

    workforce_settings_update(organization=cast.org, actor=actor(cast.owner), leaver_sla_hours=4)
    after = leaver(cast, "E-2", datetime(2026, 6, 2, 17, 0, tzinfo=UTC), systems=[ehr])

    assert (before.sla_hours, after.sla_hours) == (24, 4)
    assert task_of(after, TaskKind.DEPROVISION).due_at == datetime(2026, 6, 2, 21, 0, tzinfo=UTC)
    assert events("workforce.settings.updated")[-1].changes == {"leaver_sla_hours": [24, 4]}


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"leaver_sla_hours": 0}, "Give a whole number of hours from 1 to 720."),
        ({"leaver_sla_hours": 721}, "Give a whole number of hours from 1 to 720."),
        ({"joiner_due_days": 0}, "Give a whole number of days from 1 to 365."),
        ({"mover_due_days": 400}, "Give a whole number of days from 1 to 365."),
    ],
)
def test_settings_out_of_range_are_refused(cast: Cast, values: dict[str, int], message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        workforce_settings_update(organization=cast.org, actor=actor(cast.owner), **values)

    assert (refused.value.field, refused.value.message) == (next(iter(values)), message)
    assert not WorkforceSettings.objects.exists()


def test_a_step_observed_done_before_the_workflow_opened_stays_open(cast: Cast) -> None:
    def local(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 3, day, hour, minute, tzinfo=timezone.get_current_timezone())

    workflow = joiner(cast, "E-100", now=local(2, 15))

    def observe(done_at: datetime) -> int:
        return step_observed(
            organization=cast.org,
            actor=actor(cast.official),
            person=workflow.person,
            kind=TaskKind.TRAINING,
            done_at=done_at,
            note="Seen.",
        )

    assert observe(local(1, 23, 59)) == 0  # the day before it opened: an earlier need
    assert task_of(workflow, TaskKind.TRAINING).status == Status.OPEN
    assert observe(local(2, 8)) == 1  # the same day, before the roster import opened it
    assert task_of(workflow, TaskKind.TRAINING).effective_at == local(2, 8)
