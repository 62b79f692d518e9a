"""Completing and waiving workflow tasks, and the records some of them leave: authorizations, clearances, measured
disablements.

The rules of the joiner steps come from the Security Rule: access to ePHI is provisioned only once the manager has
authorized it (164.308(a)(3)(ii)(A)), a clearance the role requires came back passed (164.308(a)(3)(ii)(B)), and the
required training is done or its exception approved. A leaver's account task records when the account was really
disabled; the elapsed time from termination is what the leaver target is judged on.

Nobody approves their own access: the member who is the workflow's person (same email, queries.user_for_person)
cannot complete its authorization or clearance, nor waive any of its steps, and an authorization entered by hand
is neither approved nor entered by the person it authorizes.

Functions other modules call: `deprovision_observed` (an account list shows a leaver's account disabled or gone),
`recovery_observed` (an issued item is recorded as recovered), `step_observed` (the training app saw the person
finish their required training or acknowledge a policy) and `authorization_record` (an access review's keep
decision authorizes a person's access).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.dates import EARLIEST
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm, Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Authorization, Clearance, IssuedItem, Person, Workflow, WorkflowTask
from safeguard.workforce.queries import user_for_person

TaskKind = WorkflowTask.Kind
TaskStatus = WorkflowTask.Status
OPEN = TaskStatus.OPEN
NOTE_LIMIT = 5000
TRAINING_FIRST = (
    "Training comes before access to ePHI: complete “{title}” first, or have the security official or an owner "
    "waive it as a recorded, approved exception."
)


NOT_BY_THE_PERSON = {
    TaskKind.AUTHORIZE: (
        "You cannot authorize your own access to ePHI: your manager or another program manager must approve it."
    ),
    TaskKind.CLEARANCE: "You cannot record your own clearance: someone else must complete this task.",
}
OWN_WAIVER = (
    "You cannot waive “{title}”: it is about you, so another security official or an owner must approve the exception."
)


def elapsed_seconds(start: datetime, end: datetime) -> int:
    """Seconds from `start` to `end`, measured on the UTC timeline. Python subtracts two datetimes that share a
    tzinfo by their wall clocks, which would make 01:30 EST → 03:30 EDT on the spring-forward day two hours."""
    return int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds())


def _member(organization: Organization, user: User | None) -> Membership | None:
    if user is None:
        return None
    return Membership.objects.current().filter(organization=organization, user=user).first()


def may_complete(membership: Membership | None, task: WorkflowTask) -> bool:
    """The task's assignee while a current member (not an auditor), or those who manage the program."""
    if membership is None or membership.role == Role.AUDITOR:
        return False
    return task.assignee_id == membership.user_id or membership.has(Perm.MANAGE_PROGRAM)


def may_waive(membership: Membership | None) -> bool:
    return membership is not None and membership.has(Perm.SIGN_DECISIONS)


def is_the_person(organization: Organization, user: User | None, person: Person) -> bool:
    """Whether `user` is the member who is `person`: the one who may not approve their own access."""
    return user is not None and user_for_person(organization, person) == user


def own_step_refusal(task: WorkflowTask, *, waiving: bool = False) -> str:
    """Why the workflow's own person may not complete (or waive) this task, or "" when they may."""
    if waiving:
        return OWN_WAIVER.format(title=task.title)
    return NOT_BY_THE_PERSON.get(TaskKind(task.kind), "")


def _lock_open(organization: Organization, task: WorkflowTask) -> WorkflowTask:
    locked = (
        WorkflowTask.objects.select_for_update(of=("self",))
        .select_related("workflow", "workflow__person")
        .filter(pk=task.pk, organization=organization)
        .first()
    )
    if locked is None:
        raise ServiceError("No such task.")
    if locked.status != OPEN:
        raise ServiceError(f"This task is already {locked.get_status_display().lower()}.")
    if locked.workflow.status != Workflow.Status.OPEN:
        raise ServiceError(f"The workflow is {locked.workflow.get_status_display().lower()}: its tasks are closed.")
    return locked


def _moment(effective_at: datetime | None, now: datetime) -> datetime:
    if effective_at is None:
        return now
    if timezone.is_naive(effective_at):
        raise ServiceError("Give the time with its time zone.", field="effective_at")
    if effective_at > now:
        raise ServiceError("The time it took effect cannot be in the future.", field="effective_at")
    if effective_at.date() < EARLIEST:
        raise ServiceError(f"The time it took effect cannot be before {EARLIEST:%Y-%m-%d}.", field="effective_at")
    return effective_at


