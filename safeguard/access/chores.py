"""Daily chores of the access app: overdue break-glass reviews.

A use whose review is past its deadline is escalated once, by email to the security official and the account's
custodians (the owners when the organization has no security official), like the core's obligation escalations:
the send and the record happen in one transaction, so a failed send is tried again on the next run.
"""

from __future__ import annotations

import logging
import smtplib
from collections import defaultdict
from datetime import date, datetime

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from safeguard.access.models import BreakGlassActivation
from safeguard.access.services.breakglass import activation_escalate, overdue_unescalated
from safeguard.core.chores import as_of, daily_chore
from safeguard.core.models import Membership
from safeguard.core.roles import Role

logger = logging.getLogger(__name__)


def _officials(organization_ids: set[int], today: date) -> tuple[dict[int, set[int]], dict[int, list[str]]]:
    """Per organization: its current, active members' user ids, and whom to escalate to (its security officials,
    else its owners)."""
    members: dict[int, set[int]] = defaultdict(set)
    by_role: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    rows = (
        Membership.objects.current(today)
        .filter(organization_id__in=organization_ids, user__is_active=True)
        .values_list("organization_id", "user_id", "role", "user__email")
        .order_by("user__email")
    )
    for organization_id, user_id, role, email in rows:
        members[organization_id].add(user_id)
        by_role[organization_id][role].append(email)
    officials = {
        organization_id: roles.get(Role.SECURITY_OFFICIAL) or roles.get(Role.OWNER, [])
        for organization_id, roles in by_role.items()
    }
    return members, officials


def _recipients(activation: BreakGlassActivation, members: set[int], officials: list[str]) -> tuple[str, ...]:
    custodians = [user.email for user in activation.account.custodians.all() if user.pk in members]
    return tuple(dict.fromkeys([*officials, *sorted(custodians)]))


def _hours(delta_seconds: float) -> int:
    return max(int(delta_seconds // 3600), 0)


def _send(activation: BreakGlassActivation, recipients: tuple[str, ...], now: datetime) -> None:
    organization = activation.organization
    path = reverse("access:activation_detail", args=[organization.slug, activation.public_id])
    context = {
        "activation": activation,
        "account": activation.account,
        "organization": organization,
        "who": activation.used_by.full_name if activation.used_by else activation.used_by_name,
        "hours_overdue": _hours((now - activation.review_due_at).total_seconds()),
        "link": settings.SITE_URL.rstrip("/") + path,
    }
    subject = " ".join(render_to_string("access/breakglass_email_overdue_subject.txt", context).split())
    body = render_to_string("access/breakglass_email_overdue.txt", context)
    send_mail(subject, body, None, list(recipients), fail_silently=False)


def escalate_overdue_reviews(*, now: datetime, today: date, dry_run: bool) -> list[str]:
    overdue = list(overdue_unescalated(now))
    members, officials = _officials({activation.organization_id for activation in overdue}, today)
    lines = []
    for activation in overdue:
        account = activation.account
        where = (
            f"{activation.organization.slug}: use of {account.username} on {account.system} "
            f"at {timezone.localtime(activation.started_at):%Y-%m-%d %H:%M} "
            f"(review due {timezone.localtime(activation.review_due_at):%Y-%m-%d %H:%M})"
        )
        org_id = activation.organization_id
        recipients = _recipients(activation, members.get(org_id, set()), officials.get(org_id, []))
        if not recipients:
            lines.append(f"{where} is overdue but nobody can be told: no security official, owner or custodian")
            continue
        if dry_run:
            lines.append(f"{where} would be escalated to {', '.join(recipients)}")
            continue
        try:
            sent = activation_escalate(
                activation=activation,
                recipients=recipients,
                now=now,
                notify=lambda found, to: _send(found, to, now),
            )
        except (smtplib.SMTPException, OSError):
            logger.exception("could not send the overdue break-glass review escalation for %s", activation.public_id)
            lines.append(f"{where}: the escalation could not be sent; it will be tried again")
            continue
        if sent:
            lines.append(f"{where} escalated to {', '.join(recipients)}")
    return lines


@daily_chore("access.break_glass_overdue")
def break_glass_overdue(today: date, dry_run: bool) -> list[str]:
    """Escalate, once each, the break-glass uses whose review is past its deadline (idempotent)."""
    return escalate_overdue_reviews(now=as_of(today), today=today, dry_run=dry_run)
