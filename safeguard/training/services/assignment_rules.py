"""Assignment rules: which course an audience must take, and when. Creating, changing, switching on and off.

A rule assigns only while it is active and its course is published. Every change asks for the rules to be
re-evaluated after the commit (services/assignment_sync.py); the evaluation itself is in rule_evaluation.py and
re-exported here as `assignments_sync`, the contract other areas call.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import date_range
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.audiences import audience_error, clean_values
from safeguard.training.models import Assignment, AssignmentRule, AudienceKind, Cadence, Course
from safeguard.training.rules_engine import EVENT_AUDIENCES, calendar_date_error
from safeguard.training.services.assignment_sync import request_sync
from safeguard.training.services.rule_evaluation import assignments_sync, rule_preview, sync_plan

__all__ = [
    "RULE_FIELDS",
    "assignments_sync",
    "rule_activate",
    "rule_create",
    "rule_deactivate",
    "rule_preview",
    "rule_update",
    "sync_plan",
]

RULE_FIELDS = (
    "name",
    "course",
    "audience",
    "audience_values",
    "cadence",
    "due_days",
    "calendar_month",
    "calendar_day",
    "notice_days",
    "starts_on",
    "active",
)
TRIGGER = "training.rules"
DUE_DAYS = (1, 365)
NOTICE_DAYS = (1, 180)


def _number_error(value: object, bounds: tuple[int, int], what: str) -> str:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return f"{what} is a whole number of days from {low} to {high}."
    return ""


def _course_error(organization: Organization, course: object) -> str:
    if not isinstance(course, Course) or course.organization_id != organization.pk:
        return "Pick a course of this organization."
    if course.status == Course.Status.DRAFT:
        return f"“{course.title}” is a draft: publish it before a rule assigns it."
    if course.status == Course.Status.RETIRED:
        return f"“{course.title}” is retired: pick a published course."
    return ""


def _cadence_errors(rule: AssignmentRule) -> dict[str, str]:
    errors: dict[str, str] = {}
    if rule.cadence not in Cadence.values:
        errors["cadence"] = "Pick a cadence: once, every year from the last completion, or every year by a date."
    elif rule.audience in EVENT_AUDIENCES and rule.cadence != Cadence.ONCE:
        errors["cadence"] = "Clicks and sanctions are one-off events: their rules take the cadence “Once”."
    elif rule.cadence == Cadence.CALENDAR:
        found = calendar_date_error(rule.calendar_month, rule.calendar_day)
        if found is not None:
            errors[found[0]] = found[1]
    elif rule.calendar_month is not None or rule.calendar_day is not None:
        errors["calendar_month"] = "A month and day apply only to the cadence “Every year by a fixed date”."
    return errors


def _rule_errors(
    organization: Organization, rule: AssignmentRule, today: date, *, check_course: bool = True
) -> dict[str, str]:
    """What is wrong with the rule, field by field. An unchanged course is not checked again: a rule whose course
    was retired since can still be renamed or switched off."""
    errors: dict[str, str] = {}
    if not rule.name:
        errors["name"] = "Name the rule, e.g. “Annual refresher for everyone”."
    elif len(rule.name) > 200:
        errors["name"] = "A name has at most 200 characters."
    elif AssignmentRule.objects.filter(organization=organization, name__iexact=rule.name).exclude(pk=rule.pk).exists():
        errors["name"] = f"Another rule is already named “{rule.name}”: pick another name."
    problem = _course_error(organization, getattr(rule, "course", None)) if check_course else ""
    if problem:
        errors["course"] = problem
    problem = audience_error(rule.audience, rule.audience_values, allowed=tuple(AudienceKind.values))
    if problem:
        errors["audience_values" if rule.audience in AudienceKind.values else "audience"] = problem
    for name, message in _cadence_errors(rule).items():
        errors.setdefault(name, message)
    for name, bounds, what in (("due_days", DUE_DAYS, "The time to complete"), ("notice_days", NOTICE_DAYS, "Notice")):
        problem = _number_error(getattr(rule, name), bounds, what)
        if problem:
            errors.setdefault(name, problem)
    allowed = date_range(today, years_ahead=5)
    if rule.starts_on not in allowed:
        errors.setdefault("starts_on", f"The start is a date {allowed.describe()}.")
    if not isinstance(rule.active, bool):
        errors.setdefault("active", "Say whether the rule is active.")
    return errors


def _prepared(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
    if "audience_values" in cleaned:
        cleaned["audience_values"] = clean_values(cleaned["audience_values"])
    return cleaned


def _after_change(organization: Organization) -> None:
    request_sync(organization)
    request_evaluation_on_commit(organization, TRIGGER)


def rule_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    course: Course,
    audience: str,
    audience_values: list[str] | None = None,
    cadence: str = Cadence.ONCE,
    due_days: int = 30,
    calendar_month: int | None = None,
    calendar_day: int | None = None,
    notice_days: int = 30,
    starts_on: date | None = None,
    active: bool = True,
    today: date | None = None,
) -> AssignmentRule:
    """A rule assigning `course` to an audience. Starts today unless told; people it covers are assigned once the
    transaction commits (in the background)."""
    today = today or timezone.localdate()
    values = _prepared(
        {
            "name": name,
            "audience": audience,
            "audience_values": audience_values or [],
            "cadence": cadence,
            "due_days": due_days,
            "calendar_month": calendar_month,
            "calendar_day": calendar_day,
            "notice_days": notice_days,
            "starts_on": starts_on or today,
            "active": active,
        }
    )
    rule = AssignmentRule(organization=organization, course=course, created_by=actor.user, **values)
    with transaction.atomic():
        ServiceError.raise_first(_rule_errors(organization, rule, today))
        rule.save()
        audit_record(
            actor=actor,
            action="training.rule.created",
            organization=organization,
            target=rule,
            changes={name: [None, value] for name, value in snapshot(rule, RULE_FIELDS).items()},
        )
        _after_change(organization)
    return rule


def _locked(organization: Organization, rule: AssignmentRule) -> AssignmentRule:
    return (
        AssignmentRule.objects.select_for_update(of=("self",))
        .select_related("course")
        .get(pk=rule.pk, organization=organization)
    )


def rule_update(
    *, organization: Organization, actor: Actor, rule: AssignmentRule, today: date | None = None, **values: Any
) -> AssignmentRule:
    """Change any of the rule's fields; fields left out keep their value. Assignments already made keep their due
    dates; the course is fixed once the rule has assigned anyone (make a new rule for another course)."""
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked(organization, rule)
        before = snapshot(locked, RULE_FIELDS)
        for name, value in _prepared(values).items():
            setattr(locked, name, value)
        if locked.cadence != Cadence.CALENDAR and "cadence" in values and "calendar_month" not in values:
            locked.calendar_month = locked.calendar_day = None  # leaving the calendar cadence drops its date
        course_changed = locked.course_id != before["course"].pk
        ServiceError.raise_first(_rule_errors(organization, locked, today, check_course=course_changed))
        changes = field_changes(before, snapshot(locked, RULE_FIELDS))
        if "course" in changes and locked.assignments.exists():
            raise ServiceError(
                "This rule has assigned people: its course cannot change. Switch it off and make a new rule.",
                field="course",
            )
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(
                actor=actor, action="training.rule.updated", organization=organization, target=locked, changes=changes
            )
            _after_change(organization)
    return locked


def rule_activate(*, organization: Organization, actor: Actor, rule: AssignmentRule) -> AssignmentRule:
    """Switch a rule on: the people it covers are assigned after the commit."""
    with transaction.atomic():
        locked = _locked(organization, rule)
        if locked.active:
            raise ServiceError(f"“{locked.name}” is already active.")
        problem = _course_error(organization, locked.course)
        if problem:
            raise ServiceError(problem, field="course")
        locked.active, locked.updated_at = True, timezone.now()
        locked.save(update_fields=["active", "updated_at"])
        audit_record(
            actor=actor,
            action="training.rule.activated",
            organization=organization,
            target=locked,
            changes={"active": [False, True]},
        )
        _after_change(organization)
    return locked


def rule_deactivate(
    *, organization: Organization, actor: Actor, rule: AssignmentRule, cancel_open: bool = False
) -> int:
    """Switch a rule off: it assigns no one from then on. Its open assignments stay open (people still owe the
    course) unless `cancel_open`, which cancels them. Returns how many were cancelled."""
    with transaction.atomic():
        locked = _locked(organization, rule)
        if not locked.active:
            raise ServiceError(f"“{locked.name}” is already switched off.")
        locked.active, locked.updated_at = False, timezone.now()
        locked.save(update_fields=["active", "updated_at"])
        audit_record(
            actor=actor,
            action="training.rule.deactivated",
            organization=organization,
            target=locked,
            changes={"active": [True, False], "cancel_open": [None, cancel_open]},
        )
        cancelled = _cancel_open_of(organization, actor, locked) if cancel_open else 0
        _after_change(organization)
    return cancelled


def _cancel_open_of(organization: Organization, actor: Actor, rule: AssignmentRule) -> int:
    reason = f"The rule “{rule.name}” was switched off"
    rows = list(
        Assignment.objects.select_for_update().filter(
            organization=organization, rule=rule, status=Assignment.Status.OPEN
        )
    )
    now = timezone.now()
    for row in rows:
        row.status, row.closed_at, row.closed_by, row.close_reason = (
            Assignment.Status.CANCELLED,
            now,
            actor.user,
            reason,
        )
    Assignment.objects.bulk_update(rows, ["status", "closed_at", "closed_by", "close_reason"])
    for row in rows:
        audit_record(
            actor=actor,
            action="training.assignment.cancelled",
            organization=organization,
            target=row,
            changes={"status": [Assignment.Status.OPEN, Assignment.Status.CANCELLED], "close_reason": ["", reason]},
        )
    return len(rows)
