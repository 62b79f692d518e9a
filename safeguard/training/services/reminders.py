"""Security reminders (164.308(a)(5)(ii)(A)): writing, scheduling, cancelling, sending and reading them.

A reminder is written as a draft or scheduled straight away; only a draft or a scheduled reminder can be changed.
Scheduling a time in the past means "send at the next run". Sending (services/reminder_sending.py, re-exported
here) happens once, to the people of the audience at that moment, whoever runs it and however often.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes
from safeguard.core.dates import date_range
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.audiences import audience_error, clean_values
from safeguard.training.models import ROSTER_AUDIENCES, ReminderDelivery, SecurityReminder, Topic
from safeguard.training.services.reminder_sending import (
    SENDER,
    TRIGGER,
    SendResult,
    next_time,
    reminder_send,
    reminder_send_due,
)

__all__ = [
    "EDITABLE",
    "FIELDS",
    "SENDER",
    "TRIGGER",
    "SendResult",
    "next_time",
    "reminder_cancel",
    "reminder_create",
    "reminder_mark_read",
    "reminder_schedule",
    "reminder_send",
    "reminder_send_due",
    "reminder_send_now",
    "reminder_update",
]

FIELDS = ("title", "body", "audience", "audience_values", "send_email", "scheduled_for", "repeat_months")
EDITABLE = (SecurityReminder.Status.DRAFT, SecurityReminder.Status.SCHEDULED)
TITLE_MAX = 200
BODY_MAX = 20_000
REPEAT_MAX = 12
YEARS_AHEAD = 5


# ---- checks -------------------------------------------------------------------------------------------------------


def _record(reminder: SecurityReminder, topics: list[Topic] | None = None) -> dict[str, Any]:
    """What the audit trail keeps of a reminder: its fields and its topics' keys."""
    values: dict[str, Any] = {name: getattr(reminder, name) for name in FIELDS}
    values["status"] = reminder.status
    if topics is not None:
        values["topics"] = sorted(topic.key for topic in topics)
    return values


def _check_content(reminder: SecurityReminder) -> None:
    errors: dict[str, str] = {}
    if not reminder.title:
        errors["title"] = "Give the reminder a title, e.g. “Lock your screen when you step away”."
    elif len(reminder.title) > TITLE_MAX:
        errors["title"] = f"A title has at most {TITLE_MAX} characters."
    elif "\n" in reminder.title or "\r" in reminder.title:
        errors["title"] = "The title is the email's subject: keep it on one line."
    if not reminder.body:
        errors["body"] = "Write the reminder's text."
    elif len(reminder.body) > BODY_MAX:
        errors["body"] = f"The text has at most {BODY_MAX:,} characters: link to a longer document instead."
    problem = audience_error(reminder.audience, reminder.audience_values)
    if problem:
        field = "audience" if reminder.audience not in ROSTER_AUDIENCES else "audience_values"
        errors.setdefault(field, problem)
    if not isinstance(reminder.repeat_months, int) or not 0 <= reminder.repeat_months <= REPEAT_MAX:
        errors["repeat_months"] = f"Repeat every 1 to {REPEAT_MAX} months, or 0 to send it once."
    ServiceError.raise_first(errors)


def _check_time(scheduled_for: datetime, now: datetime) -> None:
    if timezone.is_naive(scheduled_for):
        raise ServiceError("Give the time with its time zone.", field="scheduled_for")
    allowed = date_range(timezone.localdate(now), years_ahead=YEARS_AHEAD)
    if timezone.localdate(scheduled_for) not in allowed:
        raise ServiceError(
            f"Schedule it {allowed.describe()}; a time in the past means “at the next run”.", field="scheduled_for"
        )


def _topics(organization: Organization, topics: Iterable[Topic]) -> list[Topic]:
    chosen = list(dict.fromkeys(topics))
    if any(topic.organization_id != organization.pk for topic in chosen):
        raise ServiceError("That topic is not one of this organization's.", field="topics")
    return chosen


def _locked(organization: Organization, reminder: SecurityReminder) -> SecurityReminder:
    return SecurityReminder.objects.select_for_update().get(pk=reminder.pk, organization=organization)


def _require_editable(reminder: SecurityReminder, doing: str) -> None:
    if reminder.status not in EDITABLE:
        raise ServiceError(
            f"This reminder is {reminder.get_status_display().lower()}: only a draft or a scheduled reminder can be "
            f"{doing}. Write a new reminder instead."
        )


# ---- writing ------------------------------------------------------------------------------------------------------


