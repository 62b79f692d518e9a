"""Daily chores domain apps add to the scheduler (overdue risk actions, lapsing analyses…).

A chore is a function of (today, dry_run) returning lines that say what it did or would do. It must be
idempotent: the scheduler may run it many times a day. Chores run before obligation reminders, so an
obligation a chore creates is reminded and escalated in the same pass.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.utils import timezone

Chore = Callable[[date, bool], list[str]]
_chores: dict[str, Chore] = {}


def daily_chore(name: str) -> Callable[[Chore], Chore]:
    def register(function: Chore) -> Chore:
        if name in _chores:
            raise ValueError(f"chore {name!r} is already registered")
        _chores[name] = function
        return function

    return register


def registered_chores() -> dict[str, Chore]:
    return dict(_chores)


def as_of(today: date) -> datetime:
    """The moment a chore or check judges `today` by: now on the current day; the last instant of `today` (in the
    installation's zone) when asked about another day, as a catch-up run or a check of a past day is."""
    now = timezone.now()
    if today == timezone.localdate(now):
        return now
    next_day = datetime.combine(today + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())
    return next_day - timedelta(microseconds=1)
