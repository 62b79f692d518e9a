"""Helpers the workflow, leaver-target and workforce-check tests share: joiners and leavers opened through
person_write (so the planners run), accounts to take away, and task lookups.

No tests live here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.utils import timezone

from safeguard.access.models import System
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from safeguard.workforce.services.people import person_write
from tests import access_factories as factories
from tests.conftest import Cast, make_member

TaskKind = WorkflowTask.Kind
NOW = datetime(2026, 6, 15, 15, 0, tzinfo=UTC)


def actor(user: User | None) -> Actor:
    return Actor(user=user)


def member(org: Organization, email: str, role: str) -> User:
    return make_member(org, email, role).user


def joiner(
    cast: Cast,
    employee_id: str = "E-100",
    *,
    org: Organization | None = None,
    manager: Person | None = None,
    now: datetime | None = None,
    **values: Any,
) -> Workflow:
    """A new person through person_write: their joiner workflow, with every planner's tasks."""
    organization = org or cast.org
    person, _ = person_write(
        organization=organization,
        actor=actor(cast.owner if organization == cast.org else cast.outsider),
        person=None,
        values={
            "employee_id": employee_id,
            "given_name": values.pop("given_name", "Dana"),
            "family_name": values.pop("family_name", f"Reyes {employee_id}"),
            "email": values.pop("email", f"{employee_id.lower()}@clinic.test"),
            "department": values.pop("department", "Nursing"),
            "job_role": values.pop("job_role", "Nurse"),
            "manager": manager,
            **values,
        },
        source=Person.Source.MANUAL,
        trigger="test",
        now=now,
    )
    return Workflow.objects.get(person=person, kind=Workflow.Kind.JOINER)


def leaver(
    cast: Cast,
    employee_id: str,
    termination_at: datetime,
    *,
    systems: list[System] = (),  # type: ignore[assignment]
    org: Organization | None = None,
    name: str = "",
    now: datetime | None = None,
) -> Workflow:
    """Someone on the roster with an enabled account on each of `systems`, then terminated through person_write:
    their leaver workflow, with a deprovisioning task per account due the target after `termination_at`."""
    organization = org or cast.org
    person = factories.person(organization, employee_id, name=name or f"Lee {employee_id}")
    for target in systems:
        factories.snapshot(target, [{"username": employee_id.lower(), "person": person, "employee_id": employee_id}])
    person_write(
        organization=organization,
        actor=actor(cast.owner if organization == cast.org else cast.outsider),
        person=person,
        values={"termination_at": termination_at},
        source=Person.Source.MANUAL,
        trigger="test",
        now=now or max(termination_at, timezone.now()),
    )
    return Workflow.objects.get(person=person, kind=Workflow.Kind.LEAVER)


def task_of(workflow: Workflow, kind: str) -> WorkflowTask:
    return WorkflowTask.objects.get(workflow=workflow, kind=kind)


def tasks_of(workflow: Workflow, kind: str) -> list[WorkflowTask]:
    return list(WorkflowTask.objects.filter(workflow=workflow, kind=kind).order_by("position"))


def set_status(workflow: Workflow, kind: str, status: str) -> None:
    WorkflowTask.objects.filter(workflow=workflow, kind=kind).update(status=status)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("pk"))


def day(text: str) -> date:
    return date.fromisoformat(text)
