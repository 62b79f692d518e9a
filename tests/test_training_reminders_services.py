"""Security reminder services: writing and its bad input, scheduling, cancelling, repeat dates, sending once to the
audience of the moment, email with per-person failures, and read receipts, each audited."""

from __future__ import annotations

import smtplib
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.training import links
from safeguard.training.chores_reminders import send_due_reminders
from safeguard.training.models import ReminderDelivery, SecurityReminder
from safeguard.training.queries_reminders import NO_EMAIL
from safeguard.training.services import reminders as services
from safeguard.training.services.reminder_sending import (
    CLAIM_MARK,
    INTERRUPTED,
    SENDER,
    STALE_CLAIM,
    SendResult,
    next_time,
    release_stale_claims,
)
from tests.conftest import Cast
from tests.test_training_reminders_support import BODY, actor, at, events, reminder, roster
from tests.training_factories import person, topic

NOW = at(2027, 1, 31)
Status = SecurityReminder.Status


def send_due(now: datetime = NOW) -> list[SendResult]:
    return services.reminder_send_due(now=now)


# ---- writing ------------------------------------------------------------------------------------------------------


def test_create_a_draft_with_topics_is_audited(cast: Cast) -> None:
    phishing = topic(cast.org, "phishing")

    made = services.reminder_create(
        organization=cast.org,
        actor=actor(cast.official),
        title="  Report odd emails  ",
        body="Use the **Report** button.",
        audience="department",
        audience_values=["Nursing", " nursing ", "Billing"],
        topics=[phishing],
        now=NOW,
    )

    assert (made.status, made.title, made.scheduled_for, made.created_by) == (
        Status.DRAFT,
        "Report odd emails",
        NOW,
        cast.official,
    )
    assert made.audience_values == ["Nursing", "Billing"]
    assert list(made.topics.all()) == [phishing]
    [event] = events("training.reminder.created")
    assert event.changes["title"] == [None, "Report odd emails"]
    assert event.changes["topics"] == [None, ["phishing"]]
    assert event.changes["status"] == [None, "draft"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"title": " "}, "title", "Give the reminder a title"),
        ({"title": "Two\nlines"}, "title", "keep it on one line"),
        ({"body": ""}, "body", "Write the reminder's text."),
        ({"body": "x" * 20_001}, "body", "at most 20,000 characters"),
        ({"audience": "new_hires"}, "audience", "Choose one of the audiences"),
        ({"audience": "department"}, "audience_values", "Name at least one department."),
        ({"audience": "worker_type", "audience_values": ["pirate"]}, "audience_values", "Unknown worker type"),
        ({"repeat_months": 13}, "repeat_months", "Repeat every 1 to 12 months"),
        ({"scheduled_for": at(2040, 1, 1), "schedule": True}, "scheduled_for", "Schedule it between"),
    ],
)
def test_bad_input_is_refused_with_a_specific_message_and_nothing_written(
    cast: Cast, values: dict[str, object], field: str, message: str
) -> None:
    arguments: dict[str, object] = {"title": "Lock your screen", "body": "Do it.", **values}
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        services.reminder_create(organization=cast.org, actor=actor(cast.owner), now=NOW, **arguments)  # type: ignore[arg-type]

    assert refused.value.field == field
    assert message in refused.value.message
    assert not SecurityReminder.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_topic_of_another_organization_is_refused(cast: Cast) -> None:
    theirs = topic(cast.other_org, "phishing")

    with pytest.raises(ServiceError, match="not one of this organization's"):
        services.reminder_create(
            organization=cast.org, actor=actor(cast.owner), title="T", body="B", topics=[theirs], now=NOW
        )


def test_update_changes_only_what_is_given_and_audits_the_difference(cast: Cast) -> None:
    draft = reminder(cast.org, status=Status.DRAFT)

    services.reminder_update(organization=cast.org, actor=actor(cast.owner), reminder=draft, title="New title", now=NOW)
    services.reminder_update(organization=cast.org, actor=actor(cast.owner), reminder=draft, title="New title", now=NOW)

    draft.refresh_from_db()
    assert (draft.title, draft.body) == ("New title", BODY)
    [event] = events("training.reminder.updated")  # the second call changed nothing: no event
    assert event.changes == {"title": ["Lock your screen", "New title"]}


