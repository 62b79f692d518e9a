"""Helpers the training check, effectiveness and overview tests share: a pinned day, a program with an initial course
and an active rule, people trained on time, and accounts in a system's latest list.

No tests live here.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.training.models import AssignmentRule, Course, CourseKind
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from tests import access_factories
from tests import training_factories as make

TODAY = date(2026, 6, 15)


def at(day: date, hour: int = 12) -> datetime:
    """Noon (or `hour`) of a local day."""
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def program(organization: Organization, code: str = "SEC-101") -> Course:
    """A published initial course with an active rule for everyone."""
    course = make.course(organization, code, kind=CourseKind.INITIAL, title="Security basics")
    make.rule(course)
    return course


def course_of(organization: Organization) -> Course:
    rule = AssignmentRule.objects.filter(organization=organization).select_related("course").first()
    assert rule is not None
    return rule.course


def trained(organization: Organization, employee_id: str, *, days_ago: int = 10, **values: Any) -> Person:
    """A person who completed the program's course `days_ago` days before TODAY."""
    who = make.person(organization, employee_id, **values)
    make.completion(who, course_of(organization), at=at(ago(days_ago)))
    return who


def waive_training(person: Person) -> WorkflowTask:
    workflow = Workflow.objects.create(
        organization=person.organization, person=person, kind=Workflow.Kind.JOINER, trigger="test"
    )
    return WorkflowTask.objects.create(
        organization=person.organization,
        workflow=workflow,
        kind=WorkflowTask.Kind.TRAINING,
        title="Completes required training",
        status=WorkflowTask.Status.WAIVED,
        waiver_reason="Trained at the previous employer last month.",
    )


def accounts(organization: Organization, rows: list[dict[str, Any]], name: str = "EHR") -> None:
    """A system whose latest list holds `rows` (Account fields; `person` matches the row)."""
    target = access_factories.system(organization, name)
    access_factories.snapshot(target, [{"username": f"user{n}", **row} for n, row in enumerate(rows)])
