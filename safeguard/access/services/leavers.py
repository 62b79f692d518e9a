"""A leaver's accounts that come to light after their workflow was planned.

The leaver workflow lists the accounts the person held in each system's latest list when it opened. A list
imported later, or an account assigned to the person by hand, can show one more: the system's first list came in
after they left, or the account was matched to them only now. Each such account gets its deprovisioning task in
the person's leaver workflow, due the leaver target after the termination, so the leaver report measures it too.

Which workflow: the person's open leaver workflow, or one closed as done whose termination falls in the last 90
days (the leaver check's window). A done workflow is reopened when the account is still enabled: the task is
late and the report should say so. An account already disabled is recorded and completed at once, measured to the
disabled date the list states; a disabled account whose list gives no date is left alone, since nothing says it
was ever enabled after the termination and the list's own date would report a delay nobody can vouch for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from safeguard.access.models import AccountStatus, System, account_key
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Workflow, WorkflowTask
from safeguard.workforce.planning import TaskSpec
from safeguard.workforce.services.tasks import deprovision_observed

RECENT_DAYS = 90  # the leaver check's window: a done workflow older than that is history
TaskKind = WorkflowTask.Kind
Status = Workflow.Status


@dataclass(frozen=True, slots=True)
class HeldAccount:
    """An account of one system's list as the leaver rules need it."""

    person_id: int | None
    username: str
    roles: list[str]
    status: str
    disabled_at: datetime | None = None

    @property
    def enabled(self) -> bool:
        return self.status == AccountStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Tracked:
    added: int = 0
    completed: int = 0


def list_name(system: System, taken_at: datetime) -> str:
    """How a task's note names a list: "the EHR list of 2026-02-12 09:00", in the system's zone."""
    return f"the {system.asset.name} list of {timezone.localtime(taken_at, ZoneInfo(system.time_zone)):%Y-%m-%d %H:%M}"


def deprovision_due(workflow: Workflow) -> datetime:
    return (workflow.termination_at or workflow.opened_at) + timedelta(hours=workflow.sla_hours or 24)


def deprovision_spec(system: System, username: str, roles: Iterable[str], due: datetime) -> TaskSpec:
    """The task that asks for one account to be disabled: the same words when the workflow opens and later."""
    return TaskSpec(
        TaskKind.DEPROVISION,
        f"Disable {system.asset.name} account {username}",
        f"Roles: {', '.join(roles) or 'none listed'}.",
        subject_key=account_key(system.pk, username),
        due_at=due,
    )


def _tracking_workflows(organization: Organization, person_ids: set[int], now: datetime) -> dict[int, Workflow]:
    """Person id → the leaver workflow their accounts belong to (an open one before a done one)."""
    recent = Q(status=Status.DONE, termination_at__lte=now, termination_at__gte=now - timedelta(days=RECENT_DAYS))
    found = (
        Workflow.objects.select_for_update(of=("self",))
        .filter(organization=organization, kind=Workflow.Kind.LEAVER)
        .filter(Q(status=Status.OPEN) | recent)
        .order_by("opened_at", "pk")
    )
    chosen: dict[int, Workflow] = {}
    for workflow in found:
        held = chosen.get(workflow.person_id)
        if workflow.person_id in person_ids and (held is None or held.status != Status.OPEN):
            chosen[workflow.person_id] = workflow
    return chosen


def _reopen(organization: Organization, actor: Actor, workflow: Workflow, account: str) -> None:
    closed_at = workflow.closed_at
    workflow.status, workflow.closed_at = Status.OPEN, None
    workflow.save(update_fields=["status", "closed_at"])
    audit_record(
        actor=actor,
        action="workforce.workflow.reopened",
        organization=organization,
        target=workflow,
        changes={
            "status": [Status.DONE, Status.OPEN],
            "closed_at": [closed_at, None],
            "reason": [None, f"The leaver's {account} account is still enabled."],
        },
    )


def _task_add(organization: Organization, actor: Actor, workflow: Workflow, spec: TaskSpec, position: int) -> None:
    task = WorkflowTask.objects.create(
        organization=organization,
        workflow=workflow,
        kind=spec.kind,
        position=position,
        title=spec.title[:300],
        detail=spec.detail,
        subject_key=spec.subject_key,
        due_at=spec.due_at,
    )
    audit_record(
        actor=actor,
        action="workforce.task.added",
        organization=organization,
        target=task,
        changes={
            "workflow": [None, str(workflow.public_id)],
            "kind": [None, task.kind],
            "title": [None, task.title],
            "subject_key": [None, task.subject_key],
            "due_at": [None, task.due_at],
        },
    )


