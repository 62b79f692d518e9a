"""Reads of rules and assignments the pages, the API and the daily chore share: lists with their filters, a
person's training, and the overview per department. Each runs a fixed number of queries, however many rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm
from safeguard.training.audiences import current_people
from safeguard.training.models import Assignment, AssignmentRule, Completion
from safeguard.workforce.models import Person

CONFIDENTIAL_REASON = "Assigned by the security official"
WINDOW_DAYS = 365


# ---- rules --------------------------------------------------------------------------------------------------------


def rule_rows(organization: Organization) -> QuerySet[AssignmentRule]:
    """The organization's rules with their course and how many open assignments each has made."""
    return (
        AssignmentRule.objects.filter(organization=organization)
        .select_related("course")
        .annotate(open_count=Count("assignments", filter=Q(assignments__status=Assignment.Status.OPEN)))
    )


# ---- assignments --------------------------------------------------------------------------------------------------


def assignment_rows(organization: Organization) -> QuerySet[Assignment]:
    return Assignment.objects.filter(organization=organization).select_related(
        "person", "course", "rule", "completion", "closed_by", "assigned_by"
    )


def person_text_filter(text: str, prefix: str = "person__") -> Q:
    """People whose name, employee id or email holds every word of `text` (case ignored)."""
    match = Q()
    for word in text.split():
        match &= (
            Q(**{f"{prefix}given_name__icontains": word})
            | Q(**{f"{prefix}family_name__icontains": word})
            | Q(**{f"{prefix}employee_id__icontains": word})
            | Q(**{f"{prefix}email__icontains": word})
        )
    return match


def filter_assignments(rows: QuerySet[Assignment], filters: Mapping[str, Any], today: date) -> QuerySet[Assignment]:
    """Filters: status, course (a Course), department (case ignored), person (text), overdue (open, past due)."""
    if filters.get("status"):
        rows = rows.filter(status=filters["status"])
    if filters.get("course") is not None:
        rows = rows.filter(course=filters["course"])
    if filters.get("department"):
        rows = rows.filter(person__department__iexact=filters["department"].strip())
    if filters.get("person"):
        rows = rows.filter(person_text_filter(filters["person"]))
    if filters.get("overdue"):
        rows = rows.filter(status=Assignment.Status.OPEN, due_on__lt=today)
    return rows


def is_overdue(assignment: Assignment, today: date) -> bool:
    return assignment.status == Assignment.Status.OPEN and assignment.due_on < today


def may_read_confidential(membership: Membership) -> bool:
    """Why someone was assigned because of a sanction is for those who may read the sanctions log."""
    return membership.has(Perm.VIEW_SANCTIONS)


def shown_reason(assignment: Assignment, confidential_ok: bool) -> str:
    if assignment.confidential and not confidential_ok:
        return CONFIDENTIAL_REASON
    return assignment.reason


def shown_trigger(assignment: Assignment, confidential_ok: bool) -> str:
    return "" if assignment.confidential and not confidential_ok else assignment.trigger_key


def open_assignment_of(person: Person, course_id: int) -> Assignment | None:
    return Assignment.objects.filter(person=person, course_id=course_id, status=Assignment.Status.OPEN).first()


# ---- a person's training ------------------------------------------------------------------------------------------


def person_assignments(person: Person) -> QuerySet[Assignment]:
    """Open first (earliest due first), then the closed ones, latest closed first."""
    return (
        Assignment.objects.filter(organization=person.organization, person=person)
        .select_related("course", "rule", "completion")
        .order_by(
            F("closed_at").desc(nulls_first=True),
            "due_on",
            "pk",
        )
    )


def person_completions(person: Person) -> QuerySet[Completion]:
    return (
        Completion.objects.filter(organization=person.organization, person=person)
        .select_related("course")
        .order_by("-completed_at", "-pk")
    )


# ---- departments --------------------------------------------------------------------------------------------------


@dataclass
class DepartmentRow:
    department: str  # "" for people with no department
    people: int = 0  # current people (active or on leave)
    open: int = 0
    overdue: int = 0
    due_in_window: int = 0  # due in the last 12 months, open or completed
    on_time: int = 0  # of those, completed on or before the due date

    @property
    def on_time_rate(self) -> int | None:
        """Percent completed on time of the assignments due in the last 12 months; None when none fell due."""
        if not self.due_in_window:
            return None
        return round(100 * self.on_time / self.due_in_window)

    def add(self, other: DepartmentRow) -> None:
        for name in ("people", "open", "overdue", "due_in_window", "on_time"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def window_start(today: date) -> date:
    """The first day of "the last 12 months": assignments due from this day to yesterday count."""
    return today - timedelta(days=WINDOW_DAYS)


def department_overview(organization: Organization, today: date) -> list[DepartmentRow]:
    """Per department (case ignored; the first spelling met is shown): current people, open and overdue
    assignments, and timeliness over assignments due in the last 12 months (excused and cancelled ones left out).
    Two queries, whatever the size of the roster."""
    rows: dict[str, DepartmentRow] = {}

    def row_for(name: str) -> DepartmentRow:
        return rows.setdefault(name.lower(), DepartmentRow(department=name))

    people = current_people(organization).values("department").annotate(n=Count("pk")).order_by("department")
    for person_group in people:
        row_for(person_group["department"]).people += person_group["n"]
    start = window_start(today)
    in_window = Q(due_on__gte=start, due_on__lt=today)
    counts = (
        Assignment.objects.filter(organization=organization)
        .values("person__department")
        .annotate(
            open=Count("pk", filter=Q(status=Assignment.Status.OPEN)),
            overdue=Count("pk", filter=Q(status=Assignment.Status.OPEN, due_on__lt=today)),
            due=Count("pk", filter=in_window & Q(status__in=(Assignment.Status.OPEN, Assignment.Status.COMPLETED))),
            on_time=Count(
                "pk",
                filter=in_window & Q(status=Assignment.Status.COMPLETED, completed_on__lte=F("due_on")),
            ),
        )
        .order_by("person__department")
    )
    for found in counts:
        row_for(found["person__department"]).add(
            DepartmentRow(
                department="",
                open=found["open"],
                overdue=found["overdue"],
                due_in_window=found["due"],
                on_time=found["on_time"],
            )
        )
    return sorted(rows.values(), key=lambda row: (row.department == "", row.department.lower()))


def overview_total(rows: list[DepartmentRow]) -> DepartmentRow:
    total = DepartmentRow(department="All departments")
    for row in rows:
        total.add(row)
    return total
