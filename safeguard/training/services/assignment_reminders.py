"""Reminding people of training coming due, and telling their managers when it is overdue.

Run by the daily chore (chores_assignments.py), in every organization, idempotent however often it runs:
- a person is reminded once per due date, by email to their roster address, from `remind_days_before` days before
  the due date (TrainingSettings; an assignment opened later than that is reminded on its first run);
- once an assignment is `escalate_days_after` days past due (and overdue), the person's manager on the roster is
  told, once per due date: one email per manager per day, listing every overdue assignment of their reports and
  marking those told for the first time. A manager already told today hears of new ones tomorrow.

Extending an assignment clears both marks, so the new due date is reminded and escalated again. The email and
its mark are written in one transaction: a failed send leaves the assignment as it was, to be tried next run.
The reason for a confidential assignment (a sanction) is never in an email, and no one but the person learns its
course: the manager's email and the chore's lines say "a required course" (the person's own reminder names it).
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.training.audiences import CURRENT_STATUSES
from safeguard.training.models import Assignment, TrainingSettings
from safeguard.workforce.models import Person

logger = logging.getLogger(__name__)

SCHEDULER = Actor.system("scheduler")
DEFAULTS = TrainingSettings()
CONFIDENTIAL_COURSE = "a required course"  # how a confidential assignment's course is named to anyone but the person


@dataclass(frozen=True)
class Timing:
    remind_days_before: int
    escalate_days_after: int


def _timings(organization_ids: set[int]) -> dict[int, Timing]:
    found = {
        organization_id: Timing(before, after)
        for organization_id, before, after in TrainingSettings.objects.filter(
            organization_id__in=organization_ids
        ).values_list("organization_id", "remind_days_before", "escalate_days_after")
    }
    default = Timing(DEFAULTS.remind_days_before, DEFAULTS.escalate_days_after)
    return defaultdict(lambda: default, found)


def _widest(field: str, default: int) -> int:
    return max(TrainingSettings.objects.aggregate(days=Max(field))["days"] or 0, default)


def _link(organization: Organization) -> str:
    """The person's own training page, when the pages that show it are installed."""
    try:
        path = reverse("training:my_training", args=[organization.slug])
    except NoReverseMatch:
        return ""
    return settings.SITE_URL.rstrip("/") + path


def course_label(assignment: Assignment) -> str:
    """How the course is named to anyone but the person: a confidential assignment's course is not."""
    return CONFIDENTIAL_COURSE if assignment.confidential else f"“{assignment.course.title}”"


def _plain_label(assignment: Assignment) -> str:
    """The course as a plain-text email names it to a manager."""
    return CONFIDENTIAL_COURSE if assignment.confidential else f'"{assignment.course.title}"'


def _mail(template: str, context: dict[str, object], recipient: str) -> None:
    subject = " ".join(render_to_string(f"training/assignments/email_{template}_subject.txt", context).split())
    body = render_to_string(f"training/assignments/email_{template}.txt", context)
    send_mail(subject, body, None, [recipient], fail_silently=False)


# ---- reminders ----------------------------------------------------------------------------------------------------


def needs_reminder(assignment: Assignment, timing: Timing, today: date) -> bool:
    return (
        assignment.status == Assignment.Status.OPEN
        and assignment.reminded_on is None
        and today >= assignment.due_on - timedelta(days=timing.remind_days_before)
    )


def _reminder_candidates(today: date) -> list[Assignment]:
    widest = _widest("remind_days_before", DEFAULTS.remind_days_before)
    return list(
        Assignment.objects.filter(
            status=Assignment.Status.OPEN, reminded_on__isnull=True, due_on__lte=today + timedelta(days=widest)
        )
        .select_related("organization", "person", "course")
        .order_by("organization_id", "due_on", "pk")
    )


def _remind(assignment: Assignment, timing: Timing, today: date) -> bool:
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if not needs_reminder(locked, timing, today):
            return False  # another run got there first
        context = {
            "assignment": assignment,
            "person": assignment.person,
            "course": assignment.course,
            "organization": assignment.organization,
            "days_left": (assignment.due_on - today).days,
            "link": _link(assignment.organization),
        }
        _mail("reminder", context, assignment.person.email)
        locked.reminded_on, locked.reminders_sent = today, locked.reminders_sent + 1
        locked.save(update_fields=["reminded_on", "reminders_sent"])
        audit_record(
            actor=SCHEDULER,
            action="training.assignment.reminded",
            organization=assignment.organization,
            target=locked,
            changes={"reminded_on": [None, today], "recipient": [None, assignment.person.email]},
        )
    return True


