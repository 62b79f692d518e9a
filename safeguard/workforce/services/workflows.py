"""Opening joiner, mover and leaver workflows with their tasks.

The workforce app plans the people-side steps (manager authorization, policy acknowledgements, training before
access, recovering issued items); other apps add theirs through planning.task_planner (the access app adds
clearance by role profile, provisioning, access changes and one deprovisioning task per account).
A leaver's deprovisioning tasks are due `sla_hours` after the termination time, the target in force when the
workflow opened (WorkforceSettings.leaver_sla_hours, 24 by default).

One leaver workflow measures one departure. A corrected termination time retimes it (leaver_retime); a notice
withdrawn or a rehire cancels it (leaver_cancel); a new departure after a rehire opens a new one rather than
reusing one still open from the last departure (see workflow_open).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import IssuedItem, Person, Workflow, WorkflowTask, WorkforceSettings
from safeguard.workforce.planning import TaskSpec, batch_cached, planners, task_planner
from safeguard.workforce.queries import member_users, workforce_settings
from safeguard.workforce.services.tasks import elapsed_seconds

Kind = Workflow.Kind
TaskKind = WorkflowTask.Kind
TASK_ORDER = list(TaskKind.values)  # authorize, clearance, acknowledgements, training, provisioning, …
PROPOSED_RULE_SLA_HOURS = 1  # the 2025 proposed rule's target for ending a leaver's access
SETTINGS_FIELDS = ("leaver_sla_hours", "joiner_due_days", "mover_due_days")
SETTINGS_LIMITS = {
    "leaver_sla_hours": (1, 720, "hours"),  # at most 30 days: a longer target is no target
    "joiner_due_days": (1, 365, "days"),
    "mover_due_days": (1, 365, "days"),
}


# ---- reads the pages and the API share ------------------------------------------------------------------------


def workflows_listed(
    organization: Organization, *, kind: str = "", status: str = "", overdue: bool = False, now: datetime | None = None
) -> QuerySet[Workflow]:
    """Workflows with their task counts and next due time, in one query; `overdue` keeps those with an open task
    past its due time."""
    now = now or timezone.now()
    open_task = Q(tasks__status=WorkflowTask.Status.OPEN)
    rows = (
        Workflow.objects.filter(organization=organization)
        .select_related("person")
        .annotate(
            open_tasks=Count("tasks", filter=open_task),
            total_tasks=Count("tasks"),
            next_due_at=Min("tasks__due_at", filter=open_task),
        )
    )
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if overdue:
        rows = rows.filter(next_due_at__lt=now)
    return rows.order_by("-opened_at", "-pk")


def workflow_tasks(workflow: Workflow) -> QuerySet[WorkflowTask]:
    return workflow.tasks.select_related("assignee", "completed_by", "waived_by").order_by("position", "pk")


def is_overdue(task: WorkflowTask, now: datetime) -> bool:
    return task.status == WorkflowTask.Status.OPEN and task.due_at is not None and task.due_at < now


def workflow_open(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    kind: str,
    trigger: str,
    changes: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Workflow:
    """Open a workflow for a roster change and plan its tasks. An open joiner workflow is reused, and so is an open
    leaver workflow of the same termination time; an open leaver workflow of another termination (a departure
    before a rehire) is cancelled and a new one opened: retiming it would measure the first departure's recorded
    disablements against the second termination, and keep tasks for the accounts held back then, where a new
    workflow plans the accounts held now, due from the new termination under the target in force now."""
    now = now or timezone.now()
    with transaction.atomic():
        settings = batch_cached(organization.pk, "workforce.settings", lambda: workforce_settings(organization))
        if kind == Kind.LEAVER:
            # A leaver's joiner or mover steps no longer make sense: they are cancelled, with the reason.
            for stale in Workflow.objects.filter(
                person=person, status=Workflow.Status.OPEN, kind__in=(Kind.JOINER, Kind.MOVER)
            ):
                workflow_cancel(
                    organization=organization, actor=actor, workflow=stale, reason="The person left.", now=now
                )
        existing = Workflow.objects.filter(person=person, kind=kind, status=Workflow.Status.OPEN).first()
        if existing is not None and kind == Kind.LEAVER and existing.termination_at != person.termination_at:
            reason = "Superseded: the person left again after a rehire."
            workflow_cancel(organization=organization, actor=actor, workflow=existing, reason=reason, now=now)
        elif existing is not None and kind != Kind.MOVER:
            return existing
        workflow = Workflow.objects.create(
            organization=organization,
            person=person,
            kind=kind,
            trigger=trigger[:200],
            changes=changes or {},
            termination_at=person.termination_at if kind == Kind.LEAVER else None,
            sla_hours=settings.leaver_sla_hours if kind == Kind.LEAVER else None,
            opened_at=now,
            opened_by=actor.user,
        )
        specs: list[TaskSpec] = []
        for planner in planners():
            specs.extend(planner(workflow))
        specs.sort(key=lambda spec: TASK_ORDER.index(spec.kind))  # stable: each planner's order within a kind
        WorkflowTask.objects.bulk_create(
            [
                WorkflowTask(
                    organization=organization,
                    workflow=workflow,
                    kind=spec.kind,
                    position=position,
                    title=spec.title[:300],
                    detail=spec.detail,
                    subject_key=spec.subject_key,
                    assignee=spec.assignee,
                    due_at=spec.due_at,
                    status=spec.status,
                )
                for position, spec in enumerate(specs)
            ]
        )
        audit_record(
            actor=actor,
            action="workforce.workflow.opened",
            organization=organization,
            target=workflow,
            changes={
                "person": [None, str(person.public_id)],
                "kind": [None, kind],
                "trigger": [None, workflow.trigger],
                "tasks": [None, len(specs)],
                "termination_at": [None, workflow.termination_at],
                "sla_hours": [None, workflow.sla_hours],
            },
        )
    return workflow


def workflow_cancel(
    *, organization: Organization, actor: Actor, workflow: Workflow, reason: str, now: datetime | None = None
) -> Workflow:
    now = now or timezone.now()
    with transaction.atomic():
        before = workflow.status
        workflow.status = Workflow.Status.CANCELLED
        workflow.closed_at = now
        workflow.cancel_reason = reason
        workflow.save(update_fields=["status", "closed_at", "cancel_reason"])
        audit_record(
            actor=actor,
            action="workforce.workflow.cancelled",
            organization=organization,
            target=workflow,
            changes={"status": [before, Workflow.Status.CANCELLED], "reason": [None, reason]},
        )
        request_evaluation_on_commit(organization, "workforce.workflow_cancelled")
    return workflow


def leaver_cancel(
    *, organization: Organization, actor: Actor, person: Person, reason: str, now: datetime | None = None
) -> int:
    """Cancel the person's leaver workflows still open (a rehire): their account tasks no longer measure a
    departure. Returns how many were cancelled."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = list(Workflow.objects.filter(person=person, kind=Kind.LEAVER, status=Workflow.Status.OPEN))
        for workflow in stale:
            workflow_cancel(organization=organization, actor=actor, workflow=workflow, reason=reason, now=now)
    return len(stale)