@pytest.mark.parametrize("state", [Status.SENT, Status.CANCELLED])
def test_a_sent_or_cancelled_reminder_cannot_be_changed_or_cancelled(cast: Cast, state: str) -> None:
    done = reminder(cast.org, status=state)

    with pytest.raises(ServiceError, match="only a draft or a scheduled reminder can be changed"):
        services.reminder_update(organization=cast.org, actor=actor(cast.owner), reminder=done, title="X")
    with pytest.raises(ServiceError, match="can be cancelled"):
        services.reminder_cancel(organization=cast.org, actor=actor(cast.owner), reminder=done)
    with pytest.raises(ServiceError, match="already"):
        services.reminder_send_now(organization=cast.org, actor=actor(cast.owner), reminder=done)

    done.refresh_from_db()
    assert (done.status, done.title) == (state, "Lock your screen")


def test_schedule_a_draft_for_a_past_time_sends_it_at_the_next_run(cast: Cast) -> None:
    people = roster(cast.org)
    draft = reminder(cast.org, status=Status.DRAFT, scheduled_for=NOW + timedelta(days=30))

    services.reminder_schedule(
        organization=cast.org, actor=actor(cast.owner), reminder=draft, scheduled_for=NOW - timedelta(days=2), now=NOW
    )
    with pytest.raises(ServiceError, match="Only a draft can be scheduled"):
        services.reminder_schedule(organization=cast.org, actor=actor(cast.owner), reminder=draft, now=NOW)
    [result] = send_due()

    assert result.reminder.pk == draft.pk
    assert result.recipients == len(people) - 1
    [event] = events("training.reminder.scheduled")
    assert event.changes["status"] == ["draft", "scheduled"]


def test_cancel_keeps_it_from_being_sent(cast: Cast) -> None:
    roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW - timedelta(hours=1))

    services.reminder_cancel(organization=cast.org, actor=actor(cast.owner), reminder=planned)

    assert send_due() == []
    assert not ReminderDelivery.objects.exists()
    [event] = events("training.reminder.cancelled")
    assert event.changes == {"status": ["scheduled", "cancelled"]}


# ---- repeat dates -----------------------------------------------------------------------------------------------


def test_31_january_plus_one_month_is_28_february_then_31_march(cast: Cast) -> None:
    roster(cast.org)
    first = reminder(cast.org, scheduled_for=at(2027, 1, 31), repeat_months=1)

    [sent] = send_due(at(2027, 1, 31, 10))
    february = sent.next_copy
    assert february is not None
    assert february.scheduled_for == at(2027, 2, 28)
    assert (february.repeats, february.status, february.title) == (first, Status.SCHEDULED, first.title)

    [sent] = send_due(at(2027, 2, 28, 10))
    assert sent.next_copy is not None
    assert sent.next_copy.scheduled_for == at(2027, 3, 31)  # the series means the 31st, not the 28th


def test_every_two_months_on_the_31st_comes_back_to_the_31st(cast: Cast) -> None:
    july = reminder(cast.org, scheduled_for=at(2027, 7, 31), repeat_months=2, status=Status.SENT)
    september = reminder(cast.org, scheduled_for=at(2027, 9, 30), repeat_months=2, repeats=july)
    november = reminder(cast.org, scheduled_for=at(2027, 11, 30), repeat_months=2, repeats=september)

    assert next_time(november, after=at(2027, 11, 30, 10)) == at(2028, 1, 31)


def test_a_leap_year_february_gets_the_29th(cast: Cast) -> None:
    first = reminder(cast.org, scheduled_for=at(2028, 1, 31), repeat_months=1)

    assert next_time(first, after=at(2028, 1, 31, 10)) == at(2028, 2, 29)


def test_a_late_send_schedules_the_next_copy_after_now_not_in_the_past(cast: Cast) -> None:
    late = reminder(cast.org, scheduled_for=at(2027, 1, 15), repeat_months=1)

    [sent] = send_due(at(2027, 4, 2))

    assert sent.next_copy is not None
    assert sent.next_copy.scheduled_for == at(2027, 4, 15)
    assert late.pk != sent.next_copy.pk


# ---- sending ------------------------------------------------------------------------------------------------------


def test_sent_once_however_often_the_chore_runs(cast: Cast) -> None:
    roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW - timedelta(hours=1), repeat_months=1)

    first = send_due()
    second = send_due(NOW + timedelta(hours=3))
    third = services.reminder_send(organization=cast.org, actor=SENDER, reminder=planned, now=NOW)

    assert len(first) == 1 and second == [] and third is None
    planned.refresh_from_db()
    assert (planned.status, planned.sent_at, planned.recipients) == (Status.SENT, NOW, 4)
    assert ReminderDelivery.objects.count() == 4
    assert SecurityReminder.objects.filter(repeats=planned).count() == 1
    assert len(mail.outbox) == 3  # four people, one without an email
    assert len(events("training.reminder.sent")) == 1


def test_a_reminder_not_yet_due_is_left_alone(cast: Cast) -> None:
    roster(cast.org)
    reminder(cast.org, scheduled_for=NOW + timedelta(minutes=1))

    assert send_due() == []
    assert mail.outbox == []


def test_the_audience_is_who_is_on_the_roster_when_it_is_sent(cast: Cast) -> None:
    people = roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW + timedelta(days=1))
    people["clerk"].status = "terminated"
    people["clerk"].save()
    joiner = person(cast.org, "J1", name="Jo Joiner")

    send_due(NOW + timedelta(days=1))

    delivered = set(ReminderDelivery.objects.filter(reminder=planned).values_list("person__employee_id", flat=True))
    assert delivered == {"N1", "X1", "L1", joiner.employee_id}  # on leave: yes; left (G1, C1): no


def test_a_department_audience_ignores_case(cast: Cast) -> None:
    roster(cast.org)
    planned = reminder(cast.org, audience="department", audience_values=["billing"], scheduled_for=NOW)

    send_due()

    assert list(ReminderDelivery.objects.filter(reminder=planned).values_list("person__employee_id", flat=True)) == [
        "C1"
    ]


def test_the_email_has_the_title_the_plain_text_and_a_personal_link(cast: Cast, settings: Any) -> None:
    settings.SITE_URL = "https://safeguard.example.org/"
    people = roster(cast.org)
    planned = reminder(cast.org, audience="department", audience_values=["Billing"], scheduled_for=NOW)

    send_due()

    [message] = mail.outbox
    assert message.to == [people["clerk"].email]
    assert message.subject == "Security reminder: Lock your screen (Riverside Clinic)"
    assert "Lock your screen (**Windows+L**) whenever you step away." in message.body
    assert "Hello Cal," in message.body
    delivery = ReminderDelivery.objects.get(reminder=planned)
    [link] = [line for line in message.body.splitlines() if line.startswith("https://")]
    assert link.startswith("https://safeguard.example.org/t/reminders/")
    token = link.removeprefix("https://safeguard.example.org/t/reminders/").rstrip("/")
    assert links.read_token("reminder", token) == str(delivery.public_id)
    assert delivery.emailed_at is not None and delivery.email_error == ""


def test_one_failed_email_is_recorded_and_does_not_stop_the_others(cast: Cast) -> None:
    people = roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW)
    real_send = mail.EmailMessage.send

    def flaky(self: mail.EmailMessage, fail_silently: bool = False) -> int:
        if self.to == [people["nurse"].email]:
            raise smtplib.SMTPRecipientsRefused({self.to[0]: (550, b"mailbox unavailable")})
        return real_send(self, fail_silently)

    with mock.patch.object(mail.EmailMessage, "send", flaky):
        [result] = send_due()

    assert (result.recipients, result.emailed, result.failed, result.without_email) == (4, 2, 1, 1)
    by_id = {
        d.person.employee_id: d for d in ReminderDelivery.objects.filter(reminder=planned).select_related("person")
    }
    assert "550" in by_id["N1"].email_error and by_id["N1"].emailed_at is None
    assert by_id["X1"].email_error == NO_EMAIL
    assert by_id["C1"].emailed_at is not None and by_id["L1"].emailed_at is not None
    [sent] = events("training.reminder.sent")
    assert sent.actor_label == "system:training.reminders"
    assert sent.changes["recipients"] == [0, 4]
    assert sent.changes["to_email"] == [None, 3]
    assert sent.changes["without_email"] == [None, 1]
    [emailed] = events("training.reminder.emailed")
    assert emailed.changes == {"emailed": [None, 2], "email_failed": [None, 1]}
    assert len(events("training.reminder.read")) == 0


