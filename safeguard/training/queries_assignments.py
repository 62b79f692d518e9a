"""Reads of rules and assignments the pages, the API and the daily chore share: lists with their filters, a
person's training, and the overview per department. Each runs a fixed number of queries, however many rows."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet

from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm
from safeguard.training.audiences import current_people
from safeguard.training.checks_common import whole_percent, window_start
from safeguard.training.models import Assignment, AssignmentRule, Completion
from safeguard.workforce.models import Person

CONFIDENTIAL_REASON = "Assigned by the security official"


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
    """One department, spellings merged case-insensitively. The departments page, its API and the effectiveness
    page all read these rows, so their figures agree."""

    department: str  # "" for people with no department
    people: int = 0  # current people (active or on leave)
    open: int = 0
    overdue: int = 0
    due_in_window: int = 0  # fell due in the last 12 months (checks_common), open or completed
    on_time: int = 0  # of those, completed on or before the due date (a completion with no day counts as on time)
    late: int = 0  # of those, completed after the due date
    open_in_window: int = 0  # of those, still open: every one is overdue
    days_late: float = 0.0  # the late ones' days late, added up

    @property
    def on_time_rate(self) -> int | None:
        """Percent completed on time of the assignments that fell due in the last 12 months, rounded down (the
        shared rate); None when none fell due."""
        return whole_percent(self.on_time, self.due_in_window)

    @property
    def avg_days_late(self) -> float | None:
        return round(self.days_late / self.late, 1) if self.late else None

    def add(self, other: DepartmentRow) -> None:
        for name in _ADDED:
            setattr(self, name, getattr(self, name) + getattr(other, name))


_ADDED = ("people", "open", "overdue", "due_in_window", "on_time", "late", "open_in_window", "days_late")
OPEN, COMPLETED = Assignment.Status.OPEN, Assignment.Status.COMPLETED


def _assignment_counts(today: date) -> dict[str, Any]:
    """The aggregates of one department's assignments (excused and cancelled ones count for nothing)."""
    fell_due = Q(due_on__gte=window_start(today), due_on__lt=today, status__in=(OPEN, COMPLETED))
    on_time = Q(status=COMPLETED) & (Q(completed_on__isnull=True) | Q(completed_on__lte=F("due_on")))
    late = Q(status=COMPLETED, completed_on__gt=F("due_on"))
    days_late = ExpressionWrapper(F("completed_on") - F("due_on"), output_field=DurationField())
    return {
        "open_count": Count("pk", filter=Q(status=OPEN)),
        "overdue_count": Count("pk", filter=Q(status=OPEN, due_on__lt=today)),
        "due": Count("pk", filter=fell_due),
        "on_time_count": Count("pk", filter=fell_due & on_time),
        "late_count": Count("pk", filter=fell_due & late),
        "open_due": Count("pk", filter=fell_due & Q(status=OPEN)),
        "avg_late": Avg(days_late, filter=fell_due & late),
    }


def _counted(found: Mapping[str, Any]) -> DepartmentRow:
    average = found["avg_late"]
    days = average.total_seconds() / 86400 if isinstance(average, timedelta) else 0.0
    return DepartmentRow(
        department="",
        open=found["open_count"],
        overdue=found["overdue_count"],
        due_in_window=found["due"],
        on_time=found["on_time_count"],
        late=found["late_count"],
        open_in_window=found["open_due"],
        days_late=days * found["late_count"],
    )


def department_overview(organization: Organization, today: date) -> list[DepartmentRow]:
    """Per department (case ignored): current people, open and overdue assignments, and timeliness over the
    assignments that fell due in the last 12 months. A department is shown as the spelling most current people
    use (ties: the one sorted first), the same on every database. Blank last. Two queries, whatever the size."""
    rows: dict[str, DepartmentRow] = {}
    spellings: dict[str, dict[str, int]] = {}

    def row_for(name: str, people: int = 0) -> DepartmentRow:
        counted = spellings.setdefault(name.lower(), {})
        counted[name] = counted.get(name, 0) + people
        return rows.setdefault(name.lower(), DepartmentRow(department=name))

    people = current_people(organization).values("department").annotate(n=Count("pk")).order_by("department")
    for group in people:
        row_for(group["department"], group["n"]).people += group["n"]
    counts = (
        Assignment.objects.filter(organization=organization)
        .values("person__department")
        .annotate(**_assignment_counts(today))
        .order_by("person__department")
    )
    for found in counts:
        row_for(found["person__department"]).add(_counted(found))
    for key, row in rows.items():
        row.department = min(spellings[key].items(), key=lambda item: (-item[1], item[0]))[0]
    return sorted(rows.values(), key=lambda row: (row.department == "", row.department.lower()))


def overview_total(rows: list[DepartmentRow]) -> DepartmentRow:
    total = DepartmentRow(department="All departments")
    for row in rows:
        total.add(row)
    return total
