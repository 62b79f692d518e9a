"""The daily chore of security reminders: send the scheduled ones that are due, once each, and mail what an
interrupted run left. The scheduler may run it many times a day; a reminder is still sent once."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from safeguard.core.chores import as_of, daily_chore
from safeguard.training.audiences import roster_audience
from safeguard.training.models import SecurityReminder
from safeguard.training.services.reminder_sending import SendResult, reminder_send_due


def _line(result: SendResult) -> str:
    reminder = result.reminder
    where = f"{reminder.organization.slug}: “{reminder.title}”"
    if result.resumed:
        return f"{where}: {result.emailed} more emailed, {result.failed} could not be emailed"
    line = f"{where} sent to {result.recipients} {'person' if result.recipients == 1 else 'people'}"
    if reminder.send_email:
        line += (
            f" ({result.emailed} emailed, {result.failed} could not be emailed, "
            f"{result.without_email} without a work email)"
        )
    if result.next_copy is not None:
        line += f"; next copy on {timezone.localtime(result.next_copy.scheduled_for):%Y-%m-%d %H:%M}"
    return line


def _would_send(now: datetime) -> list[str]:
    due = SecurityReminder.objects.filter(status=SecurityReminder.Status.SCHEDULED, scheduled_for__lte=now)
    lines = []
    for reminder in due.select_related("organization").order_by("scheduled_for", "pk"):
        people = roster_audience(reminder.organization, reminder.audience, reminder.audience_values).count()
        lines.append(
            f"{reminder.organization.slug}: “{reminder.title}” would be sent to {people} "
            f"{'person' if people == 1 else 'people'}"
        )
    return lines


@daily_chore("training.reminders")
def send_due_reminders(today: date, dry_run: bool) -> list[str]:
    """Send every scheduled security reminder that is due (idempotent)."""
    now = as_of(today)
    if dry_run:
        return _would_send(now)
    return [_line(result) for result in reminder_send_due(now=now)]
