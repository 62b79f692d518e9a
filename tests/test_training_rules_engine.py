"""The rules engine on its own: who owes which round, from when, by when; every edge without a database."""

from __future__ import annotations

from datetime import date

import pytest

from safeguard.core.dates import EARLIEST
from safeguard.training.models import AudienceKind, Cadence
from safeguard.training.rules_engine import Event, Facts, Terms, calendar_date_error, evaluate, requirement_now

START = date(2026, 3, 1)


def terms(audience: str = AudienceKind.EVERYONE, cadence: str = Cadence.ONCE, **values: object) -> Terms:
    defaults: dict[str, object] = {
        "name": "Rule",
        "audience": audience,
        "cadence": cadence,
        "due_days": 30,
        "notice_days": 30,
        "starts_on": START,
        "audience_text": "Everyone on the roster",
    }
    defaults.update(values)
    return Terms(**defaults)  # type: ignore[arg-type]


def facts(joined_on: date = date(2020, 1, 6), **values: object) -> Facts:
    return Facts(joined_on=joined_on, **values)  # type: ignore[arg-type]


# ---- once, roster audiences ---------------------------------------------------------------------------------------


def test_a_roster_round_is_due_due_days_after_the_day_it_is_opened() -> None:
    found = requirement_now(terms(), facts(), date(2026, 4, 10))

    assert found is not None
    assert (found.trigger_key, found.window_start, found.due_on, found.opens_on) == (
        "join",
        EARLIEST,
        date(2026, 5, 10),
        START,
    )
    assert found.reason == "Everyone on the roster (rule “Rule”)"
    assert found.confidential is False


def test_a_course_taken_before_the_rule_existed_satisfies_a_once_roster_round() -> None:
    assert requirement_now(terms(), facts(completions=[date(2019, 5, 1)]), date(2026, 4, 10)) is None


def test_a_rule_assigns_nothing_before_it_starts() -> None:
    assert requirement_now(terms(), facts(), date(2026, 2, 28)) is None
    assert requirement_now(terms(), facts(), START) is not None


# ---- new hires ----------------------------------------------------------------------------------------------------


def test_a_hire_the_day_before_the_rule_starts_is_not_a_new_hire() -> None:
    assert requirement_now(terms(AudienceKind.NEW_HIRES), facts(date(2026, 2, 28)), date(2026, 3, 5)) is None


def test_a_hire_on_the_day_the_rule_starts_is_due_due_days_after_the_hire_date() -> None:
    found = requirement_now(terms(AudienceKind.NEW_HIRES), facts(START), date(2026, 3, 5))

    assert found is not None
    assert (found.trigger_key, found.due_on, found.opens_on, found.window_start) == (
        "hire",
        date(2026, 3, 31),
        START,
        EARLIEST,
    )
    assert found.reason == "Hired 2026-03-01 (rule “Rule”)"


def test_a_future_hire_is_assigned_on_the_hire_date() -> None:
    rule, person = terms(AudienceKind.NEW_HIRES), facts(date(2026, 6, 1))

    assert requirement_now(rule, person, date(2026, 5, 31)) is None
    assert requirement_now(rule, person, date(2026, 6, 1)) is not None


@pytest.mark.parametrize("cadence", [Cadence.ONCE, Cadence.ANNUAL])
def test_a_roster_audience_waits_for_a_future_hire_date(cadence: str) -> None:
    rule, person = terms(cadence=cadence), facts(date(2026, 6, 1))

    assert requirement_now(rule, person, date(2026, 5, 31)) is None
    found = requirement_now(rule, person, date(2026, 6, 1))
    assert found is not None and found.opens_on == date(2026, 6, 1) and found.due_on == date(2026, 7, 1)


def test_a_new_hire_who_already_took_the_course_owes_nothing() -> None:
    person = facts(date(2026, 4, 1), completions=[date(2026, 3, 20)])
    assert requirement_now(terms(AudienceKind.NEW_HIRES), person, date(2026, 4, 2)) is None


# ---- annual -------------------------------------------------------------------------------------------------------


def test_annual_without_a_completion_starts_like_once() -> None:
    found = requirement_now(terms(cadence=Cadence.ANNUAL), facts(), date(2026, 4, 10))
    assert found is not None and found.trigger_key == "join" and found.due_on == date(2026, 5, 10)