def assignment_reminders_send(*, today: date, dry_run: bool = False) -> list[str]:
    """Remind people, in every organization, of assignments coming due. Lines say what was (or would be) done."""
    lines = []
    candidates = _reminder_candidates(today)
    timings = _timings({row.organization_id for row in candidates})
    for row in candidates:
        timing = timings[row.organization_id]
        if not needs_reminder(row, timing, today):
            continue
        what = f"{row.organization.slug}: {row.person.full_name}, {course_label(row)} due {row.due_on.isoformat()}"
        if not row.person.email:
            lines.append(f"{what}: no email on the roster, not reminded")
        elif dry_run:
            lines.append(f"{what}: would remind {row.person.email}")
        else:
            try:
                sent = _remind(row, timing, today)
            except (smtplib.SMTPException, OSError):
                logger.exception("could not send the training reminder for assignment %s", row.public_id)
                lines.append(f"{what}: the reminder could not be sent")
                continue
            if sent:
                lines.append(f"{what}: reminded {row.person.email}")
    return lines


# ---- escalations --------------------------------------------------------------------------------------------------


def needs_escalation(assignment: Assignment, timing: Timing, today: date) -> bool:
    return (
        assignment.status == Assignment.Status.OPEN
        and assignment.escalated_on is None
        and assignment.due_on < today
        and today >= assignment.due_on + timedelta(days=timing.escalate_days_after)
    )


def _manager_of(person: Person) -> Person | None:
    manager = person.manager
    if manager is None or manager.status not in CURRENT_STATUSES or manager.scim_deleted or not manager.email:
        return None
    return manager


def _escalation_candidates(today: date) -> list[Assignment]:
    return list(
        Assignment.objects.filter(status=Assignment.Status.OPEN, escalated_on__isnull=True, due_on__lt=today)
        .select_related("organization", "person__manager", "course")
        .order_by("organization_id", "due_on", "pk")
    )


def _overdue_of_reports(manager_ids: set[int], today: date) -> dict[int, list[Assignment]]:
    found: dict[int, list[Assignment]] = defaultdict(list)
    rows = (
        Assignment.objects.filter(status=Assignment.Status.OPEN, due_on__lt=today, person__manager_id__in=manager_ids)
        .select_related("person", "course")
        .order_by("due_on", "person__family_name", "person__given_name", "pk")
    )
    for row in rows:
        found[row.person.manager_id].append(row)  # type: ignore[index]
    return found


def _told_today(manager_ids: set[int], today: date) -> set[int]:
    rows = Assignment.objects.filter(escalated_on=today, person__manager_id__in=manager_ids)
    return {manager_id for manager_id in rows.values_list("person__manager_id", flat=True) if manager_id is not None}


def _escalate(manager: Person, new: list[Assignment], overdue: list[Assignment], today: date) -> int:
    organization = new[0].organization
    with transaction.atomic():
        still = set(
            Assignment.objects.select_for_update()
            .filter(pk__in=[row.pk for row in new], status=Assignment.Status.OPEN, escalated_on__isnull=True)
            .values_list("pk", flat=True)
        )
        fresh = [row for row in new if row.pk in still]
        if not fresh:
            return 0
        context = {
            "manager": manager,
            "organization": organization,
            "rows": [(row, _plain_label(row), (today - row.due_on).days, row.pk in still) for row in overdue],
            "fresh": len(fresh),
        }
        _mail("escalation", context, manager.email)
        Assignment.objects.filter(pk__in=still).update(escalated_on=today)
        for row in fresh:
            audit_record(
                actor=SCHEDULER,
                action="training.assignment.escalated",
                organization=organization,
                target=row,
                changes={"escalated_on": [None, today], "manager": [None, manager.email]},
            )
    return len(fresh)


def assignment_escalations_send(*, today: date, dry_run: bool = False) -> list[str]:
    """Tell managers, in every organization, about their reports' overdue training: one email per manager a day."""
    lines = []
    candidates = _escalation_candidates(today)
    timings = _timings({row.organization_id for row in candidates})
    by_manager: dict[int, list[Assignment]] = defaultdict(list)
    managers: dict[int, Person] = {}
    for row in candidates:
        if not needs_escalation(row, timings[row.organization_id], today):
            continue
        manager = _manager_of(row.person)
        if manager is None:
            lines.append(
                f"{row.organization.slug}: {row.person.full_name}, {course_label(row)} overdue since "
                f"{row.due_on.isoformat()}: no current manager with an email on the roster to tell"
            )
            continue
        by_manager[manager.pk].append(row)
        managers[manager.pk] = manager
    if not by_manager:
        return lines
    told = _told_today(set(by_manager), today)
    overdue = _overdue_of_reports(set(by_manager), today)
    for manager_id, new in by_manager.items():
        manager = managers[manager_id]
        what = f"{new[0].organization.slug}: {manager.email} about {len(new)} overdue assignment{'s' * (len(new) > 1)}"
        if manager_id in told:
            lines.append(f"{what}: already told today, tomorrow")
        elif dry_run:
            lines.append(f"would tell {what}")
        else:
            try:
                sent = _escalate(manager, new, overdue[manager_id], today)
            except (smtplib.SMTPException, OSError):
                logger.exception("could not send the training escalation to %s", manager.email)
                lines.append(f"could not tell {what}")
                continue
            if sent:
                lines.append(f"told {what}")
    return lines