def test_emails_an_interrupted_run_left_are_sent_by_the_next_run(cast: Cast) -> None:
    roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW)
    with mock.patch("safeguard.training.services.reminder_sending._email", return_value=(0, 0)):
        send_due()
    assert mail.outbox == []

    [resumed] = send_due(NOW + timedelta(hours=1))

    assert resumed.resumed and resumed.emailed == 3
    assert len(mail.outbox) == 3
    assert not ReminderDelivery.objects.filter(reminder=planned, emailed_at__isnull=True, email_error="").exists()
    assert send_due(NOW + timedelta(hours=2)) == []


def test_emails_are_sent_outside_any_transaction(cast: Cast) -> None:
    roster(cast.org)
    reminder(cast.org, scheduled_for=NOW)
    real_send = mail.EmailMessage.send
    depth_at_send: list[int] = []

    def watched(self: mail.EmailMessage, fail_silently: bool = False) -> int:
        depth_at_send.append(len(connection.atomic_blocks))
        return real_send(self, fail_silently)

    outside = len(connection.atomic_blocks)  # the test's own transaction
    with mock.patch.object(mail.EmailMessage, "send", watched):
        send_due()

    assert depth_at_send == [outside] * 3


class Crash(BaseException):
    """The process dies (killed, out of memory) in the middle of a send."""


def crash_on_send(number: int) -> Any:
    real_send = mail.EmailMessage.send
    calls = []

    def send(self: mail.EmailMessage, fail_silently: bool = False) -> int:
        calls.append(self.to)
        if len(calls) == number:
            raise Crash
        return real_send(self, fail_silently)

    return mock.patch.object(mail.EmailMessage, "send", send)


def test_an_interrupted_run_never_mails_anyone_twice(cast: Cast) -> None:
    roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW)
    with crash_on_send(2), pytest.raises(Crash):
        send_due()
    [first] = mail.outbox
    deliveries = ReminderDelivery.objects.filter(reminder=planned).exclude(email_error=NO_EMAIL).order_by("pk")
    emailed, uncertain, untried = deliveries
    assert emailed.emailed_at is not None and emailed.email_error == ""
    assert first.to == [emailed.person.email]

    assert send_due(NOW + timedelta(hours=1)) == []  # the claims are recent: their run may still be going
    assert len(mail.outbox) == 1

    claimed = ReminderDelivery.objects.filter(email_error__startswith=CLAIM_MARK)
    assert set(claimed.values_list("pk", flat=True)) == {uncertain.pk, untried.pk}
    claimed.update(emailed_at=timezone.now() - STALE_CLAIM - timedelta(minutes=1))
    [resumed] = send_due(NOW + timedelta(hours=2))

    assert (resumed.resumed, resumed.emailed, resumed.failed) == (True, 1, 0)
    assert [message.to for message in mail.outbox] == [[emailed.person.email], [untried.person.email]]
    uncertain.refresh_from_db()
    assert (uncertain.emailed_at, uncertain.email_error) == (None, INTERRUPTED)
    assert send_due(NOW + timedelta(hours=3)) == []
    assert len(mail.outbox) == 2