def reminder_create(
    *,
    organization: Organization,
    actor: Actor,
    title: str,
    body: str,
    audience: str = "everyone",
    audience_values: Iterable[str] = (),
    topics: Iterable[Topic] = (),
    send_email: bool = True,
    scheduled_for: datetime | None = None,
    repeat_months: int = 0,
    schedule: bool = False,
    now: datetime | None = None,
) -> SecurityReminder:
    """A draft, or (schedule=True) a reminder the next run after `scheduled_for` sends (now when not given)."""
    now = now or timezone.now()
    reminder = SecurityReminder(
        organization=organization,
        title=title.strip(),
        body=body.strip(),
        audience=audience,
        audience_values=clean_values(list(audience_values)),
        send_email=send_email,
        scheduled_for=scheduled_for or now,
        repeat_months=repeat_months,
        status=SecurityReminder.Status.SCHEDULED if schedule else SecurityReminder.Status.DRAFT,
        created_by=actor.user,
        created_at=now,
    )
    chosen = _topics(organization, topics)
    _check_content(reminder)
    _check_time(reminder.scheduled_for, now)
    with transaction.atomic():
        reminder.save()
        reminder.topics.set(chosen)
        audit_record(
            actor=actor,
            action="training.reminder.created",
            organization=organization,
            target=reminder,
            changes={name: [None, value] for name, value in _record(reminder, chosen).items()},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return reminder


def reminder_update(
    *,
    organization: Organization,
    actor: Actor,
    reminder: SecurityReminder,
    now: datetime | None = None,
    **values: Any,
) -> SecurityReminder:
    """Change a draft or scheduled reminder; fields left out keep their value. `topics` replaces the topics."""
    unknown = set(values) - {*FIELDS, "topics"}
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    now = now or timezone.now()
    chosen = _topics(organization, values.pop("topics")) if "topics" in values else None
    for name in ("title", "body"):
        if isinstance(values.get(name), str):
            values[name] = values[name].strip()
    if "audience_values" in values:
        values["audience_values"] = clean_values(list(values["audience_values"]))
    with transaction.atomic():
        locked = _locked(organization, reminder)
        _require_editable(locked, "changed")
        before_topics = list(locked.topics.all())
        before = _record(locked, before_topics)
        for name, value in values.items():
            setattr(locked, name, value)
        _check_content(locked)
        if "scheduled_for" in values:
            _check_time(locked.scheduled_for, now)
        after = _record(locked, chosen if chosen is not None else before_topics)
        changes = field_changes(before, after)
        if changes:
            locked.save()
            if chosen is not None:
                locked.topics.set(chosen)
            audit_record(
                actor=actor,
                action="training.reminder.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
            request_evaluation_on_commit(organization, TRIGGER)
    return locked


def reminder_schedule(
    *,
    organization: Organization,
    actor: Actor,
    reminder: SecurityReminder,
    scheduled_for: datetime | None = None,
    now: datetime | None = None,
) -> SecurityReminder:
    """Draft → scheduled, for `scheduled_for` (else the time the draft holds). A past time: at the next run."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(organization, reminder)
        if locked.status != SecurityReminder.Status.DRAFT:
            raise ServiceError(
                f"Only a draft can be scheduled; this reminder is {locked.get_status_display().lower()}."
                + (" Change its time with Edit." if locked.status == SecurityReminder.Status.SCHEDULED else "")
            )
        before = _record(locked)
        locked.status = SecurityReminder.Status.SCHEDULED
        if scheduled_for is not None:
            _check_time(scheduled_for, now)
            locked.scheduled_for = scheduled_for
        _check_content(locked)
        locked.save(update_fields=["status", "scheduled_for"])
        audit_record(
            actor=actor,
            action="training.reminder.scheduled",
            organization=organization,
            target=locked,
            changes=field_changes(before, _record(locked)),
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


def reminder_send_now(
    *, organization: Organization, actor: Actor, reminder: SecurityReminder, now: datetime | None = None
) -> SecurityReminder:
    """Schedule a draft or scheduled reminder for now and send it in the background once this commits."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(organization, reminder)
        if locked.status not in EDITABLE:
            raise ServiceError(f"This reminder is already {locked.get_status_display().lower()}.")
        _check_content(locked)
        before = _record(locked)
        locked.status, locked.scheduled_for = SecurityReminder.Status.SCHEDULED, now
        locked.save(update_fields=["status", "scheduled_for"])
        changes = field_changes(before, _record(locked))
        audit_record(
            actor=actor,
            action="training.reminder.send_requested",
            organization=organization,
            target=locked,
            changes=changes,
        )

        def enqueue() -> None:
            from safeguard.training.tasks_reminders import send_reminder

            send_reminder.enqueue(locked.pk)

        transaction.on_commit(enqueue)
    return locked


def reminder_cancel(*, organization: Organization, actor: Actor, reminder: SecurityReminder) -> SecurityReminder:
    """A draft or scheduled reminder will not be sent (a repeat already sent stays sent)."""
    with transaction.atomic():
        locked = _locked(organization, reminder)
        _require_editable(locked, "cancelled")
        before = locked.status
        locked.status = SecurityReminder.Status.CANCELLED
        locked.save(update_fields=["status"])
        audit_record(
            actor=actor,
            action="training.reminder.cancelled",
            organization=organization,
            target=locked,
            changes={"status": [before, locked.status]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


# ---- read receipts ------------------------------------------------------------------------------------------------


def reminder_mark_read(
    *, organization: Organization, actor: Actor, delivery: ReminderDelivery, now: datetime | None = None
) -> bool:
    """Record that the person read it (the first time only). Whether this call recorded it."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            ReminderDelivery.objects.select_for_update(of=("self",))
            .select_related("reminder", "person")
            .get(pk=delivery.pk, organization=organization)
        )
        if locked.read_at is not None:
            delivery.read_at = locked.read_at
            return False
        locked.read_at = delivery.read_at = now
        locked.save(update_fields=["read_at"])
        audit_record(
            actor=actor,
            action="training.reminder.read",
            organization=organization,
            target=locked,
            object_repr=f"{locked.reminder.title} read by {locked.person.full_name}"[:300],
            changes={"person": [None, locked.person], "reminder": [None, locked.reminder], "read_at": [None, now]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return True
