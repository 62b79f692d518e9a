"""The readiness rules both the readiness view and the dashboard panel judge with."""

from datetime import UTC, date, datetime, timedelta

import pytest

from safeguard.contingency.readiness_rules import (
    FALLBACK_MONTHS,
    cadence_months,
    fresh_backup,
    pass_lapses_on,
    passed_within_period,
    within_rpo,
)

NOW = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "expected"),
    [(timedelta(minutes=60), True), (timedelta(minutes=60, seconds=1), False), (timedelta(0), True)],
)
def test_within_rpo_holds_exactly_on_the_objective(age: timedelta, expected: bool) -> None:
    assert within_rpo(NOW - age, 60, NOW) is expected


def test_no_restore_point_is_never_within_rpo() -> None:
    assert within_rpo(None, 60, NOW) is False


def test_a_fresh_point_without_an_active_policy_is_not_a_fresh_backup() -> None:
    assert fresh_backup(has_active_policy=True, latest_good_at=NOW, rpo_minutes=60, now=NOW) is True
    assert fresh_backup(has_active_policy=False, latest_good_at=NOW, rpo_minutes=60, now=NOW) is False


def test_a_quarterly_pass_counts_through_its_anniversary() -> None:
    passed = date(2026, 1, 10)
    assert pass_lapses_on(passed, "quarterly") == date(2026, 4, 11)
    assert passed_within_period(passed, "quarterly", date(2026, 4, 10)) is True
    assert passed_within_period(passed, "quarterly", date(2026, 4, 11)) is False


def test_never_passed_is_never_within_the_period() -> None:
    assert pass_lapses_on(None, "quarterly") is None
    assert passed_within_period(None, "quarterly", date(2026, 1, 1)) is False


def test_a_cadence_without_a_period_is_read_as_yearly() -> None:
    assert cadence_months("once") == FALLBACK_MONTHS == 12
    assert cadence_months("semiannual") == 6
