"""The emails that ask people to acknowledge a document, and the one reminder after the due date.

Each email carries a personal link (/t/acks/<token>/) that lets the person read and acknowledge the version without
signing in. A request is claimed before its email is sent (emailed_at, or reminded_at, set by a conditional update)
and released if the send fails, so two runs at once never send it twice and a failed send is tried again by the
next daily run. The audit trail gets one event per version and run with the number of emails, not their recipients.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from safeguard.core.audit import Actor, audit_record
from safeguard.training.links import make_token
from safeguard.training.models import AckDocumentVersion, AckRequest
from safeguard.training.queries_acks import audience_people
from safeguard.training.services.ack_documents import version_name

logger = logging.getLogger(__name__)

Kind = Literal["request", "reminder"]
STAMP = {"request": "emailed_at", "reminder": "reminded_at"}


@dataclass(frozen=True)
class Sent:
    sent: int = 0
    no_email: int = 0
    failed: bool = False


def personal_link(request: AckRequest) -> str:
    path = reverse("training_links:ack", args=[make_token("ack", str(request.public_id))])
    return settings.SITE_URL.rstrip("/") + path


def due_emails(version: AckDocumentVersion, kind: Kind, today: date) -> QuerySet[AckRequest]:
    """The requests of a current version whose `kind` of email is due: the first email not sent yet, or the one
    reminder of a request emailed, past its due date and unacknowledged. Only for people still in the audience."""
    if version.status != AckDocumentVersion.Status.PUBLISHED or version.document.retired_at is not None:
        return AckRequest.objects.none()
    requests = AckRequest.objects.filter(version=version, person__in=audience_people(version.document)).exclude(
        person__acknowledgements__version=version
    )
    if kind == "request":
        requests = requests.filter(emailed_at__isnull=True)
    else:
        requests = requests.filter(emailed_at__isnull=False, reminded_at__isnull=True, due_on__lt=today)
    return requests.select_related("person").order_by("pk")


def _message(request: AckRequest, version: AckDocumentVersion, kind: Kind, today: date) -> EmailMessage:
    context = {
        "person": request.person,
        "document": version.document,
        "version": version,
        "organization": version.document.organization,
        "due_on": request.due_on,
        "days_overdue": (today - request.due_on).days,
        "link": personal_link(request),
    }
    subject = " ".join(render_to_string(f"training/acks/email_{kind}_subject.txt", context).split())
    body = render_to_string(f"training/acks/email_{kind}.txt", context)
    return EmailMessage(subject, body, None, [request.person.email])


def ack_emails_send(*, actor: Actor, version: AckDocumentVersion, kind: Kind, today: date, now: datetime) -> Sent:
    """Send the `kind` emails due for this version (see due_emails); stop at the first failed send."""
    stamp = STAMP[kind]
    sent = no_email = 0
    failed = False
    connection = get_connection()
    try:
        for request in list(due_emails(version, kind, today)):
            if not request.person.email:
                no_email += 1
                continue
            claimed = AckRequest.objects.filter(pk=request.pk, **{f"{stamp}__isnull": True}).update(**{stamp: now})
            if not claimed:
                continue  # another run got there first
            try:
                connection.send_messages([_message(request, version, kind, today)])
            except (smtplib.SMTPException, OSError):
                logger.exception("could not send the acknowledgement %s for request %s", kind, request.public_id)
                AckRequest.objects.filter(pk=request.pk).update(**{stamp: None})
                failed = True
                break
            sent += 1
    finally:
        connection.close()
    if sent:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action=f"training.ack_version.{'emailed' if kind == 'request' else 'reminded'}",
                organization=version.document.organization,
                target=version,
                object_repr=version_name(version),
                changes={"emails": [None, sent]},
            )
    return Sent(sent, no_email, failed)
