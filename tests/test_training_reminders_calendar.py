"""The reminder calendar: the current month, the 11 before and the 6 after, reminders sent, scheduled and to be
repeated in each, the periods of the cadence setting (the API's grouping), each month's own state, and the page
with "What the tracker counts": the reminder check's own periods and coverage above the month grid."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.dates import add_months
from safeguard.training.checks_reminders import reminder_coverage
from safeguard.training.models import SecurityReminder, TrainingSettings
from safeguard.training.queries_reminders import reminder_calendar
from tests.conftest import Cast, client_for
from tests.test_training_reminders_support import at, deliver, reminder
from tests.training_factories import person

TODAY = date(2027, 6, 15)
NOW = at(2027, 6, 15)
Status = SecurityReminder.Status


def story(cast: Cast) -> None:
    """Sent to someone in March; sent to nobody in May; scheduled in August, repeating every 2 months."""
    march = reminder(cast.org, "March", scheduled_for=at(2027, 3, 10))
    deliver(march, [person(cast.org, "P1")])
    may = reminder(cast.org, "May, to nobody", scheduled_for=at(2027, 5, 10))
    deliver(may, [])
    reminder(cast.org, "August", scheduled_for=at(2027, 8, 3), repeat_months=2)
    reminder(cast.org, "Cancelled", scheduled_for=at(2027, 7, 3), status=Status.CANCELLED)
    reminder(cast.other_org, "Other org", scheduled_for=at(2027, 9, 3))


def cadence(cast: Cast, months: int) -> None:
    TrainingSettings.objects.create(organization=cast.org, reminder_cadence_months=months)


def test_months_shown_and_what_is_in_them(cast: Cast) -> None:
    story(cast)

    shown = reminder_calendar(cast.org, TODAY, NOW)

    assert [f"{m.first:%Y-%m}" for m in shown.months][0] == "2026-07"
    assert [f"{m.first:%Y-%m}" for m in shown.months][-1] == "2027-12"
    assert len(shown.months) == 18
    by_month = {f"{m.first:%Y-%m}": m for m in shown.months}
    assert by_month["2027-06"].current
    assert [(e.reminder.title, e.kind) for e in by_month["2027-03"].entries] == [("March", "sent")]
    assert [(e.reminder.title, e.kind) for e in by_month["2027-08"].entries] == [("August", "scheduled")]
    assert [(e.reminder.title, e.kind) for e in by_month["2027-10"].entries] == [("August", "repeat")]
    assert [(e.reminder.title, e.kind) for e in by_month["2027-12"].entries] == [("August", "repeat")]
    assert by_month["2027-07"].entries == [] and by_month["2027-09"].entries == []  # cancelled; other org


def test_monthly_cadence_gaps(cast: Cast) -> None:
    story(cast)

    shown = reminder_calendar(cast.org, TODAY, NOW)

    states = {f"{m.first:%Y-%m}": m.period.state for m in shown.months}
    assert states["2027-03"] == "sent"
    assert states["2027-05"] == "missed"  # sent to nobody reminds nobody
    assert states["2027-04"] == "missed"
    assert states["2027-06"] == "unplanned"
    assert states["2027-08"] == "scheduled" and states["2027-10"] == "scheduled"
    assert states["2027-09"] == "unplanned"
    assert shown.gaps == 10 + 1 + 3  # 10 past months missed, this month, July, September, November


def test_three_month_cadence_periods_end_with_this_month(cast: Cast) -> None:
    cadence(cast, 3)
    story(cast)

    shown = reminder_calendar(cast.org, TODAY, NOW)

    periods = [(f"{p.first:%Y-%m}", f"{p.last:%Y-%m-%d}", p.state) for p in shown.periods]
    assert periods == [
        ("2026-07", "2026-09-30", "missed"),
        ("2026-10", "2026-12-31", "missed"),
        ("2027-01", "2027-03-31", "sent"),
        ("2027-04", "2027-06-30", "unplanned"),
        ("2027-07", "2027-09-30", "scheduled"),
        ("2027-10", "2027-12-31", "scheduled"),
    ]
    assert shown.gaps == 3
    assert [m.opens_period for m in shown.months[:4]] == [True, False, False, True]


def test_a_period_partly_before_the_calendar_counts_reminders_sent_before_it(cast: Cast) -> None:
    cadence(cast, 5)
    early = reminder(cast.org, "Before the calendar", scheduled_for=at(2026, 5, 20))
    deliver(early, [person(cast.org, "P1")])

    shown = reminder_calendar(cast.org, TODAY, NOW)

    first = shown.periods[0]
    assert (f"{first.first:%Y-%m}", first.state) == ("2026-04", "sent")
    assert shown.months[0].entries == []  # May 2026 is not shown, but it covers the period


def test_an_overdue_scheduled_reminder_is_placed_at_the_next_run(cast: Cast) -> None:
    reminder(cast.org, "Overdue", scheduled_for=at(2027, 2, 1))

    shown = reminder_calendar(cast.org, TODAY, NOW)

    current = next(m for m in shown.months if m.current)
    assert [(e.reminder.title, e.kind) for e in current.entries] == [("Overdue", "scheduled")]
    assert current.period.state == "scheduled"


def test_the_calendar_takes_two_queries_however_many_reminders(cast: Cast) -> None:
    for number in range(30):
        reminder(cast.org, f"R{number}", scheduled_for=at(2027, 1 + number % 12, 5), repeat_months=number % 3)

    with CaptureQueriesContext(connection) as captured:
        reminder_calendar(cast.org, TODAY, NOW)

    assert len(captured.captured_queries) == 2  # the settings, the reminders


def test_each_month_has_its_own_state_and_an_empty_past_month_is_not_a_verdict(cast: Cast) -> None:
    story(cast)

    shown = reminder_calendar(cast.org, TODAY, NOW)

    states = {f"{m.first:%Y-%m}": m.state for m in shown.months}
    assert states["2027-03"] == "sent"
    assert states["2027-04"] == "none" and states["2027-05"] == "none"  # May's went to nobody
    assert states["2027-06"] == "open"  # this month: nothing yet, not a miss
    assert states["2027-08"] == "scheduled" and states["2027-10"] == "scheduled"
    assert states["2027-09"] == "open"


# ---- the page ----------------------------------------------------------------------------------------------------


def page_url() -> str:
    return reverse("training:reminder_calendar", args=["clinic"])


def sent_days_ago(cast: Cast, days: int, people: list) -> SecurityReminder:
    when = timezone.now() - timedelta(days=days)
    made = reminder(cast.org, f"Sent {days} days ago", scheduled_for=when)
    deliver(made, people)
    return made


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_page_matrix(cast: Cast, who: str, expected: int) -> None:
    assert client_for(getattr(cast, who)).get(page_url()).status_code == expected


def test_the_page_shows_what_the_tracker_counts_from_the_checks_own_function(cast: Cast) -> None:
    people = [person(cast.org, f"P{n}") for n in range(4)]
    sent_days_ago(cast, 2, people)  # the latest period: everyone
    sent_days_ago(cast, 40, people[:1])  # the period before: one of four

    body = client_for(cast.owner).get(page_url()).content.decode()

    today = timezone.localdate()
    coverage = reminder_coverage(cast.org, today)
    assert [p.covered for p in coverage.periods] == [True, False, False]
    tracker = body[body.index("What the tracker counts") : body.index("Month by month")]
    assert "<strong>1 of 3</strong> periods covered." in tracker
    for period in coverage.periods:
        assert f"{period.first:%Y-%m-%d} to {period.last:%Y-%m-%d}" in tracker
    assert tracker.count("Not covered") == 2 and "4 of 4 (100%)" in tracker and "1 of 4 (25%)" in tracker
    latest_first = add_months(today, -1) + timedelta(days=1)
    assert f"{latest_first:%Y-%m-%d} to {today:%Y-%m-%d}" in tracker


def test_the_month_grid_says_no_reminder_this_month_not_missed_or_gap(cast: Cast) -> None:
    body = client_for(cast.owner).get(page_url()).content.decode()

    months = body[body.index("Month by month") :]
    assert months.count("No reminder this month") == 11  # the 11 months before this one
    assert months.count("Nothing scheduled yet") == 7  # this month and the 6 after
    page = body[body.index("<h1>Reminder calendar</h1>") :].lower()
    assert "missed" not in page and "gap" not in page


def test_the_page_query_count_does_not_grow(cast: Cast) -> None:
    client = client_for(cast.owner)

    def count() -> int:
        client.get(page_url())
        with CaptureQueriesContext(connection) as captured:
            assert client.get(page_url()).status_code == 200
        return len(captured.captured_queries)

    sent_days_ago(cast, 3, [person(cast.org, "P1")])
    few = count()
    people = [person(cast.org, f"Q{n}") for n in range(30)]
    for days in range(5, 300, 10):
        sent_days_ago(cast, days, people)
    assert count() == few
