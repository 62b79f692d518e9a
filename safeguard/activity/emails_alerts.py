"""Alert emails: a new alert to its severity's first level, reminders, the next level when a deadline is missed,
and the final notice to owners and security officials. Plain text with a link; never the group key or evidence,
which can name patients, so a mailbox never holds PHI."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Literal

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse

from safeguard.activity.models import Alert, EscalationLevel
from safeguard.core.models import Membership, User
from safeguard.core.roles import Role

logger = logging.getLogger(__name__)

Kind = Literal["raised", "reminder", "level_raised", "final"]
FINAL_ROLES = (Role.OWNER, Role.SECURITY_OFFICIAL)


def alert_link(alert: Alert) -> str:
    path = reverse("activity:alert_detail", args=[alert.organization.slug, alert.public_id])
    return settings.SITE_URL.rstrip("/") + path


def _role_users(organization_id: int, roles: Iterable[str]) -> list[User]:
    members = Membership.objects.current().filter(organization_id=organization_id, role__in=list(roles))
    return [member.user for member in members.select_related("user").order_by("user__email")]


def level_recipients(alert: Alert, level: int) -> list[User]:
    """Who a level tells: its user or everyone holding its role. Without a configured path, level 1 is the
    owners and security officials."""
    step = EscalationLevel.objects.filter(
        organization_id=alert.organization_id, severity=alert.severity, level=level
    ).first()
    if step is None:
        return _role_users(alert.organization_id, FINAL_ROLES) if level == 1 else []
    if step.notify_user_id is not None:
        current = Membership.objects.current().filter(
            organization_id=alert.organization_id, user_id=step.notify_user_id
        )
        return [member.user for member in current.select_related("user")]
    return _role_users(alert.organization_id, [step.notify_role])


def final_recipients(alert: Alert) -> list[User]:
    return _role_users(alert.organization_id, FINAL_ROLES)


def _message(alert: Alert, kind: Kind, recipients: Sequence[User]) -> EmailMessage:
    context = {"alert": alert, "organization": alert.organization, "link": alert_link(alert), "kind": kind}
    subject = " ".join(render_to_string(f"activity/email/alert_{kind}_subject.txt", context).split())
    body = render_to_string(f"activity/email/alert_{kind}.txt", context)
    return EmailMessage(subject, body, None, sorted({user.email for user in recipients}))


def send_alert_email(alert: Alert, kind: Kind, recipients: Sequence[User]) -> int:
    """One email to the recipients; how many addresses it went to (0 when nobody, or the send failed)."""
    if not recipients:
        return 0
    message = _message(alert, kind, recipients)
    try:
        message.send()
    except OSError:
        # A mail outage must not undo the escalation step: the alert page still shows the deadline.
        logger.exception("Could not send the %s email for alert %s", kind, alert.public_id)
        return 0
    return len(message.to)


def send_raised(alert_ids: Sequence[int]) -> int:
    """After an evaluation commits: each new alert to its severity's first level, over one connection."""
    alerts = Alert.objects.filter(pk__in=alert_ids, ack_due_at__isnull=False).select_related("organization")
    sent = 0
    with get_connection() as connection:
        for alert in alerts.order_by("pk"):
            recipients = level_recipients(alert, 1)
            if not recipients:
                continue
            message = _message(alert, "raised", recipients)
            message.connection = connection
            try:
                message.send()
            except OSError:
                logger.exception("Could not send the raised email for alert %s", alert.public_id)
                continue
            sent += 1
    return sent