def leaver_accounts_track(
    *,
    organization: Organization,
    actor: Actor,
    system: System,
    accounts: Iterable[HeldAccount],
    seen_in: str,
    seen_at: datetime,
    now: datetime | None = None,
) -> Tracked:
    """Add a deprovisioning task for each account of `system` held by a leaver whose workflow does not list it
    yet. `seen_in` names the list the accounts come from ("the EHR list of 2026-02-12 09:00") and `seen_at` is
    its date: a stated disabled date later than the list is read as the list's date.

    One query when no account belongs to a leaver; the tasks of the leavers concerned are read in one more."""
    now = now or timezone.now()
    candidates = [a for a in accounts if a.person_id is not None and (a.enabled or a.disabled_at is not None)]
    if not candidates:
        return Tracked()
    with transaction.atomic():
        workflows = _tracking_workflows(organization, {a.person_id for a in candidates if a.person_id}, now)
        if not workflows:
            return Tracked()
        listed: set[tuple[int, str]] = set()
        positions: dict[int, int] = {}
        tasks = WorkflowTask.objects.filter(workflow__in=list(workflows.values()))
        for workflow_id, kind, key, position in tasks.values_list("workflow_id", "kind", "subject_key", "position"):
            positions[workflow_id] = max(positions.get(workflow_id, 0), position + 1)
            if kind == TaskKind.DEPROVISION:
                listed.add((workflow_id, key))
        added, completed = 0, 0
        for account in sorted(candidates, key=lambda a: a.username.lower()):
            workflow = workflows.get(account.person_id or 0)
            key = account_key(system.pk, account.username)
            if workflow is None or (workflow.pk, key) in listed:
                continue
            listed.add((workflow.pk, key))
            if account.enabled and workflow.status == Status.DONE:
                _reopen(organization, actor, workflow, f"{system.asset.name} {account.username}")
            spec = deprovision_spec(system, account.username, account.roles, deprovision_due(workflow))
            position = positions.get(workflow.pk, 0)
            positions[workflow.pk] = position + 1
            _task_add(organization, actor, workflow, spec, position)
            added += 1
            if not account.enabled and account.disabled_at is not None:
                completed += deprovision_observed(
                    organization=organization,
                    actor=actor,
                    subject_key=key,
                    disabled_at=min(account.disabled_at, seen_at),
                    source_note=f"Seen {account.status} in {seen_in}",
                )
        if added:
            request_evaluation_on_commit(organization, "access.leaver_account_found")
    return Tracked(added, completed)


def deprovisioning_observe(
    *,
    organization: Organization,
    actor: Actor,
    system: System,
    accounts: list[HeldAccount],
    seen_in: str,
    seen_at: datetime,
) -> int:
    """Complete the open deprovisioning tasks of `system`'s accounts that its list (all of `accounts`) shows
    disabled, locked or gone; returns how many. The caller makes sure the list is the system's newest."""
    keys = set(
        WorkflowTask.objects.filter(
            organization=organization,
            kind=TaskKind.DEPROVISION,
            status=WorkflowTask.Status.OPEN,
            subject_key__startswith=account_key(system.pk, ""),
        ).values_list("subject_key", flat=True)
    )
    if not keys:
        return 0
    listed = {account_key(system.pk, account.username): account for account in accounts}
    done = 0
    for key in sorted(keys):
        account = listed.get(key)
        if account is None:
            disabled_at, note = seen_at, f"Absent from {seen_in}"
        elif not account.enabled:
            given = account.disabled_at
            disabled_at = given if given is not None and given <= seen_at else seen_at
            note = f"Seen {account.status} in {seen_in}"
        else:
            continue
        done += deprovision_observed(
            organization=organization, actor=actor, subject_key=key, disabled_at=disabled_at, source_note=note
        )
    return done


def list_follow(
    *,
    organization: Organization,
    actor: Actor,
    system: System,
    accounts: list[HeldAccount],
    seen_in: str,
    seen_at: datetime,
) -> Tracked:
    """What a system's newest account list (every account of it in `accounts`) tells the leaver workflows: the
    leavers' accounts to add, then the tasks it proves done."""
    with transaction.atomic():
        tracked = leaver_accounts_track(
            organization=organization,
            actor=actor,
            system=system,
            accounts=accounts,
            seen_in=seen_in,
            seen_at=seen_at,
        )
        observed = deprovisioning_observe(
            organization=organization, actor=actor, system=system, accounts=accounts, seen_in=seen_in, seen_at=seen_at
        )
    return Tracked(tracked.added, tracked.completed + observed)