def leaver_retime(*, organization: Organization, actor: Actor, person: Person, now: datetime | None = None) -> None:
    """The termination time of a leaver was corrected: the open workflow's clock and due times follow it, and
    measured delays are measured again. A notice withdrawn before it took effect cancels the leaver workflows
    of that notice, done ones included: a departure that never happened is not measured."""
    now = now or timezone.now()
    with transaction.atomic():
        if person.termination_at is None:
            notices = Workflow.objects.filter(person=person, kind=Kind.LEAVER, termination_at__gt=now).exclude(
                status=Workflow.Status.CANCELLED
            )
            for notice in notices:
                workflow_cancel(
                    organization=organization, actor=actor, workflow=notice, reason="Termination withdrawn", now=now
                )
            return
        workflow = (
            Workflow.objects.filter(person=person, kind=Kind.LEAVER)
            .exclude(status=Workflow.Status.CANCELLED)
            .order_by("-opened_at")
            .first()
        )
        if workflow is None or workflow.termination_at == person.termination_at:
            return
        before = workflow.termination_at
        workflow.termination_at = person.termination_at
        workflow.save(update_fields=["termination_at"])
        due = person.termination_at + timedelta(hours=workflow.sla_hours or 24)
        for task in WorkflowTask.objects.filter(workflow=workflow, kind=TaskKind.DEPROVISION):
            task.due_at = due
            if task.effective_at is not None:
                task.elapsed_seconds = elapsed_seconds(person.termination_at, task.effective_at)
            task.save(update_fields=["due_at", "elapsed_seconds"])
        audit_record(
            actor=actor,
            action="workforce.workflow.retimed",
            organization=organization,
            target=workflow,
            changes={"termination_at": [before, person.termination_at]},
        )


