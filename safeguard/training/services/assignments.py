"""Assignments by hand: assigning a course to one person, excusing, cancelling and extending an assignment.

Those who manage the program do these; each is audited. A rule's evaluation never cancels a manual assignment
except when the person leaves. An excused round is never asked again by the rules (for a yearly course the next
round counts from the excused round's due date). A rule's assignment cannot be cancelled while the rule is
active (the rule would assign it again): excuse the person, or change or switch off the rule.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.dates import date_range
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.audiences import CURRENT_STATUSES
from safeguard.training.models import Assignment, Course
from safeguard.training.services.assignment_sync import request_sync
from safeguard.workforce.models import Person

TRIGGER = "training.assignments"
MANUAL_KEY = "manual"
REASON_MAX = 300
YEARS_AHEAD = 2


def _reason(reason: str, field: str = "reason", limit: int | None = REASON_MAX) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError("Say why: it is kept with the assignment and in the audit trail.", field=field)
    if limit is not None and len(reason) > limit:
        raise ServiceError(f"At most {limit} characters.", field=field)
    return reason


def _due(due_on: object, today: date, field: str = "due_on") -> date:
    allowed = date_range(today, years_ahead=YEARS_AHEAD, earliest=today)
    if not isinstance(due_on, date) or due_on not in allowed:
        raise ServiceError(f"The due date is a day {allowed.describe()}.", field=field)
    return due_on


def assignment_create(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    course: Course,
    due_on: date,
    reason: str,
    today: date | None = None,
) -> Assignment:
    """Assign a published course to one current person by hand. A completion from today on satisfies it."""
    today = today or timezone.localdate()
    if person.organization_id != organization.pk:
        raise ServiceError("Pick a person of this organization.", field="person")
    if person.status not in CURRENT_STATUSES or person.scim_deleted:
        raise ServiceError(f"{person.full_name} has left the organization.", field="person")
    if course.organization_id != organization.pk:
        raise ServiceError("Pick a course of this organization.", field="course")
    if course.status != Course.Status.PUBLISHED:
        raise ServiceError(f"“{course.title}” is not published: only published courses are assigned.", field="course")
    due_on = _due(due_on, today)
    reason = _reason(reason)
    with transaction.atomic():
        Person.objects.select_for_update().filter(pk=person.pk).first()  # one assignment at a time per person
        existing = Assignment.objects.filter(person=person, course=course, status=Assignment.Status.OPEN).first()
        if existing is not None:
            raise ServiceError(
                f"{person.full_name} already has an open assignment of “{course.title}”, due "
                f"{existing.due_on.isoformat()}: extend it rather than assigning the course twice.",
                field="course",
            )
        assignment = Assignment.objects.create(
            organization=organization,
            person=person,
            course=course,
            reason=reason,
            trigger_key=MANUAL_KEY,
            window_start=today,
            assigned_on=today,
            due_on=due_on,
            assigned_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="training.assignment.created",
            organization=organization,
            target=assignment,
            changes={
                "person": [None, person.public_id],
                "course": [None, course.public_id],
                "due_on": [None, due_on],
                "reason": [None, reason],
                "status": [None, Assignment.Status.OPEN],
            },
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return assignment


def _locked_open(organization: Organization, assignment: Assignment, doing: str) -> Assignment:
    locked = (
        Assignment.objects.select_for_update(of=("self",))
        .select_related("rule", "course", "person")
        .get(pk=assignment.pk, organization=organization)
    )
    if locked.status != Assignment.Status.OPEN:
        state = locked.get_status_display().lower()
        raise ServiceError(f"This assignment is {state}: only an open one can be {doing}.")
    return locked


def _close(
    organization: Organization, actor: Actor, assignment: Assignment, status: str, reason: str, action: str
) -> Assignment:
    assignment.status = status
    assignment.closed_at = timezone.now()
    assignment.closed_by = actor.user
    assignment.close_reason = reason
    assignment.save(update_fields=["status", "closed_at", "closed_by", "close_reason"])
    audit_record(
        actor=actor,
        action=action,
        organization=organization,
        target=assignment,
        changes={"status": [Assignment.Status.OPEN, status], "close_reason": ["", reason]},
    )
    request_evaluation_on_commit(organization, TRIGGER)
    return assignment


def assignment_excuse(*, organization: Organization, actor: Actor, assignment: Assignment, reason: str) -> Assignment:
    """The person need not take this round (already trained elsewhere, long-term absence…). The rules will not
    assign it again."""
    reason = _reason(reason, limit=None)
    with transaction.atomic():
        locked = _locked_open(organization, assignment, "excused")
        _close(organization, actor, locked, Assignment.Status.EXCUSED, reason, "training.assignment.excused")
        request_sync(organization)  # a yearly rule may now count its next round from this one
    return locked


def assignment_cancel(*, organization: Organization, actor: Actor, assignment: Assignment, reason: str) -> Assignment:
    """Withdraw an assignment made by mistake. One an active rule made is refused: the rule would assign it again."""
    reason = _reason(reason, limit=None)
    with transaction.atomic():
        locked = _locked_open(organization, assignment, "cancelled")
        if locked.rule is not None and locked.rule.active:
            raise ServiceError(
                f"The active rule “{locked.rule.name}” made this assignment and would make it again: excuse the "
                "person (say why), or change or switch off the rule."
            )
        _close(organization, actor, locked, Assignment.Status.CANCELLED, reason, "training.assignment.cancelled")
    return locked


def assignment_extend(
    *,
    organization: Organization,
    actor: Actor,
    assignment: Assignment,
    due_on: date,
    reason: str,
    today: date | None = None,
) -> Assignment:
    """Move the due date later. The person is reminded again before the new date, and their manager told again
    if it passes."""
    today = today or timezone.localdate()
    reason = _reason(reason, limit=None)
    with transaction.atomic():
        locked = _locked_open(organization, assignment, "extended")
        if not isinstance(due_on, date) or due_on <= locked.due_on:
            raise ServiceError(
                f"The new due date must be later than the current one ({locked.due_on.isoformat()}).", field="due_on"
            )
        due_on = _due(due_on, today)
        before = {"due_on": locked.due_on, "reminded_on": locked.reminded_on, "escalated_on": locked.escalated_on}
        locked.due_on, locked.reminded_on, locked.escalated_on = due_on, None, None
        locked.save(update_fields=["due_on", "reminded_on", "escalated_on"])
        changes = {name: [value, getattr(locked, name)] for name, value in before.items() if value is not None}
        changes["due_on"] = [before["due_on"], due_on]
        audit_record(
            actor=actor,
            action="training.assignment.extended",
            organization=organization,
            target=locked,
            changes={**changes, "reason": [None, reason]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked
