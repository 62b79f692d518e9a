"""Sending security reminders: once each, to the audience of that moment, then by email, person by person.

Two steps, so that a reminder is sent once whatever happens to the mail server:
1. Delivery, in one transaction with the reminder locked: a delivery row for each current person (active or on
   leave) of the audience, the status "sent", the next copy of a repeating reminder, one audit event with the
   counts. A second run, or a "Send now" racing the daily run, finds it sent and does nothing.
2. Email, outside any transaction or lock, in batches: a run claims a batch in one short statement (the claim
   time and the run's mark on each delivery), then mails each person with a work email the title, the text and a
   personal link, recording when it was emailed or why it could not be right after each send (the claim is
   renewed just before). One failure does not stop the others; two runs never claim the same delivery.
An interrupted run never makes anyone get the email twice: the next run (for a week after the send) mails the
deliveries nobody claimed, and settles an old claim (release_stale_claims): of a stopped run's unsettled
deliveries only the first can have been mailed; it is marked as possibly not sent, and the rest are mailed.
"""

from __future__ import annotations

import calendar
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.db.models import Max, Min, QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training import links
from safeguard.training.audiences import describe_audience, roster_audience
from safeguard.training.models import ReminderDelivery, SecurityReminder
from safeguard.training.queries_reminders import NO_EMAIL

logger = logging.getLogger(__name__)

SENDER = Actor.system("training.reminders")
TRIGGER = "training.reminders"
EMAIL_BATCH = 25
RESUME_FOR = timedelta(days=7)
# A claim: the run's mark in email_error and the time it was (re)claimed in emailed_at, until the send is recorded.
CLAIM_MARK = "claimed by run "
STALE_CLAIM = timedelta(hours=6)  # a claim this old belongs to a run that stopped
INTERRUPTED = "The run sending it stopped part way: this email may not have gone out, and is not sent again."
SERIES_WALK = 60  # how far back a series is followed to find the day of the month it means
Status = SecurityReminder.Status


@dataclass(frozen=True)
class SendResult:
    reminder: SecurityReminder
    recipients: int = 0
    emailed: int = 0
    failed: int = 0
    without_email: int = 0
    next_copy: SecurityReminder | None = None
    resumed: bool = False  # only emails an earlier, interrupted run left were sent


# ---- repeat dates -------------------------------------------------------------------------------------------------


def _is_month_end(day: date) -> bool:
    return day.day == calendar.monthrange(day.year, day.month)[1]


def _intended_day(reminder: SecurityReminder) -> int:
    """The day of the month a repeating series means. A copy on a month's last day may have been clamped (31 Jan
    + 1 month = 28 Feb): the copies before it say which day was meant, so 28 Feb is followed by 31 Mar."""
    day = timezone.localdate(reminder.scheduled_for)
    intended, previous_id = day.day, reminder.repeats_id
    for _ in range(SERIES_WALK):
        if intended == 31 or previous_id is None or not _is_month_end(day):
            break
        previous = SecurityReminder.objects.filter(pk=previous_id).values_list("scheduled_for", "repeats_id").first()
        if previous is None:
            break
        day, previous_id = timezone.localdate(previous[0]), previous[1]
        intended = max(intended, day.day)
    return intended


def next_time(reminder: SecurityReminder, after: datetime) -> datetime:
    """When the next copy of a repeating reminder is due: `repeat_months` after this one, at the same local time,
    on the day the series means (clamped to shorter months), skipping any date not after `after` (a reminder sent
    late does not make the next copies pile up)."""
    local = timezone.localtime(reminder.scheduled_for)
    day = _intended_day(reminder)
    step = 1
    while True:
        moved = add_months(local.date(), reminder.repeat_months * step)
        moved = moved.replace(day=min(day, calendar.monthrange(moved.year, moved.month)[1]))
        candidate = timezone.make_aware(datetime.combine(moved, local.time()))
        if candidate > after:
            return candidate
        step += 1


# ---- step 1: delivery ---------------------------------------------------------------------------------------------


def _repeat(reminder: SecurityReminder, actor: Actor, now: datetime) -> SecurityReminder:
    copy = SecurityReminder.objects.create(
        organization=reminder.organization,
        title=reminder.title,
        body=reminder.body,
        audience=reminder.audience,
        audience_values=reminder.audience_values,
        send_email=reminder.send_email,
        scheduled_for=next_time(reminder, now),
        status=Status.SCHEDULED,
        repeat_months=reminder.repeat_months,
        repeats=reminder,
        created_at=now,
    )
    topics = list(reminder.topics.all())
    copy.topics.set(topics)
    audit_record(
        actor=actor,
        action="training.reminder.created",
        organization=reminder.organization,
        target=copy,
        changes={
            "repeats": [None, reminder],
            "scheduled_for": [None, copy.scheduled_for],
            "repeat_months": [None, copy.repeat_months],
            "status": [None, copy.status],
            "topics": [None, sorted(topic.key for topic in topics)],
        },
    )
    return copy