@task_planner
def people_steps(workflow: Workflow) -> list[TaskSpec]:
    """The workforce app's own steps of each kind of workflow."""
    person, organization = workflow.person, workflow.organization
    settings = batch_cached(organization.pk, "workforce.settings", lambda: workforce_settings(organization))
    members = batch_cached(organization.pk, "workforce.members", lambda: member_users(organization))
    manager = person.manager
    manager_user = members.get(manager.email.lower()) if manager is not None and manager.email else None
    if workflow.kind == Kind.JOINER:
        due = workflow.opened_at + timedelta(days=settings.joiner_due_days)
        who = f"{person.manager.full_name} (manager)" if person.manager else "the manager"
        return [
            TaskSpec(
                TaskKind.AUTHORIZE,
                f"{who} authorizes {person.full_name}'s access to ePHI",
                "Approve the access the role profile gives, or record what differs and why.",
                assignee=manager_user,
                due_at=due,
            ),
            TaskSpec(TaskKind.ACK_SANCTION, f"{person.full_name} acknowledges the sanction policy", due_at=due),
            TaskSpec(TaskKind.ACK_SECURITY, f"{person.full_name} acknowledges the security policies", due_at=due),
            TaskSpec(
                TaskKind.TRAINING,
                f"{person.full_name} completes the required security training",
                "Required before any access to ePHI systems is provisioned, unless the security official approves "
                "a recorded exception.",
                due_at=due,
            ),
        ]
    if workflow.kind == Kind.MOVER:
        due = workflow.opened_at + timedelta(days=settings.mover_due_days)
        return [
            TaskSpec(
                TaskKind.AUTHORIZE,
                f"The new manager authorizes {person.full_name}'s access for the new role",
                assignee=manager_user,
                due_at=due,
            )
        ]
    # A leaver: every item issued and not yet recovered, or one task confirming there is nothing to recover.
    due = (workflow.termination_at or workflow.opened_at) + timedelta(hours=workflow.sla_hours or 24)
    items = IssuedItem.objects.filter(person=person, recovered_at__isnull=True).order_by("kind", "label")
    specs = [
        TaskSpec(
            TaskKind.RECOVER,
            f"Recover {item.get_kind_display().lower()} {item.label}",
            subject_key=f"item:{item.pk}",
            due_at=due,
        )
        for item in items
    ]
    return specs or [
        TaskSpec(
            TaskKind.RECOVER,
            f"Recover any badge, key or device issued to {person.full_name}",
            "No issued items are recorded for this person: confirm nothing is outstanding.",
            due_at=due,
        )
    ]


def workforce_settings_update(*, organization: Organization, actor: Actor, **values: int) -> WorkforceSettings:
    """Change the leaver target and the joiner and mover due days. Workflows already open keep the target they
    opened with, so a measured delay is never judged against a target changed after the fact."""
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    for name, value in values.items():
        low, high, unit = SETTINGS_LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ServiceError(f"Give a whole number of {unit} from {low} to {high}.", field=name)
    with transaction.atomic():
        settings, _ = WorkforceSettings.objects.select_for_update().get_or_create(organization=organization)
        before = snapshot(settings, SETTINGS_FIELDS)
        for name, value in values.items():
            setattr(settings, name, value)
        changes = field_changes(before, snapshot(settings, SETTINGS_FIELDS))
        if changes:
            settings.save()
            audit_record(
                actor=actor,
                action="workforce.settings.updated",
                organization=organization,
                target=settings,
                changes=changes,
            )
            request_evaluation_on_commit(organization, "workforce.settings_updated")
    return settings
