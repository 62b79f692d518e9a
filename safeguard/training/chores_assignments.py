"""The daily chore of assignment rules: evaluate the rules of every organization that has an active one, then
remind people of training coming due and tell managers about overdue training (services/assignment_reminders.py).

Idempotent: a second run the same day opens, sends and writes nothing new. A dry run writes and sends nothing and
says what it would do.
"""

from __future__ import annotations

from datetime import date

from safeguard.core.chores import daily_chore
from safeguard.core.models import Organization
from safeguard.training.services.assignment_reminders import assignment_escalations_send, assignment_reminders_send
from safeguard.training.services.assignment_rules import assignments_sync


def _sync_lines(today: date, dry_run: bool) -> list[str]:
    lines = []
    organizations = Organization.objects.filter(assignment_rules__active=True).distinct().order_by("slug")
    for organization in organizations:
        counts = assignments_sync(organization=organization, today=today, dry_run=dry_run)
        if any(counts.values()):
            verb = "would open" if dry_run else "opened"
            lines.append(
                f"{organization.slug}: {verb} {counts['opened']} assignment(s), "
                f"{counts['completed']} already completed, {counts['cancelled']} cancelled"
            )
    return lines


@daily_chore("training.assignments")
def training_assignments(today: date, dry_run: bool) -> list[str]:
    return [
        *_sync_lines(today, dry_run),
        *assignment_reminders_send(today=today, dry_run=dry_run),
        *assignment_escalations_send(today=today, dry_run=dry_run),
    ]