def test_annual_next_round_opens_notice_days_before_a_year_after_the_completion() -> None:
    rule, person = terms(cadence=Cadence.ANNUAL), facts(completions=[date(2026, 3, 15)])

    assert requirement_now(rule, person, date(2027, 2, 12)) is None  # the day before it opens
    found = requirement_now(rule, person, date(2027, 2, 13))

    assert found is not None
    assert (found.trigger_key, found.due_on, found.opens_on, found.window_start) == (
        "cycle:2027-03-15",
        date(2027, 3, 15),
        date(2027, 2, 13),
        date(2026, 3, 16),
    )


def test_annual_counts_from_the_latest_completion() -> None:
    person = facts(completions=[date(2025, 3, 1), date(2026, 3, 15), date(2024, 1, 1)])
    found = requirement_now(terms(cadence=Cadence.ANNUAL), person, date(2027, 3, 1))
    assert found is not None and found.due_on == date(2027, 3, 15)


def test_annual_from_29_february_falls_due_on_28_february() -> None:
    rule = terms(cadence=Cadence.ANNUAL, starts_on=date(2024, 1, 1))
    found = requirement_now(rule, facts(completions=[date(2024, 2, 29)]), date(2025, 2, 1))
    assert found is not None and found.due_on == date(2025, 2, 28)


def test_a_yearly_round_due_before_the_rule_started_gets_due_days_from_when_it_is_opened() -> None:
    person = facts(completions=[date(2024, 6, 1)])  # due again 2025-06-01, long before the rule
    found = requirement_now(terms(cadence=Cadence.ANNUAL), person, date(2026, 3, 10))

    assert found is not None
    assert (found.opens_on, found.due_on) == (START, date(2026, 4, 9))


def test_a_round_opening_before_the_start_but_due_after_it_keeps_its_due_date() -> None:
    person = facts(completions=[date(2025, 3, 20)])  # due 2026-03-20, notice from 2026-02-18
    found = requirement_now(terms(cadence=Cadence.ANNUAL), person, START)
    assert found is not None and (found.opens_on, found.due_on) == (START, date(2026, 3, 20))


# ---- calendar -----------------------------------------------------------------------------------------------------


def january(starts_on: date = date(2025, 1, 1)) -> Terms:
    return terms(cadence=Cadence.CALENDAR, calendar_month=1, calendar_day=15, starts_on=starts_on)


def test_calendar_round_across_the_year_end() -> None:
    person = facts(completions=[date(2026, 1, 10)])  # satisfied the round due 2026-01-15

    assert requirement_now(january(), person, date(2026, 12, 15)) is None  # 2027 round opens 2026-12-16
    found = requirement_now(january(), person, date(2026, 12, 16))

    assert found is not None
    assert (found.trigger_key, found.due_on, found.opens_on, found.window_start) == (
        "cycle:2027-01-15",
        date(2027, 1, 15),
        date(2026, 12, 16),
        date(2026, 1, 16),
    )
    assert requirement_now(january(), person, date(2027, 1, 2)) == found


def test_a_completion_after_last_rounds_due_date_satisfies_the_next_round() -> None:
    person = facts(completions=[date(2026, 2, 1)])
    assert requirement_now(january(), person, date(2026, 12, 20)) is None


def test_an_unsatisfied_calendar_round_stays_owed_after_its_due_date() -> None:
    found = requirement_now(january(), facts(completions=[date(2025, 1, 10)]), date(2026, 6, 1))
    assert found is not None and found.due_on == date(2026, 1, 15) and found.window_start == date(2025, 1, 16)


def test_calendar_rounds_start_with_the_first_due_day_on_or_after_the_start() -> None:
    rule = january(starts_on=date(2026, 6, 1))

    assert requirement_now(rule, facts(), date(2026, 6, 1)) is None  # the 2026-01-15 round came before
    found = requirement_now(rule, facts(), date(2026, 12, 16))
    assert found is not None and found.due_on == date(2027, 1, 15)


# ---- events -------------------------------------------------------------------------------------------------------


def click(day: date, key: str, launched: date | None = None) -> Event:
    return Event(key, day, launched or day, f"Clicked on {day}")


def test_two_clicks_with_a_completion_between_them_leave_only_the_second_owed() -> None:
    rule = terms(AudienceKind.PHISHING_CLICKERS, due_days=14)
    person = facts(
        completions=[date(2026, 4, 20)],
        events=[click(date(2026, 4, 10), "phish:a"), click(date(2026, 5, 10), "phish:b")],
    )

    rounds = evaluate(rule, person, date(2026, 5, 11))

    assert [(r.trigger_key, r.window_start, r.due_on) for r in rounds] == [
        ("phish:b", date(2026, 5, 10), date(2026, 5, 25))
    ]


