"""Obligation reminders and overdue escalation across every organization, run by the scheduler.

Idempotent: an obligation is reminded once per due-soon window (last_reminded_on) and escalated once per
due date (escalated_on), so running twice a day, or every hour, sends nothing new.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Literal

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Q
from django.template.loader import render_to_string
from django.urls import reverse

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Membership, Obligation
from safeguard.core.roles import Role

logger = logging.getLogger(__name__)

SCHEDULER = Actor.system("scheduler")
ESCALATION_ROLES = (Role.OWNER, Role.SECURITY_OFFICIAL)
Kind = Literal["reminder", "escalation"]


@dataclass(frozen=True)
class Notice:
    kind: Kind
    organization: str
    obligation_id: str
    title: str
    due_on: date
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class ReminderSummary:
    today: date
    dry_run: bool
    reminded: tuple[Notice, ...] = ()
    escalated: tuple[Notice, ...] = ()
    failed: tuple[Notice, ...] = ()
    no_recipient: tuple[Notice, ...] = ()


@dataclass
class _People:
    """Who may hear about an organization's duties: its current members, and who gets escalations."""

    member_ids: set[int] = field(default_factory=set)
    escalation_emails: list[str] = field(default_factory=list)


def needs_reminder(obligation: Obligation, today: date) -> bool:
    """Open, due today or later, inside its reminder window, and not reminded since the window opened."""
    if obligation.status != Obligation.Status.OPEN or obligation.due_on < today:
        return False
    window_opens = obligation.due_on - timedelta(days=obligation.remind_days_before)
    if today < window_opens:
        return False
    return obligation.last_reminded_on is None or obligation.last_reminded_on < window_opens


def needs_escalation(obligation: Obligation, today: date) -> bool:
    return obligation.status == Obligation.Status.OPEN and obligation.due_on < today and obligation.escalated_on is None


def _candidates(today: date) -> list[Obligation]:
    open_rows = Obligation.objects.open()
    widest = open_rows.aggregate(days=Max("remind_days_before"))["days"] or 0
    return list(
        open_rows.filter(
            Q(due_on__lt=today, escalated_on__isnull=True)
            | Q(due_on__gte=today, due_on__lte=today + timedelta(days=widest))
        )
        .select_related("organization", "owner")
        .order_by("organization_id", "due_on", "pk")
    )


def _people(organization_ids: Iterable[int], today: date) -> dict[int, _People]:
    people: dict[int, _People] = defaultdict(_People)
    rows = (
        Membership.objects.current(today)
        .filter(organization_id__in=set(organization_ids), user__is_active=True)
        .values_list("organization_id", "user_id", "role", "user__email")
        .order_by("user__email")
    )
    for organization_id, user_id, role, email in rows:
        people[organization_id].member_ids.add(user_id)
        if role in ESCALATION_ROLES:
            people[organization_id].escalation_emails.append(email)
    return people


def _recipients(obligation: Obligation, kind: Kind, people: _People) -> tuple[str, ...]:
    """The owner while they are a current member; for an escalation also the org's owners and officials."""
    emails = [obligation.owner.email] if obligation.owner_id in people.member_ids else []
    if kind == "escalation":
        emails += [email for email in people.escalation_emails if email not in emails]
    return tuple(emails)


def _send(kind: Kind, obligation: Obligation, recipients: tuple[str, ...], today: date) -> None:
    path = reverse("core:obligation_detail", args=[obligation.organization.slug, obligation.public_id])
    context = {
        "obligation": obligation,
        "organization": obligation.organization,
        "link": settings.SITE_URL.rstrip("/") + path,
        "days_left": (obligation.due_on - today).days,
        "days_overdue": (today - obligation.due_on).days,
    }
    subject = " ".join(render_to_string(f"core/email/obligation_{kind}_subject.txt", context).split())
    body = render_to_string(f"core/email/obligation_{kind}.txt", context)
    send_mail(subject, body, None, list(recipients), fail_silently=False)


def _deliver(kind: Kind, obligation: Obligation, recipients: tuple[str, ...], today: date) -> bool:
    """Send and record one notice in one transaction: a failed send leaves the obligation as it was."""
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk)
        still_due = needs_reminder(locked, today) if kind == "reminder" else needs_escalation(locked, today)
        if not still_due or locked.owner_id != obligation.owner_id:
            return False  # another run, or an edit, got there first
        _send(kind, obligation, recipients, today)
        if kind == "reminder":
            before, locked.last_reminded_on = locked.last_reminded_on, today
            locked.save(update_fields=["last_reminded_on"])
            changes = {"last_reminded_on": [before, today]}
        else:
            locked.escalated_on = today
            locked.save(update_fields=["escalated_on"])
            changes = {"escalated_on": [None, today]}
        audit_record(
            actor=SCHEDULER,
            action="obligation.reminded" if kind == "reminder" else "obligation.escalated",
            organization=obligation.organization,
            target=locked,
            changes={**changes, "recipients": [None, list(recipients)]},
        )
    return True


def obligation_reminders_run(*, today: date, dry_run: bool = False) -> ReminderSummary:
    """Remind owners of duties coming due and escalate overdue ones, in every organization.

    With dry_run nothing is sent or written; the summary says what would have been.
    """
    candidates = _candidates(today)
    people = _people({obligation.organization_id for obligation in candidates}, today)
    outcome: dict[str, list[Notice]] = {"reminder": [], "escalation": [], "failed": [], "no_recipient": []}
    for obligation in candidates:
        kind: Kind
        if needs_escalation(obligation, today):
            kind = "escalation"
        elif needs_reminder(obligation, today):
            kind = "reminder"
        else:
            continue
        recipients = _recipients(obligation, kind, people[obligation.organization_id])
        notice = Notice(
            kind=kind,
            organization=obligation.organization.slug,
            obligation_id=str(obligation.public_id),
            title=obligation.title,
            due_on=obligation.due_on,
            recipients=recipients,
        )
        if not recipients:
            outcome["no_recipient"].append(notice)
            continue
        if dry_run:
            outcome[kind].append(notice)
            continue
        try:
            delivered = _deliver(kind, obligation, recipients, today)
        except (smtplib.SMTPException, OSError):
            logger.exception("could not send the %s for obligation %s", kind, obligation.public_id)
            outcome["failed"].append(notice)
            continue
        if delivered:
            outcome[kind].append(notice)
    return ReminderSummary(
        today=today,
        dry_run=dry_run,
        reminded=tuple(outcome["reminder"]),
        escalated=tuple(outcome["escalation"]),
        failed=tuple(outcome["failed"]),
        no_recipient=tuple(outcome["no_recipient"]),
    )
