"""The 164.308(a)(5)(ii)(A) check: a security reminder sent in each of the last periods of the cadence, the read
rate, the months arithmetic at month ends, and the day it lapses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.training.checks_reminders import reminder_periods, security_reminders
from safeguard.training.models import ReminderDelivery, SecurityReminder, TrainingSettings
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_support import TODAY, at


def sent(organization: Organization, day: date, *, title: str = "", status: str = "sent") -> SecurityReminder:
    return SecurityReminder.objects.create(
        organization=organization,
        title=title or f"Reminder {day:%Y-%m-%d}",
        body="Lock your screen.",
        scheduled_for=at(day, 9),
        status=status,
        sent_at=at(day, 9) if status == SecurityReminder.Status.SENT else None,
        recipients=12 if status == SecurityReminder.Status.SENT else 0,
    )


def deliver(reminder: SecurityReminder, count: int, read: int) -> None:
    for n in range(count):
        who = make.person(reminder.organization, f"R{reminder.pk}-{n}")
        ReminderDelivery.objects.create(
            organization=reminder.organization,
            reminder=reminder,
            person=who,
            read_at=reminder.sent_at if n < read else None,
        )


def test_periods_are_counted_back_from_today_at_month_ends() -> None:
    assert reminder_periods(date(2026, 3, 31), 1, 3) == [
        (date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 1, 31), date(2026, 2, 28)),
        (date(2025, 12, 31), date(2026, 1, 31)),
    ]
    assert reminder_periods(date(2026, 6, 15), 3, 2) == [
        (date(2026, 3, 15), date(2026, 6, 15)),
        (date(2025, 12, 15), date(2026, 3, 15)),
    ]


def test_none_ever_is_not_met(cast: Cast) -> None:
    sent(cast.org, TODAY - timedelta(days=3), status=SecurityReminder.Status.SCHEDULED)
    result = security_reminders(cast.org, TODAY)
    assert (result.status, result.reason) == (Status.NOT_MET, "No security reminder has been sent yet.")
    assert result.next_action.startswith("Send a security reminder at least every month")


def test_one_in_each_month_is_met_with_the_read_rate(cast: Cast) -> None:
    reminders = [sent(cast.org, day) for day in (date(2026, 6, 1), date(2026, 5, 1), date(2026, 3, 20))]
    deliver(reminders[0], 4, 3)
    deliver(reminders[2], 4, 1)
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason == (
        "A security reminder was sent in each of the last 3 months (3 reminders, the latest on 2026-06-01). "
        "4 of 8 deliveries read (50%)."
    )
    assert result.lapses_on == date(2026, 7, 1)
    assert result.next_action == "Send the next reminder by 2026-06-30."
    assert [ref.id for ref in result.records] == [str(r.public_id) for r in reminders]
    assert result.records[0].label == "Reminder 2026-06-01, sent 2026-06-01"


def test_a_period_boundary_belongs_to_the_later_period(cast: Cast) -> None:
    # Periods for 2026-06-15: (05-15, 06-15], (04-15, 05-15], (03-15, 04-15].
    sent(cast.org, date(2026, 6, 15))
    sent(cast.org, date(2026, 5, 15))
    sent(cast.org, date(2026, 3, 16))
    assert security_reminders(cast.org, TODAY).status == Status.MET
    SecurityReminder.objects.filter(sent_at=at(date(2026, 3, 16), 9)).update(sent_at=at(date(2026, 3, 15), 9))
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert result.reason == (
        "Security reminders were sent in 2 of the last 3 months (one is expected every month); none from "
        "2026-03-16 to 2026-04-15. No delivery to a person is recorded for them, so there is no read rate."
    )


def test_some_periods_empty_is_partially_met(cast: Cast) -> None:
    sent(cast.org, date(2026, 4, 1))
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert "none from 2026-05-16 to 2026-06-15, 2026-04-16 to 2026-05-15." in result.reason
    assert result.lapses_on == date(2026, 5, 1)


def test_reminders_only_before_the_span_is_not_met_naming_the_last(cast: Cast) -> None:
    old = sent(cast.org, date(2026, 1, 10))
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == (
        "No security reminder was sent in the last 3 months (one is expected every month); the latest was sent on "
        "2026-01-10."
    )
    assert [ref.id for ref in result.records] == [str(old.public_id)]


@pytest.mark.parametrize("status", [SecurityReminder.Status.DRAFT, SecurityReminder.Status.CANCELLED])
def test_only_sent_reminders_count(cast: Cast, status: str) -> None:
    reminder = sent(cast.org, date(2026, 6, 1), status=status)
    SecurityReminder.objects.filter(pk=reminder.pk).update(sent_at=at(date(2026, 6, 1)))
    assert security_reminders(cast.org, TODAY).status == Status.NOT_MET


def test_a_reminder_sent_after_today_does_not_count(cast: Cast) -> None:
    sent(cast.org, TODAY + timedelta(days=1))
    assert security_reminders(cast.org, TODAY).reason == "No security reminder has been sent yet."


def test_cadence_and_periods_come_from_the_settings(cast: Cast) -> None:
    TrainingSettings.objects.create(organization=cast.org, reminder_cadence_months=3, reminder_periods=2)
    sent(cast.org, date(2026, 5, 1))
    sent(cast.org, date(2026, 1, 2))
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason.startswith("A security reminder was sent in each of the last 2 periods of 3 months")
    assert result.lapses_on == date(2026, 8, 1)


def test_other_organizations_reminders_do_not_count(cast: Cast) -> None:
    sent(cast.other_org, date(2026, 6, 1))
    assert security_reminders(cast.org, TODAY).status == Status.NOT_MET


def test_query_count_does_not_grow_with_reminders_or_deliveries(cast: Cast) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            security_reminders(cast.org, TODAY)
        return len(queries)

    deliver(sent(cast.org, date(2026, 6, 1)), 3, 1)
    few = count()
    for day in range(2, 28):
        deliver(sent(cast.org, date(2026, 5, day)), 2, 1)
    assert count() == few


def test_a_reminder_delivered_to_nobody_does_not_count(cast: Cast) -> None:
    sent(cast.org, TODAY - timedelta(days=3))
    SecurityReminder.objects.filter(organization=cast.org).update(recipients=0)
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.NOT_MET
