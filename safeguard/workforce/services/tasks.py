"""Completing workflow tasks, and the records some of them leave: authorizations, clearances, measured disablements.

Functions other apps call: `deprovision_observed` (an account list shows a leaver's account disabled or gone) and
`authorization_record` (an access review's keep decision authorizes a person's access).
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization, User
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Authorization, Person, Workflow, WorkflowTask

TaskKind = WorkflowTask.Kind
OPEN = WorkflowTask.Status.OPEN


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
            task.status = WorkflowTask.Status.DONE
            task.completed_at = now
            task.completed_by = actor.user
            task.effective_at = disabled_at
            task.elapsed_seconds = int((disabled_at - termination_at).total_seconds()) if termination_at else None
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
                    "status": [OPEN, WorkflowTask.Status.DONE],
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