def test_two_unsatisfied_clicks_owe_the_earliest_first() -> None:
    rule = terms(AudienceKind.PHISHING_CLICKERS, due_days=14)
    # The keys sort the other way round: the earlier click still comes first.
    person = facts(events=[click(date(2026, 4, 10), "phish:z"), click(date(2026, 5, 10), "phish:a")])

    found = requirement_now(rule, person, date(2026, 5, 11))

    assert found is not None
    assert (found.trigger_key, found.window_start, found.due_on) == ("phish:z", date(2026, 4, 10), date(2026, 5, 25))


def test_a_click_imported_weeks_later_is_due_due_days_after_it_is_assigned() -> None:
    rule = terms(AudienceKind.PHISHING_CLICKERS, due_days=14)
    person = facts(events=[click(date(2026, 3, 3), "phish:a")])

    found = requirement_now(rule, person, date(2026, 4, 20))

    # The round still starts on the click day (a completion from then on answers it), but nobody is overdue the
    # day they are assigned: the due date counts from the day the round is opened.
    assert found is not None
    assert (found.window_start, found.opens_on, found.due_on) == (
        date(2026, 3, 3),
        date(2026, 3, 3),
        date(2026, 5, 4),
    )
    assert found.due_on > date(2026, 4, 20)


def test_a_click_in_a_campaign_launched_before_the_start_is_not_counted() -> None:
    person = facts(events=[click(date(2026, 3, 2), "phish:a", launched=date(2026, 2, 27))])
    assert requirement_now(terms(AudienceKind.PHISHING_CLICKERS), person, date(2026, 3, 5)) is None


def test_a_sanction_round_is_confidential() -> None:
    event = Event("sanction:x", date(2026, 4, 1), date(2026, 4, 1), "Named in a sanction decided on 2026-04-01")
    found = requirement_now(terms(AudienceKind.SANCTIONED), facts(events=[event]), date(2026, 4, 20))

    assert found is not None
    assert (found.trigger_key, found.window_start, found.due_on, found.confidential) == (
        "sanction:x",
        date(2026, 4, 1),
        date(2026, 5, 20),  # 30 days from the day it is assigned, not from the decision
        True,
    )


# ---- excused rounds -----------------------------------------------------------------------------------------------


def test_an_excused_round_is_not_asked_again() -> None:
    person = facts(excused=[("join", date(2026, 4, 1))])
    assert requirement_now(terms(), person, date(2026, 5, 1)) is None


def test_an_excused_hire_round_also_excuses_the_roster_round_of_the_same_course() -> None:
    person = facts(START, excused=[("hire", date(2026, 3, 31))])
    assert requirement_now(terms(), person, date(2026, 5, 1)) is None


def test_an_excused_click_leaves_the_other_click_owed() -> None:
    person = facts(
        excused=[("phish:a", date(2026, 4, 24))],
        events=[click(date(2026, 4, 10), "phish:a"), click(date(2026, 5, 10), "phish:b")],
    )
    found = requirement_now(terms(AudienceKind.PHISHING_CLICKERS), person, date(2026, 5, 11))
    assert found is not None and found.trigger_key == "phish:b"


def test_annual_counts_the_next_round_from_an_excused_rounds_due_date() -> None:
    person = facts(excused=[("join", date(2026, 4, 1))])
    rule = terms(cadence=Cadence.ANNUAL)

    assert requirement_now(rule, person, date(2027, 3, 1)) is None
    found = requirement_now(rule, person, date(2027, 3, 2))
    assert found is not None and found.due_on == date(2027, 4, 1) and found.window_start == date(2026, 4, 2)


# ---- calendar dates -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("month", "day", "expected"),
    [
        (2, 29, ("calendar_day", "29 February is not a date every year: pick 28 February or 1 March.")),
        (4, 31, ("calendar_day", "April has 30 days.")),
        (13, 1, ("calendar_month", "Pick a month from 1 to 12.")),
        (None, 1, ("calendar_month", "Pick a month from 1 to 12.")),
        (1, None, ("calendar_day", "Pick a day of the month.")),
        (2, 28, None),
        (12, 31, None),
    ],
)
def test_calendar_dates(month: object, day: object, expected: tuple[str, str] | None) -> None:
    assert calendar_date_error(month, day) == expected


def test_a_calendar_rule_without_its_date_asks_nothing() -> None:
    rule = terms(cadence=Cadence.CALENDAR, calendar_month=None, calendar_day=None)
    assert requirement_now(rule, facts(), date(2026, 6, 1)) is None