def _close_if_finished(organization: Organization, actor: Actor, workflow: Workflow, now: datetime) -> None:
    if workflow.status != Workflow.Status.OPEN or workflow.tasks.filter(status=OPEN).exists():
        return
    workflow.status = Workflow.Status.DONE
    workflow.closed_at = now
    workflow.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="workforce.workflow.done",
        organization=organization,
        target=workflow,
        changes={"status": [Workflow.Status.OPEN, Workflow.Status.DONE]},
    )


# ---- completing a task -----------------------------------------------------------------------------------------


def _step(workflow: Workflow, kind: str) -> WorkflowTask | None:
    return workflow.tasks.filter(kind=kind).order_by("position", "pk").first()


def _latest_clearance(person: Person) -> Clearance | None:
    return (
        Clearance.objects.filter(person=person)
        .exclude(result=Clearance.Result.PENDING)
        .order_by("-completed_on", "-recorded_at", "-pk")
        .first()
    )


def provisioning_refusal(workflow: Workflow) -> str:
    """Why access may not be provisioned yet in this workflow, or "" when it may."""
    authorize = _step(workflow, TaskKind.AUTHORIZE)
    if authorize is not None and authorize.status != TaskStatus.DONE:
        return f"Provisioning needs the manager's authorization first: complete “{authorize.title}”."
    if authorize is None and not Authorization.objects.filter(person=workflow.person).exists():
        return f"Provisioning needs a recorded authorization of {workflow.person.full_name}'s access first."
    clearance = _step(workflow, TaskKind.CLEARANCE)
    if clearance is not None and clearance.status != TaskStatus.NOT_NEEDED:
        if clearance.status != TaskStatus.DONE:
            return f"Provisioning needs a passed clearance first: complete “{clearance.title}”."
        latest = _latest_clearance(workflow.person)
        if latest is None or latest.result != Clearance.Result.PASSED:
            result = latest.get_result_display().lower() if latest else "not recorded"
            return f"The clearance result is {result}: access cannot be provisioned."
    training = _step(workflow, TaskKind.TRAINING)
    if training is not None and training.status not in (TaskStatus.DONE, TaskStatus.WAIVED):
        return TRAINING_FIRST.format(title=training.title)
    return ""


def _clearance_values(result: str | None, completed_on: date | None, kind: str, today: date) -> None:
    if not result:
        raise ServiceError("Record the clearance result: passed or failed.", field="clearance_result")
    if result == Clearance.Result.PENDING:
        raise ServiceError(
            "A pending clearance cannot complete the task: record the result when it comes back.",
            field="clearance_result",
        )
    if result not in (Clearance.Result.PASSED, Clearance.Result.FAILED):
        raise ServiceError("Use passed or failed.", field="clearance_result")
    if completed_on is None:
        raise ServiceError("Give the date the result came back.", field="completed_on")
    _clearance_checks(kind, completed_on, today, kind_field="clearance_kind")


def _clearance_checks(kind: str, completed_on: date | None, today: date, *, kind_field: str = "kind") -> None:
    if not kind.strip():
        raise ServiceError("Say what the clearance was, e.g. a background check.", field=kind_field)
    if len(kind.strip()) > 100:
        raise ServiceError("At most 100 characters.", field=kind_field)
    if completed_on is not None and completed_on > today:
        raise ServiceError("The result date cannot be in the future.", field="completed_on")
    if completed_on is not None and completed_on < EARLIEST:
        raise ServiceError(f"The result date cannot be before {EARLIEST:%Y-%m-%d}.", field="completed_on")


def _recover_item(organization: Organization, actor: Actor, task: WorkflowTask, when: datetime, now: datetime) -> None:
    """A recovery task about one issued item records the item as recovered."""
    # Imported here: recording an item's recovery may call back into this module (recovery_observed).
    from safeguard.workforce.services.roster import item_recover

    if not task.subject_key.startswith("item:"):
        return
    item = IssuedItem.objects.filter(
        organization=organization, person=task.workflow.person, pk=task.subject_key.removeprefix("item:")
    ).first()
    if item is not None and item.recovered_at is None:
        item_recover(
            organization=organization, actor=actor, item=item, recovered_at=when, now=now, complete_tasks=False
        )


