"""Two scheduler workers on one alert: the step decides again under the row lock, so only the first sends the
email and writes the note, and a copy read before another worker acted changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from safeguard.activity.models import AlertNote, EscalationLevel
from safeguard.activity.services import escalation
from safeguard.activity.services.escalation import escalation_run, path_levels
from tests.conftest import make_member
from tests.test_activity_escalation_run import NOW, new_alert


@pytest.fixture
def path(cast: Any) -> None:
    """High alerts: level 1 a reviewer with 60 minutes, reminded every 20; level 2 the security officials."""
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


def test_a_second_worker_with_the_same_decision_sends_nothing(cast: Any, path: Any) -> None:
    alert = new_alert(cast)
    levels = path_levels({cast.org.pk})
    at = NOW + timedelta(minutes=20)  # level 1 reminds every 20 minutes
    assert escalation._act(alert, levels, at) == "reminder"
    assert escalation._act(alert, levels, at) is None  # the same copy, the same moment: the second worker
    assert [m.to for m in mail.outbox] == [["reviewer@clinic.test"]]
    assert list(alert.notes.values_list("action", flat=True)) == [AlertNote.Action.REMINDED]
    alert.refresh_from_db()
    assert alert.last_notified_at == at


def test_a_copy_read_before_the_level_was_raised_changes_nothing(cast: Any, path: Any) -> None:
    stale = new_alert(cast)
    at_deadline = NOW + timedelta(minutes=60)
    assert escalation_run(now=at_deadline).raised == 1  # the other worker raised it to level 2
    assert escalation._act(stale, path_levels({cast.org.pk}), at_deadline) is None
    assert len(mail.outbox) == 1
    assert list(stale.notes.values_list("action", flat=True)) == [AlertNote.Action.LEVEL_RAISED]
    stale.refresh_from_db()
    assert (stale.escalation_level, stale.ack_due_at) == (2, at_deadline + timedelta(minutes=120))


def test_the_tally_counts_only_what_was_done(cast: Any, path: Any, monkeypatch: Any) -> None:
    new_alert(cast)
    at = NOW + timedelta(minutes=20)
    act = escalation._act

    def raced(alert: Any, levels: Any, now: Any) -> str | None:
        act(alert, levels, now)  # another worker got the lock first
        return act(alert, levels, now)

    monkeypatch.setattr(escalation, "_act", raced)
    tally = escalation_run(now=at)
    assert (tally.reminded, tally.raised, tally.final) == (0, 0, 0)
    assert len(mail.outbox) == 1