def test_a_claim_settled_by_another_run_is_not_sent(cast: Cast) -> None:
    """A run thought stopped that comes back does not mail what another run has taken over."""
    roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW)
    real_send = mail.EmailMessage.send
    other_run = f"{CLAIM_MARK}other"

    def slow(self: mail.EmailMessage, fail_silently: bool = False) -> int:
        if not mail.outbox:  # while the first email is on its way, another run settles the claims and takes over
            ReminderDelivery.objects.filter(email_error__startswith=CLAIM_MARK).update(
                emailed_at=timezone.now() - STALE_CLAIM - timedelta(minutes=1)
            )
            release_stale_claims(SecurityReminder.objects.filter(pk=planned.pk))
            ReminderDelivery.objects.filter(reminder=planned, email_error="", emailed_at__isnull=True).update(
                email_error=other_run, emailed_at=timezone.now()
            )
        return real_send(self, fail_silently)

    with mock.patch.object(mail.EmailMessage, "send", slow):
        [result] = send_due()

    assert len(mail.outbox) == 1
    assert (result.emailed, result.failed) == (1, 0)
    states = ReminderDelivery.objects.filter(reminder=planned).exclude(email_error=NO_EMAIL).order_by("pk")
    assert list(states.values_list("email_error", flat=True)) == [INTERRUPTED, other_run, other_run]


def test_without_email_it_is_only_posted(cast: Cast) -> None:
    roster(cast.org)
    planned = reminder(cast.org, scheduled_for=NOW, send_email=False)

    [result] = send_due()

    assert (result.recipients, result.emailed, result.without_email) == (4, 0, 0)
    assert mail.outbox == []
    assert not ReminderDelivery.objects.filter(reminder=planned).exclude(email_error="").exists()


def test_an_empty_audience_is_sent_to_nobody(cast: Cast) -> None:
    planned = reminder(cast.org, audience="job_role", audience_values=["Astronaut"], scheduled_for=NOW)

    [result] = send_due()

    assert result.recipients == 0
    planned.refresh_from_db()
    assert (planned.status, planned.recipients) == (Status.SENT, 0)


def test_send_now_schedules_for_now_and_sends_once_the_transaction_commits(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    roster(cast.org)
    draft = reminder(cast.org, status=Status.DRAFT, scheduled_for=NOW + timedelta(days=20))

    with django_capture_on_commit_callbacks(execute=True):
        services.reminder_send_now(organization=cast.org, actor=actor(cast.owner), reminder=draft)

    draft.refresh_from_db()
    assert draft.status == Status.SENT and draft.recipients == 4
    assert len(mail.outbox) == 3
    [requested] = events("training.reminder.send_requested")
    assert requested.changes["status"] == ["draft", "scheduled"]


def test_the_chore_says_what_it_sent_and_what_it_would_send(cast: Cast) -> None:
    roster(cast.org)
    reminder(cast.org, scheduled_for=at(2020, 1, 1), repeat_months=3)

    dry = send_due_reminders(NOW.date(), True)
    assert dry == ["clinic: “Lock your screen” would be sent to 4 people"]
    assert not ReminderDelivery.objects.exists()

    with mock.patch("safeguard.training.chores_reminders.as_of", return_value=NOW):
        lines = send_due_reminders(NOW.date(), False)

    assert lines == [
        "clinic: “Lock your screen” sent to 4 people (3 emailed, 0 could not be emailed, 1 without a work email); "
        "next copy on 2027-04-01 09:00"
    ]


# ---- read receipts ------------------------------------------------------------------------------------------------


def test_mark_read_records_the_first_read_only(cast: Cast) -> None:
    people = roster(cast.org)
    reminder(cast.org, scheduled_for=NOW)
    send_due()
    delivery = ReminderDelivery.objects.get(person=people["nurse"])

    first = services.reminder_mark_read(organization=cast.org, actor=actor(cast.workforce), delivery=delivery, now=NOW)
    again = services.reminder_mark_read(
        organization=cast.org, actor=actor(cast.workforce), delivery=delivery, now=NOW + timedelta(days=1)
    )

    assert (first, again) == (True, False)
    delivery.refresh_from_db()
    assert delivery.read_at == NOW
    [event] = events("training.reminder.read")
    assert event.changes["person"] == [None, str(people["nurse"].public_id)]
    assert event.object_repr == "Lock your screen read by Nora Nurse"
