"""Whether a critical asset is ready to recover, judged on facts already loaded. The readiness view
(queries_overview, about nine queries for every asset) reaches these through queries_backups (within_rpo) and
queries_restore_tests (the period of a pass); the dashboard panel (widgets, one annotated query for tiers 1–2) calls
them directly. So both judge alike, and a rule changes in one place."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from safeguard.core.dates import add_months
from safeguard.core.models.obligations import CADENCE_MONTHS

# A cadence without a period ("once", or a value no longer offered) is read as yearly, the loosest one.
FALLBACK_MONTHS = 12


def cadence_months(cadence: str) -> int:
    return CADENCE_MONTHS.get(cadence, FALLBACK_MONTHS)  # type: ignore[call-overload]


def within_rpo(latest_good_at: datetime | None, rpo_minutes: int, now: datetime) -> bool:
    """Exactly on the RPO meets it."""
    return latest_good_at is not None and now - latest_good_at <= timedelta(minutes=rpo_minutes)


def fresh_backup(*, has_active_policy: bool, latest_good_at: datetime | None, rpo_minutes: int, now: datetime) -> bool:
    """As the (ii)(A) check: a good point left by a policy since deactivated is not a backup plan."""
    return has_active_policy and within_rpo(latest_good_at, rpo_minutes, now)


def pass_lapses_on(last_passed_on: date | None, cadence: str) -> date | None:
    """The day the latest passed test stops counting as within the period (None: never passed). The period
    includes its anniversary: a quarterly pass on 10 Jan counts through 10 Apr, as a plan review due on D is
    current on D."""
    if last_passed_on is None:
        return None
    return add_months(last_passed_on, cadence_months(cadence)) + timedelta(days=1)


def passed_within_period(last_passed_on: date | None, cadence: str, today: date) -> bool:
    lapses_on = pass_lapses_on(last_passed_on, cadence)
    return lapses_on is not None and today < lapses_on
