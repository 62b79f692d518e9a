"""The escalation run on a frozen clock: reminders, the next level, the final notice, and nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from safeguard.activity.models import Alert, AlertNote, AlertStatus, DetectionRule, EscalationLevel
from safeguard.activity.services.escalation import escalation_run
from tests.activity_factories import make_alert, make_rule
from tests.conftest import make_member

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def path(cast):
    reviewer = make_member(cast.org, "reviewer@clinic.test", "reviewer").user
    EscalationLevel.objects.create(
        organization=cast.org,
        severity="high",
        level=1,
        notify_user=reviewer,
        ack_minutes=60,
        remind_every_minutes=20,
    )
    EscalationLevel.objects.create(
        organization=cast.org, severity="high", level=2, notify_role="security_official", ack_minutes=120
    )
    return reviewer


def new_alert(cast, **extra) -> Alert:
    values = {
        "severity": "high",
        "group_key": {"user_name": "jdoe", "patient_id": "MRN-9"},
        "group_text": "user_name=jdoe, patient_id=MRN-9",
        "ack_due_at": NOW + timedelta(minutes=60),
        "last_notified_at": NOW,
        "created_at": NOW,
    }
    values.update(extra)
    rule = DetectionRule.objects.filter(organization=cast.org, name="test_rule").first() or make_rule(cast.org)
    return make_alert(cast.org, rule, **values)


def test_reminds_the_current_level_every_interval_before_the_deadline(cast, path):
    alert = new_alert(cast)
    assert escalation_run(now=NOW + timedelta(minutes=10)).reminded == 0
    tally = escalation_run(now=NOW + timedelta(minutes=20))
    assert (tally.reminded, tally.raised, tally.final) == (1, 0, 0)
    assert [m.to for m in mail.outbox] == [["reviewer@clinic.test"]]
    assert escalation_run(now=NOW + timedelta(minutes=30)).reminded == 0  # interval counts from the reminder
    assert escalation_run(now=NOW + timedelta(minutes=40)).reminded == 1
    alert.refresh_from_db()
    assert alert.last_notified_at == NOW + timedelta(minutes=40)
    assert alert.notes.filter(action=AlertNote.Action.REMINDED).count() == 2


def test_missed_deadline_raises_the_level_then_the_final_notice_once(cast, path):
    alert = new_alert(cast)
    at_deadline = NOW + timedelta(minutes=60)
    assert escalation_run(now=at_deadline).raised == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert alert.ack_due_at == at_deadline + timedelta(minutes=120)
    assert mail.outbox[-1].to == ["so@clinic.test"]
    assert "level 2" in mail.outbox[-1].subject
    assert escalation_run(now=at_deadline + timedelta(minutes=5)).raised == 0  # no reminders at level 2

    past_last = at_deadline + timedelta(minutes=121)
    tally = escalation_run(now=past_last)
    assert (tally.raised, tally.final) == (0, 1)
    assert sorted(mail.outbox[-1].to) == ["owner@clinic.test", "so@clinic.test"]
    assert escalation_run(now=past_last + timedelta(hours=3)).final == 0
    assert len(mail.outbox) == 2
    alert.refresh_from_db()
    assert alert.escalation_level == 2
    assert alert.ack_due_at == at_deadline + timedelta(minutes=120)  # stays overdue for the tracker and pages


def test_without_a_path_owners_and_officials_get_the_final_notice(cast):
    new_alert(cast, severity="medium", ack_due_at=NOW + timedelta(minutes=30))
    tally = escalation_run(now=NOW + timedelta(minutes=31))
    assert tally.final == 1
    assert sorted(mail.outbox[0].to) == ["owner@clinic.test", "so@clinic.test"]


def test_triaged_closed_and_deadline_free_alerts_are_left_alone(cast, path):
    new_alert(cast, status=AlertStatus.TRIAGED, ack_due_at=NOW)
    new_alert(cast, status=AlertStatus.BENIGN, ack_due_at=NOW)
    new_alert(cast, severity="informational", ack_due_at=None)
    tally = escalation_run(now=NOW + timedelta(days=2))
    assert (tally.reminded, tally.raised, tally.final) == (0, 0, 0)
    assert mail.outbox == []


def test_dry_run_changes_nothing(cast, path):
    alert = new_alert(cast, ack_due_at=NOW)
    assert escalation_run(now=NOW + timedelta(minutes=1), dry_run=True).raised == 1
    alert.refresh_from_db()
    assert alert.escalation_level == 1
    assert mail.outbox == []


def test_emails_carry_no_group_key(cast, path):
    new_alert(cast, ack_due_at=NOW)
    escalation_run(now=NOW + timedelta(minutes=1))
    text = f"{mail.outbox[0].subject}\n{mail.outbox[0].body}"
    assert "MRN-9" not in text
    assert "jdoe" not in text
    assert "Triage by:" in text


def test_both_chores_are_registered_and_run_idempotently(cast, path):
    from safeguard.core.chores import registered_chores

    chores, today = registered_chores(), NOW.date()  # the chores read the real clock; the day is informative
    new_alert(cast, ack_due_at=NOW - timedelta(days=400))  # long overdue: level 2 once, whatever the runs
    assert chores["activity.escalation"](today, True) == [
        "0 reminder(s), 1 alert(s) moved to the next level, 0 final notice(s)"
    ]
    chores["activity.escalation"](today, False)
    chores["activity.escalation"](today, False)
    assert Alert.objects.get().escalation_level == 2
    assert chores["activity.silent_sources"](today, False) == []
