"""Obligation reminders and overdue escalation: who is told, when, and that nothing is told twice."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
from django.core import mail

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Membership, Obligation, User
from safeguard.core.models.obligations import Cadence
from safeguard.core.roles import Role
from safeguard.core.services.obligations import obligation_complete, obligation_update
from safeguard.core.services.reminders import obligation_reminders_run
from tests.conftest import Cast, make_member

TODAY = date(2030, 6, 1)


def duty(cast: Cast, owner: User | None = None, days: int = 10, **values: object) -> Obligation:
    fields: dict[str, object] = {
        "organization": cast.org,
        "title": "Quarterly restore test",
        "owner": owner or cast.workforce,
        "due_on": TODAY + timedelta(days=days),
        "cadence": Cadence.QUARTERLY,
        "remind_days_before": 14,
        **values,
    }
    return Obligation.objects.create(**fields)


# --- reminders --------------------------------------------------------------------------------------------------


def test_an_obligation_inside_its_window_reminds_its_owner(cast: Cast) -> None:
    obligation = duty(cast, days=10)

    summary = obligation_reminders_run(today=TODAY)

    assert [n.obligation_id for n in summary.reminded] == [str(obligation.public_id)]
    (message,) = mail.outbox
    assert message.to == ["nurse@clinic.test"]
    assert message.subject == "Due 2030-06-11: Quarterly restore test (Riverside Clinic)"
    assert "in 10 days" in message.body
    assert f"/o/clinic/obligations/{obligation.public_id}/" in message.body
    obligation.refresh_from_db()
    assert obligation.last_reminded_on == TODAY
    event = AuditEvent.objects.get(action="obligation.reminded")
    assert event.actor is None and event.actor_label == "system:scheduler"
    assert event.organization == cast.org
    assert event.changes["recipients"] == [None, ["nurse@clinic.test"]]


def test_an_obligation_outside_its_window_is_left_alone(cast: Cast) -> None:
    obligation = duty(cast, days=15, remind_days_before=14)

    summary = obligation_reminders_run(today=TODAY)

    assert summary.reminded == ()
    assert mail.outbox == []
    obligation.refresh_from_db()
    assert obligation.last_reminded_on is None


def test_a_second_run_sends_no_new_reminder(cast: Cast) -> None:
    duty(cast, days=10)
    obligation_reminders_run(today=TODAY)

    again = obligation_reminders_run(today=TODAY)
    next_day = obligation_reminders_run(today=TODAY + timedelta(days=1))

    assert again.reminded == () and next_day.reminded == ()
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="obligation.reminded").count() == 1


def test_completing_starts_a_new_cycle_of_reminders(cast: Cast) -> None:
    obligation = duty(cast, days=5, cadence=Cadence.MONTHLY)
    obligation_reminders_run(today=TODAY)
    obligation_complete(organization=cast.org, actor=Actor(user=cast.workforce), obligation=obligation, today=TODAY)
    obligation.refresh_from_db()
    assert obligation.due_on == date(2030, 7, 6)

    summary = obligation_reminders_run(today=date(2030, 6, 25))

    assert len(summary.reminded) == 1
    assert len(mail.outbox) == 2


def test_moving_the_due_date_out_and_back_reminds_again(cast: Cast) -> None:
    obligation = duty(cast, days=10)
    obligation_reminders_run(today=TODAY)
    actor = Actor(user=cast.owner)
    obligation_update(organization=cast.org, actor=actor, obligation=obligation, due_on=TODAY + timedelta(days=60))
    obligation_update(organization=cast.org, actor=actor, obligation=obligation, due_on=TODAY + timedelta(days=3))

    summary = obligation_reminders_run(today=TODAY)

    assert len(summary.reminded) == 1


def test_an_owner_who_left_gets_no_reminder(cast: Cast) -> None:
    obligation = duty(cast, days=10)
    Membership.objects.filter(user=cast.workforce).update(is_active=False)

    summary = obligation_reminders_run(today=TODAY)

    assert summary.reminded == ()
    assert [n.obligation_id for n in summary.no_recipient] == [str(obligation.public_id)]
    assert mail.outbox == []
    assert not AuditEvent.objects.exists()


# --- escalation -------------------------------------------------------------------------------------------------


def test_an_overdue_obligation_is_escalated_to_owner_officials_and_owners(cast: Cast) -> None:
    second_owner = make_member(cast.org, "partner@clinic.test", Role.OWNER).user
    make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER)
    make_member(cast.org, "gone@clinic.test", Role.SECURITY_OFFICIAL, is_active=False)
    make_member(cast.other_org, "so@other.test", Role.SECURITY_OFFICIAL)
    obligation = duty(cast, days=-2)

    summary = obligation_reminders_run(today=TODAY)

    (notice,) = summary.escalated
    (message,) = mail.outbox
    expected = ["nurse@clinic.test", "owner@clinic.test", second_owner.email, "so@clinic.test"]
    assert sorted(message.to) == sorted(expected)
    assert message.to[0] == "nurse@clinic.test"
    assert notice.recipients == tuple(message.to)
    assert message.subject == "Overdue: Quarterly restore test (Riverside Clinic)"
    assert "2 days ago" in message.body
    obligation.refresh_from_db()
    assert obligation.escalated_on == TODAY
    event = AuditEvent.objects.get(action="obligation.escalated")
    assert event.actor_label == "system:scheduler"
    assert event.changes["escalated_on"] == [None, "2030-06-01"]


def test_escalation_happens_once(cast: Cast) -> None:
    duty(cast, days=-2)
    obligation_reminders_run(today=TODAY)

    again = obligation_reminders_run(today=TODAY)
    later = obligation_reminders_run(today=TODAY + timedelta(days=7))

    assert again.escalated == () and later.escalated == ()
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="obligation.escalated").count() == 1


def test_an_overdue_obligation_whose_owner_left_still_reaches_the_officials(cast: Cast) -> None:
    duty(cast, days=-1)
    Membership.objects.filter(user=cast.workforce).update(is_active=False)

    obligation_reminders_run(today=TODAY)

    (message,) = mail.outbox
    assert sorted(message.to) == ["owner@clinic.test", "so@clinic.test"]


def test_finished_and_cancelled_obligations_are_never_chased(cast: Cast) -> None:
    duty(cast, days=-5, status=Obligation.Status.DONE)
    duty(cast, days=3, status=Obligation.Status.CANCELLED)

    summary = obligation_reminders_run(today=TODAY)

    assert summary.reminded == () and summary.escalated == ()
    assert mail.outbox == []


def test_each_organization_escalates_to_its_own_people(cast: Cast) -> None:
    duty(cast, days=-1, organization=cast.other_org, owner=cast.outsider, title="Other's duty")

    obligation_reminders_run(today=TODAY)

    (message,) = mail.outbox
    assert message.to == ["owner@other.test"]


# --- dry run and failures ---------------------------------------------------------------------------------------


def test_dry_run_reports_but_sends_and_writes_nothing(cast: Cast) -> None:
    soon = duty(cast, days=10, title="Soon")
    late = duty(cast, days=-3, title="Late")

    summary = obligation_reminders_run(today=TODAY, dry_run=True)

    assert summary.dry_run is True
    assert [n.title for n in summary.reminded] == ["Soon"]
    assert [n.title for n in summary.escalated] == ["Late"]
    assert mail.outbox == []
    assert not AuditEvent.objects.exists()
    soon.refresh_from_db()
    late.refresh_from_db()
    assert soon.last_reminded_on is None and late.escalated_on is None


def test_a_mail_failure_marks_nothing_so_the_next_run_tries_again(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    obligation = duty(cast, days=10)

    def refuse(*args: object, **kwargs: object) -> None:
        raise smtplib.SMTPServerDisconnected("mail server went away")

    monkeypatch.setattr("safeguard.core.services.reminders.send_mail", refuse)
    failed = obligation_reminders_run(today=TODAY)
    monkeypatch.undo()
    retried = obligation_reminders_run(today=TODAY)

    assert [n.obligation_id for n in failed.failed] == [str(obligation.public_id)]
    assert failed.reminded == ()
    assert len(retried.reminded) == 1
    assert AuditEvent.objects.filter(action="obligation.reminded").count() == 1