def _deliver(organization: Organization, reminder: SecurityReminder, actor: Actor, now: datetime) -> SendResult | None:
    with transaction.atomic():
        locked = SecurityReminder.objects.select_for_update().filter(pk=reminder.pk, organization=organization).first()
        if locked is None or locked.status != Status.SCHEDULED or locked.scheduled_for > now:
            return None
        # The conditional update keeps "once" true where the database ignores row locks (SQLite).
        if not SecurityReminder.objects.filter(pk=locked.pk, status=Status.SCHEDULED).update(status=Status.SENT):
            return None
        people = roster_audience(organization, locked.audience, locked.audience_values).order_by("pk")
        rows = [
            ReminderDelivery(
                organization=organization,
                reminder=locked,
                person_id=person_id,
                delivered_at=now,
                email_error=NO_EMAIL if locked.send_email and not email else "",
            )
            for person_id, email in people.values_list("pk", "email").iterator(chunk_size=2000)
        ]
        ReminderDelivery.objects.bulk_create(rows, batch_size=1000)
        without_email = sum(1 for row in rows if row.email_error)
        locked.status, locked.sent_at, locked.recipients = Status.SENT, now, len(rows)
        locked.save(update_fields=["status", "sent_at", "recipients"])
        next_copy = _repeat(locked, actor, now) if locked.repeat_months else None
        audit_record(
            actor=actor,
            action="training.reminder.sent",
            organization=organization,
            target=locked,
            changes={
                "status": [Status.SCHEDULED, Status.SENT],
                "sent_at": [None, now],
                "audience": [None, describe_audience(locked.audience, locked.audience_values)],
                "recipients": [0, len(rows)],
                "to_email": [None, len(rows) - without_email if locked.send_email else 0],
                "without_email": [None, without_email if locked.send_email else None],
                "next_copy": [None, next_copy],
            },
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return SendResult(locked, recipients=len(rows), without_email=without_email, next_copy=next_copy)


# ---- step 2: email ------------------------------------------------------------------------------------------------


def _pending(reminder: SecurityReminder) -> QuerySet[ReminderDelivery]:
    return ReminderDelivery.objects.filter(reminder=reminder, emailed_at__isnull=True, email_error="")


def reminder_link(delivery: ReminderDelivery) -> str:
    """The person's own link to read the reminder and say so, without signing in."""
    token = links.make_token("reminder", str(delivery.public_id))
    return settings.SITE_URL.rstrip("/") + reverse("training_links:reminder_link", args=[token])


def _message(reminder: SecurityReminder, delivery: ReminderDelivery, connection: BaseEmailBackend) -> EmailMessage:
    context = {
        "reminder": reminder,
        "organization": reminder.organization,
        "person": delivery.person,
        "link": reminder_link(delivery),
        "days": links.MAX_AGE_DAYS,
    }
    subject = " ".join(render_to_string("training/reminders/email_subject.txt", context).split())
    body = render_to_string("training/reminders/email.txt", context)
    return EmailMessage(subject, body, None, [delivery.person.email], connection=connection)


def _claim(reminder: SecurityReminder, run: str) -> list[ReminderDelivery] | None:
    """Claim the next batch of deliveries nobody has mailed for this run (emailed_at: the claim time, email_error:
    the run's mark), in one short statement: another run claims other rows. None when none is left."""
    ids = list(_pending(reminder).order_by("pk").values_list("pk", flat=True)[:EMAIL_BATCH])
    if not ids:
        return None
    ReminderDelivery.objects.filter(pk__in=ids, emailed_at__isnull=True, email_error="").update(
        emailed_at=timezone.now(), email_error=run
    )
    return list(ReminderDelivery.objects.filter(pk__in=ids, email_error=run).select_related("person").order_by("pk"))


def _send_one(
    reminder: SecurityReminder, delivery: ReminderDelivery, connection: BaseEmailBackend, run: str
) -> bool | None:
    """Send one claimed delivery and record at once when it was emailed or why it could not be: True, False, or
    None when the claim was settled meanwhile (release_stale_claims) and the delivery is no longer this run's."""
    # Renewing the claim just before sending both checks it is still ours and says this run is alive.
    if not ReminderDelivery.objects.filter(pk=delivery.pk, email_error=run).update(emailed_at=timezone.now()):
        return None
    try:
        _message(reminder, delivery, connection).send()
    except (smtplib.SMTPException, OSError, ValueError) as error:
        logger.warning("security reminder %s: could not email %s: %s", reminder.public_id, delivery.pk, error)
        reason = (str(error) or type(error).__name__)[:300]
        ReminderDelivery.objects.filter(pk=delivery.pk, email_error=run).update(emailed_at=None, email_error=reason)
        _reopen(connection)  # the next person gets a fresh connection, not a broken one
        return False
    ReminderDelivery.objects.filter(pk=delivery.pk, email_error=run).update(emailed_at=timezone.now(), email_error="")
    return True


def _email_batch(reminder: SecurityReminder, connection: BaseEmailBackend, run: str) -> tuple[int, int] | None:
    """Claim the next batch, then mail it outside any transaction or lock, in order, recording each result before
    the next send: (emailed, failed), or None when nothing is left to mail."""
    batch = _claim(reminder, run)
    if batch is None:
        return None
    results = [_send_one(reminder, delivery, connection, run) for delivery in batch]
    return results.count(True), results.count(False)


def _reopen(connection: BaseEmailBackend) -> None:
    """Open the mail connection (again). When the server cannot be reached, each message tries on its own and
    records its own failure."""
    connection.close()
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as error:
        logger.warning("security reminders: cannot reach the mail server: %s", error)


def _email(reminder: SecurityReminder, actor: Actor) -> tuple[int, int]:
    emailed = failed = 0
    run = f"{CLAIM_MARK}{uuid.uuid4().hex}"
    connection = get_connection()
    _reopen(connection)
    try:
        while (done := _email_batch(reminder, connection, run)) is not None:
            emailed, failed = emailed + done[0], failed + done[1]
    finally:
        connection.close()
    if emailed or failed:
        with transaction.atomic():
            audit_record(
                actor=actor,
                action="training.reminder.emailed",
                organization=reminder.organization,
                target=reminder,
                changes={"emailed": [None, emailed], "email_failed": [None, failed]},
            )
    return emailed, failed


def release_stale_claims(reminders: QuerySet[SecurityReminder], *, now: datetime | None = None) -> int:
    """Settle the claims of runs that stopped: a run renews its claim before each send, so one whose newest claim
    is older than STALE_CLAIM is gone. It mailed its claims in order and recorded each result before the next
    send, so of its unsettled claims only the first may have been mailed: that one is marked INTERRUPTED and never
    sent again; the others were never tried and go back to be mailed. Returns how many went back."""
    cutoff = (now or timezone.now()) - STALE_CLAIM
    claimed = ReminderDelivery.objects.filter(reminder__in=reminders, email_error__startswith=CLAIM_MARK)
    stopped = (
        claimed.order_by()
        .values("email_error")
        .annotate(newest=Max("emailed_at"), first=Min("pk"))
        .filter(newest__lt=cutoff)
        .values_list("email_error", "first")
    )
    released = 0
    for run, first in list(stopped):
        ReminderDelivery.objects.filter(pk=first, email_error=run).update(emailed_at=None, email_error=INTERRUPTED)
        released += claimed.filter(email_error=run).update(emailed_at=None, email_error="")
    return released


# ---- the two together ---------------------------------------------------------------------------------------------


def reminder_send(
    *, organization: Organization, actor: Actor, reminder: SecurityReminder, now: datetime | None = None
) -> SendResult | None:
    """Send a scheduled reminder that is due, once: None when it is not (any more) scheduled and due."""
    now = now or timezone.now()
    result = _deliver(organization, reminder, actor, now)
    if result is None or not result.reminder.send_email:
        return result
    emailed, failed = _email(result.reminder, actor)
    return SendResult(
        result.reminder,
        recipients=result.recipients,
        emailed=emailed,
        failed=failed,
        without_email=result.without_email,
        next_copy=result.next_copy,
    )


def reminder_send_due(*, now: datetime | None = None, actor: Actor = SENDER) -> list[SendResult]:
    """Every organization's scheduled reminders due by `now`, oldest first; then the emails an interrupted run left
    (reminders sent in the last week). Safe to run as often as you like."""
    now = now or timezone.now()
    results = []
    due = SecurityReminder.objects.filter(status=Status.SCHEDULED, scheduled_for__lte=now).select_related(
        "organization"
    )
    for reminder in due.order_by("scheduled_for", "pk"):
        sent = reminder_send(organization=reminder.organization, actor=actor, reminder=reminder, now=now)
        if sent is not None:
            results.append(sent)
    recent = SecurityReminder.objects.filter(status=Status.SENT, send_email=True, sent_at__gte=now - RESUME_FOR)
    release_stale_claims(recent)
    for reminder in recent.select_related("organization").order_by("sent_at", "pk"):
        if not _pending(reminder).exists():
            continue
        emailed, failed = _email(reminder, actor)
        if emailed or failed:
            results.append(
                SendResult(reminder, recipients=reminder.recipients, emailed=emailed, failed=failed, resumed=True)
            )
    return results
