"""The 164.308(a)(5)(ii)(A) check: each of the last periods of the cadence needs reminders that reached the completion
threshold's share of the active workforce; the read rate, the months arithmetic at month ends, and the day it
lapses."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.training.checks_reminders import reminder_coverage, reminder_periods, security_reminders
from safeguard.training.models import ReminderDelivery, SecurityReminder, TrainingSettings
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_support import TODAY, at

# Periods for TODAY (2026-06-15), monthly: (05-15, 06-15], (04-15, 05-15], (03-15, 04-15].


def staff(organization: Organization, count: int, prefix: str = "E") -> list[Person]:
    return [make.person(organization, f"{prefix}-{n}") for n in range(count)]


def sent(
    organization: Organization,
    day: date,
    to: list[Person] | None = None,
    *,
    read: int = 0,
    status: str = "sent",
) -> SecurityReminder:
    """A reminder sent on `day`, delivered to `to` (the first `read` of them read it)."""
    people = to or []
    is_sent = status == SecurityReminder.Status.SENT
    reminder = SecurityReminder.objects.create(
        organization=organization,
        title=f"Reminder {day:%Y-%m-%d}",
        body="Lock your screen.",
        scheduled_for=at(day, 9),
        status=status,
        sent_at=at(day, 9) if is_sent else None,
        recipients=(len(people) or 12) if is_sent else 0,
    )
    for n, who in enumerate(people):
        ReminderDelivery.objects.create(
            organization=organization, reminder=reminder, person=who, read_at=reminder.sent_at if n < read else None
        )
    return reminder


MONTHLY = (date(2026, 6, 1), date(2026, 5, 1), date(2026, 3, 20))


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
    staff(cast.org, 2)
    sent(cast.org, TODAY - timedelta(days=3), status=SecurityReminder.Status.SCHEDULED)
    result = security_reminders(cast.org, TODAY)
    assert (result.status, result.reason) == (Status.NOT_MET, "No security reminder has been sent yet.")
    assert result.next_action.startswith("Send a security reminder to the whole workforce at least every month")


def test_one_to_everyone_in_each_month_is_met_with_coverage_and_read_rate(cast: Cast) -> None:
    people = staff(cast.org, 4)
    reminders = [sent(cast.org, day, people, read=read) for day, read in zip(MONTHLY, (3, 0, 1), strict=True)]
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason == (
        "Security reminders reached at least 95% of the active workforce in each of the last 3 months (3 reminders, "
        "the latest on 2026-06-01): 2026-05-16 to 2026-06-15: 4 of 4 active people reached (100%); 2026-04-16 to "
        "2026-05-15: 4 of 4 active people reached (100%); 2026-03-16 to 2026-04-15: 4 of 4 active people reached "
        "(100%). 4 of 12 deliveries read (33%)."
    )
    assert result.next_action == "Send the next reminder to the whole workforce by 2026-06-30."
    assert [ref.id for ref in result.records] == [str(r.public_id) for r in reminders]
    assert result.records[0].label == "Reminder 2026-06-01, sent 2026-06-01"
    assert result.records[0].url == reverse("training:reminder_detail", args=["clinic", reminders[0].public_id])


def test_a_reminder_to_a_small_group_does_not_cover_the_period(cast: Cast) -> None:
    people = staff(cast.org, 20)
    sent(cast.org, date(2026, 6, 1), people)
    sent(cast.org, date(2026, 5, 1), people)
    small = sent(cast.org, date(2026, 3, 20), people[:2])
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert result.reason.startswith(
        "Security reminders reached at least 95% of the active workforce in 2 of the last 3 months (one is expected "
        "every month); not in 2026-03-16 to 2026-04-15 (2 of 20 active people reached (10%))."
    )
    for who in people[2:19]:  # 19 of 20: 95%, the threshold
        ReminderDelivery.objects.create(organization=cast.org, reminder=small, person=who)
    assert security_reminders(cast.org, TODAY).status == Status.MET
    ReminderDelivery.objects.filter(reminder=small, person=people[18]).delete()  # 18 of 20: 90%
    assert security_reminders(cast.org, TODAY).status == Status.PARTIALLY_MET


def test_small_groups_in_every_period_are_not_met(cast: Cast) -> None:
    people = staff(cast.org, 10)
    for day in MONTHLY:
        sent(cast.org, day, people[:3])
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason.startswith("Security reminders reached at least 95% of the active workforce in none of the")
    assert "2026-05-16 to 2026-06-15 (3 of 10 active people reached (30%))" in result.reason
    assert result.lapses_on is None


def test_several_reminders_in_a_period_add_up_by_distinct_person(cast: Cast) -> None:
    people = staff(cast.org, 4)
    sent(cast.org, date(2026, 6, 1), people[:2])
    sent(cast.org, date(2026, 6, 2), people[1:])
    coverage = reminder_coverage(cast.org, TODAY)
    latest = coverage.periods[0]
    assert (latest.reached, latest.eligible, latest.covered) == (4, 4, True)


def test_the_threshold_is_the_completion_threshold(cast: Cast) -> None:
    TrainingSettings.objects.create(organization=cast.org, completion_threshold=80)
    people = staff(cast.org, 10)
    for day in MONTHLY:
        sent(cast.org, day, people[:8])
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason.startswith("Security reminders reached at least 80% of the active workforce in each")


def test_people_hired_after_a_periods_last_reminder_are_not_counted_in_it(cast: Cast) -> None:
    veterans = staff(cast.org, 4)
    newcomer = make.person(cast.org, "NEW", hire_date=date(2026, 5, 20))
    sent(cast.org, date(2026, 6, 1), [*veterans, newcomer])
    sent(cast.org, date(2026, 5, 1), veterans)
    sent(cast.org, date(2026, 3, 20), veterans)
    coverage = reminder_coverage(cast.org, TODAY)
    assert [(p.reached, p.eligible) for p in coverage.periods] == [(5, 5), (4, 4), (4, 4)]
    assert security_reminders(cast.org, TODAY).status == Status.MET


def test_people_no_longer_active_count_for_nothing(cast: Cast) -> None:
    people = staff(cast.org, 4)
    gone = make.person(cast.org, "GONE", termination_at=at(date(2026, 6, 5)))
    away = make.person(cast.org, "AWAY", status=Person.Status.LEAVE)
    for day in MONTHLY:
        sent(cast.org, day, people)
    assert gone.pk and away.pk
    coverage = reminder_coverage(cast.org, TODAY)
    assert coverage.active == 4
    assert security_reminders(cast.org, TODAY).status == Status.MET


def test_a_period_boundary_belongs_to_the_later_period(cast: Cast) -> None:
    people = staff(cast.org, 2)
    sent(cast.org, date(2026, 6, 15), people)
    sent(cast.org, date(2026, 5, 15), people)
    boundary = sent(cast.org, date(2026, 3, 16), people)
    assert security_reminders(cast.org, TODAY).status == Status.MET
    SecurityReminder.objects.filter(pk=boundary.pk).update(sent_at=at(date(2026, 3, 15), 9))
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert result.reason == (
        "Security reminders reached at least 95% of the active workforce in 2 of the last 3 months (one is expected "
        "every month); not in 2026-03-16 to 2026-04-15 (none sent). 0 of 4 deliveries read (0%)."
    )


def test_some_periods_empty_is_partially_met(cast: Cast) -> None:
    sent(cast.org, date(2026, 4, 1), staff(cast.org, 2))
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert "not in 2026-05-16 to 2026-06-15 (none sent), 2026-04-16 to 2026-05-15 (none sent)." in result.reason
    assert result.lapses_on == date(2026, 7, 1)  # 04-01 is in the oldest period; it leaves the span on 07-01


def test_it_lapses_when_the_oldest_reminder_leaves_its_period(cast: Cast) -> None:
    people = staff(cast.org, 2)
    for day in MONTHLY:
        sent(cast.org, day, people)
    result = security_reminders(cast.org, TODAY)
    assert result.lapses_on == date(2026, 6, 20)  # 03-20 leaves the span: the oldest period is then empty
    assert security_reminders(cast.org, date(2026, 6, 19)).status == Status.MET
    assert security_reminders(cast.org, date(2026, 6, 20)).status == Status.PARTIALLY_MET


def test_reminders_only_before_the_span_is_not_met_naming_the_last(cast: Cast) -> None:
    old = sent(cast.org, date(2026, 1, 10), staff(cast.org, 2))
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == (
        "No security reminder was sent in the last 3 months (one is expected every month); the latest was sent on "
        "2026-01-10."
    )
    assert [ref.id for ref in result.records] == [str(old.public_id)]


def test_nobody_active_is_unknown(cast: Cast) -> None:
    leaver = make.person(cast.org, "GONE", termination_at=at(date(2026, 6, 5)))
    sent(cast.org, date(2026, 6, 1), [leaver])
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.UNKNOWN
    assert "Nobody on the workforce roster is active" in result.reason


@pytest.mark.parametrize("status", [SecurityReminder.Status.DRAFT, SecurityReminder.Status.CANCELLED])
def test_only_sent_reminders_count(cast: Cast, status: str) -> None:
    reminder = sent(cast.org, date(2026, 6, 1), status=status)
    SecurityReminder.objects.filter(pk=reminder.pk).update(sent_at=at(date(2026, 6, 1)))
    assert security_reminders(cast.org, TODAY).status == Status.NOT_MET


def test_a_reminder_sent_after_today_does_not_count(cast: Cast) -> None:
    sent(cast.org, TODAY + timedelta(days=1), staff(cast.org, 2))
    assert security_reminders(cast.org, TODAY).reason == "No security reminder has been sent yet."


def test_cadence_and_periods_come_from_the_settings(cast: Cast) -> None:
    TrainingSettings.objects.create(organization=cast.org, reminder_cadence_months=3, reminder_periods=2)
    people = staff(cast.org, 2)
    sent(cast.org, date(2026, 5, 1), people)
    sent(cast.org, date(2026, 1, 2), people)
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.MET
    assert "in each of the last 2 periods of 3 months" in result.reason
    assert result.lapses_on == date(2026, 7, 2)  # 01-02 + 6 months: it leaves the span


def test_other_organizations_reminders_and_people_do_not_count(cast: Cast) -> None:
    staff(cast.org, 2)
    outsiders = staff(cast.other_org, 2, prefix="O")
    for day in MONTHLY:
        sent(cast.other_org, day, outsiders)
    assert security_reminders(cast.org, TODAY).status == Status.NOT_MET


def test_query_count_does_not_grow_with_reminders_deliveries_or_people(cast: Cast) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            security_reminders(cast.org, TODAY)
        return len(queries)

    sent(cast.org, date(2026, 6, 1), staff(cast.org, 3), read=1)
    few = count()
    people = staff(cast.org, 30, prefix="F")
    for day in range(2, 28):
        sent(cast.org, date(2026, 5, day), people, read=1)
    assert count() == few


def test_a_reminder_delivered_to_nobody_does_not_count(cast: Cast) -> None:
    staff(cast.org, 2)
    sent(cast.org, TODAY - timedelta(days=3))
    SecurityReminder.objects.filter(organization=cast.org).update(recipients=0)
    result = security_reminders(cast.org, TODAY)
    assert result.status == Status.NOT_MET