def task_complete(
    *,
    organization: Organization,
    actor: Actor,
    task: WorkflowTask,
    effective_at: datetime | None = None,
    note: str = "",
    clearance_result: str | None = None,
    clearance_kind: str = "Background check",
    completed_on: date | None = None,
    now: datetime | None = None,
) -> WorkflowTask:
    """Mark an open task done. `effective_at` is when it really took effect (an account's disablement); the kind
    of task decides what else is required and recorded. The workflow closes when no task is left open."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    note = note.strip()
    if actor.user is None:
        raise ServiceError("Only a person can complete a task.")
    if len(note) > NOTE_LIMIT:
        raise ServiceError(f"The note has more than {NOTE_LIMIT} characters.", field="note")
    if not may_complete(_member(organization, actor.user), task):
        raise ServiceError("Only the task's assignee or the program's managers can complete it.")
    when = _moment(effective_at, now)
    if task.kind == TaskKind.CLEARANCE:
        _clearance_values(clearance_result, completed_on, clearance_kind, today)
    with transaction.atomic():
        locked = _lock_open(organization, task)
        workflow = locked.workflow
        refusal = own_step_refusal(locked)
        if refusal and is_the_person(organization, actor.user, workflow.person):
            raise ServiceError(refusal)
        changes: dict[str, list[Any]] = {}
        if locked.kind == TaskKind.PROVISION:
            refusal = provisioning_refusal(workflow)
            if refusal:
                raise ServiceError(refusal)
        elif locked.kind == TaskKind.CLEARANCE:
            clearance = clearance_record(
                organization=organization,
                actor=actor,
                person=workflow.person,
                result=str(clearance_result),
                completed_on=completed_on,
                kind=clearance_kind,
                note=note,
                today=today,
            )
            changes["clearance"] = [None, str(clearance.public_id)]
        elif locked.kind == TaskKind.AUTHORIZE:
            authorization = authorization_record(
                organization=organization,
                actor=actor,
                person=workflow.person,
                basis=Authorization.Basis.JOINER,
                authorized_by=actor.user,
                authorized_at=when,
                note=note or f"Approved in the {workflow.get_kind_display().lower()} workflow.",
            )
            changes["authorization"] = [None, str(authorization.public_id)]
        elif locked.kind == TaskKind.DEPROVISION and workflow.termination_at is not None:
            locked.elapsed_seconds = elapsed_seconds(workflow.termination_at, when)
            changes["elapsed_seconds"] = [None, locked.elapsed_seconds]
        locked.status, locked.completed_at, locked.completed_by = TaskStatus.DONE, now, actor.user
        locked.effective_at, locked.note = when, note
        locked.save(update_fields=["status", "completed_at", "completed_by", "effective_at", "elapsed_seconds", "note"])
        audit_record(
            actor=actor,
            action="workforce.task.completed",
            organization=organization,
            target=locked,
            changes={"status": [OPEN, TaskStatus.DONE], "effective_at": [None, when], "note": [None, note], **changes},
        )
        if locked.kind == TaskKind.RECOVER:
            # After the task is done: recording the item may complete the tasks about it, this one included.
            _recover_item(organization, actor, locked, when, now)
        _close_if_finished(organization, actor, workflow, now)
        request_evaluation_on_commit(organization, "workforce.task_completed")
    return locked


def task_waive(
    *, organization: Organization, actor: Actor, task: WorkflowTask, reason: str, now: datetime | None = None
) -> WorkflowTask:
    """Waive an open task: the recorded, approved exception (e.g. access before training in an emergency). Only
    the security official or an owner may approve one."""
    now = now or timezone.now()
    reason = reason.strip()
    if not may_waive(_member(organization, actor.user)):
        raise ServiceError("Only the security official or an owner can waive a task.")
    if not reason:
        raise ServiceError("Give the reason for the waiver: it is the recorded, approved exception.", field="reason")
    if len(reason) > NOTE_LIMIT:
        raise ServiceError(f"The reason has more than {NOTE_LIMIT} characters.", field="reason")
    with transaction.atomic():
        locked = _lock_open(organization, task)
        if is_the_person(organization, actor.user, locked.workflow.person):
            raise ServiceError(own_step_refusal(locked, waiving=True))
        locked.status, locked.completed_at = TaskStatus.WAIVED, now
        locked.waiver_reason, locked.waived_by = reason, actor.user
        locked.save(update_fields=["status", "completed_at", "waiver_reason", "waived_by"])
        audit_record(
            actor=actor,
            action="workforce.task.waived",
            organization=organization,
            target=locked,
            changes={"status": [OPEN, TaskStatus.WAIVED], "waiver_reason": [None, reason]},
        )
        _close_if_finished(organization, actor, locked.workflow, now)
        request_evaluation_on_commit(organization, "workforce.task_waived")
    return locked


# ---- records: disablements, authorizations, clearances ---------------------------------------------------------


def deprovision_observed(
    *, organization: Organization, actor: Actor, subject_key: str, disabled_at: datetime, source_note: str
) -> int:
    """Complete the open deprovisioning tasks about one account, measured from the leaver's termination to
    `disabled_at`; returns how many were completed."""
    done = 0
    now = timezone.now()
    with transaction.atomic():
        tasks = (
            WorkflowTask.objects.select_for_update(of=("self",))
            .select_related("workflow")
            .filter(organization=organization, kind=TaskKind.DEPROVISION, status=OPEN, subject_key=subject_key)
        )
        for task in tasks:
            termination_at = task.workflow.termination_at
            task.status = TaskStatus.DONE
            task.completed_at = now
            task.completed_by = actor.user
            task.effective_at = disabled_at
            task.elapsed_seconds = elapsed_seconds(termination_at, disabled_at) if termination_at else None
            task.note = source_note[:2000]
            task.save(
                update_fields=["status", "completed_at", "completed_by", "effective_at", "elapsed_seconds", "note"]
            )
            audit_record(
                actor=actor,
                action="workforce.task.completed",
                organization=organization,
                target=task,
                changes={
                    "status": [OPEN, TaskStatus.DONE],
                    "effective_at": [None, disabled_at],
                    "elapsed_seconds": [None, task.elapsed_seconds],
                    "note": [None, task.note],
                },
            )
            _close_if_finished(organization, actor, task.workflow, now)
            done += 1
        if done:
            request_evaluation_on_commit(organization, "workforce.deprovision_observed")
    return done


def recovery_observed(*, organization: Organization, actor: Actor, item: IssuedItem, recovered_at: datetime) -> int:
    """Complete the open recovery tasks about one issued item once it is recorded as recovered (the issued-items
    page); returns how many were completed."""
    done = 0
    now = timezone.now()
    with transaction.atomic():
        tasks = (
            WorkflowTask.objects.select_for_update(of=("self",))
            .select_related("workflow")
            .filter(organization=organization, kind=TaskKind.RECOVER, status=OPEN, subject_key=f"item:{item.pk}")
        )
        for task in tasks:
            task.status, task.completed_at, task.completed_by = TaskStatus.DONE, now, actor.user
            task.effective_at = recovered_at
            task.save(update_fields=["status", "completed_at", "completed_by", "effective_at"])
            audit_record(
                actor=actor,
                action="workforce.task.completed",
                organization=organization,
                target=task,
                changes={"status": [OPEN, TaskStatus.DONE], "effective_at": [None, recovered_at]},
            )
            _close_if_finished(organization, actor, task.workflow, now)
            done += 1
    return done


# The joiner steps another app can see done: the training app records completions and acknowledgements.
OBSERVABLE_STEPS = (TaskKind.TRAINING, TaskKind.ACK_SANCTION, TaskKind.ACK_SECURITY)


def step_observed(
    *, organization: Organization, actor: Actor, person: Person, kind: str, done_at: datetime, note: str
) -> int:
    """Complete the person's open `kind` steps (training, acknowledgements) in their open workflows, because
    another app recorded them done at `done_at`; returns how many were completed.

    Only workflows opened on or before `done_at`'s day count it: training finished or a policy acknowledged
    before a workflow opened (a rehire's completion from their earlier employment) answers an earlier need, not
    this one. The same day counts, since a roster import often opens the workflow after the first morning's
    training. The program can still complete such a step by hand."""
    if kind not in OBSERVABLE_STEPS:
        raise ValueError(f"{kind!r} is not a step another app can observe")
    done = 0
    now = timezone.now()
    day_after = timezone.localtime(done_at).date() + timedelta(days=1)
    opened_before = datetime.combine(day_after, time.min, tzinfo=timezone.get_current_timezone())
    with transaction.atomic():
        tasks = (
            WorkflowTask.objects.select_for_update(of=("self",))
            .select_related("workflow")
            .filter(
                organization=organization,
                kind=kind,
                status=OPEN,
                workflow__person=person,
                workflow__status=Workflow.Status.OPEN,
                workflow__opened_at__lt=opened_before,
            )
        )
        for task in tasks:
            task.status, task.completed_at, task.completed_by = TaskStatus.DONE, now, actor.user
            task.effective_at, task.note = done_at, note[:2000]
            task.save(update_fields=["status", "completed_at", "completed_by", "effective_at", "note"])
            audit_record(
                actor=actor,
                action="workforce.task.completed",
                organization=organization,
                target=task,
                changes={"status": [OPEN, TaskStatus.DONE], "effective_at": [None, done_at], "note": [None, task.note]},
            )
            _close_if_finished(organization, actor, task.workflow, now)
            done += 1
        if done:
            request_evaluation_on_commit(organization, "workforce.step_observed")
    return done


def authorization_record(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    basis: str,
    authorized_by: User,
    authorized_at: datetime | None = None,
    note: str = "",
) -> Authorization:
    """Record that `authorized_by` approved the person's access to ePHI (a joiner approval, a review decision)."""
    with transaction.atomic():
        authorization = Authorization.objects.create(
            organization=organization,
            person=person,
            basis=basis,
            authorized_by=authorized_by,
            authorized_at=authorized_at or timezone.now(),
            note=note,
        )
        audit_record(
            actor=actor,
            action="workforce.authorization.recorded",
            organization=organization,
            target=authorization,
            changes={
                "person": [None, str(person.public_id)],
                "basis": [None, basis],
                "authorized_by": [None, authorized_by.email],
                "note": [None, note],
            },
        )
        request_evaluation_on_commit(organization, "workforce.authorization_recorded")
    return authorization


def authorization_enter(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    authorized_by: User,
    authorized_on: date,
    note: str,
    now: datetime | None = None,
) -> Authorization:
    """Record by hand an authorization given before Safeguard (or on paper): who approved, when, and what."""
    now = now or timezone.now()
    note = note.strip()
    if person.organization_id != organization.pk:
        raise ServiceError("No such person.")
    approver = _member(organization, authorized_by)
    if approver is None or approver.role == Role.AUDITOR:
        raise ServiceError("The approver must be a current member of this organization.", field="authorized_by")
    who = user_for_person(organization, person)
    if who is not None and who == authorized_by:
        raise ServiceError(
            f"Name someone other than {person.full_name} as the approver: nobody authorizes their own access.",
            field="authorized_by",
        )
    if who is not None and who == actor.user:
        raise ServiceError(
            "You cannot record an authorization of your own access: another program manager must enter it."
        )
    if authorized_on > timezone.localdate(now):
        raise ServiceError("The authorization date cannot be in the future.", field="authorized_on")
    if authorized_on < EARLIEST:
        raise ServiceError(f"The authorization date cannot be before {EARLIEST:%Y-%m-%d}.", field="authorized_on")
    if not note:
        raise ServiceError("Say what access was approved and where the original approval is kept.", field="note")
    if len(note) > NOTE_LIMIT:
        raise ServiceError(f"The note has more than {NOTE_LIMIT} characters.", field="note")
    # Noon of the day keeps the date whatever the zone it is shown in; today's record is stamped now.
    midday = timezone.make_aware(datetime.combine(authorized_on, time(12)))
    return authorization_record(
        organization=organization,
        actor=actor,
        person=person,
        basis=Authorization.Basis.RECORDED,
        authorized_by=authorized_by,
        authorized_at=min(midday, now),
        note=note,
    )


def clearance_record(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    result: str,
    completed_on: date | None,
    kind: str = "Background check",
    note: str = "",
    today: date | None = None,
) -> Clearance:
    """Record a clearance result (a background check, a license verification). A pending one has no date yet;
    passed and failed ones say when the result came back."""
    today = today or timezone.localdate()
    note = note.strip()
    if person.organization_id != organization.pk:
        raise ServiceError("No such person.")
    if actor.user is None:
        raise ServiceError("Only a person can record a clearance.")
    if result not in Clearance.Result.values:
        raise ServiceError("Use passed, failed or pending.", field="result")
    if result != Clearance.Result.PENDING and completed_on is None:
        raise ServiceError("Give the date the result came back.", field="completed_on")
    if result == Clearance.Result.PENDING and completed_on is not None:
        raise ServiceError("A pending clearance has no result date yet.", field="completed_on")
    _clearance_checks(kind, completed_on, today)
    if len(note) > NOTE_LIMIT:
        raise ServiceError(f"The note has more than {NOTE_LIMIT} characters.", field="note")
    with transaction.atomic():
        clearance = Clearance.objects.create(
            organization=organization,
            person=person,
            kind=kind.strip(),
            result=result,
            completed_on=completed_on,
            note=note,
            recorded_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="workforce.clearance.recorded",
            organization=organization,
            target=clearance,
            changes={
                "person": [None, str(person.public_id)],
                "kind": [None, clearance.kind],
                "result": [None, result],
                "completed_on": [None, completed_on],
                "note": [None, note],
            },
        )
        request_evaluation_on_commit(organization, "workforce.clearance_recorded")
    return clearance
