"""Recovery objectives are stored in whole minutes but entered and read as a number and a unit: "4 hours" is
clearer than "240" on a form, and "1 d 6 h" clearer than "1800 min" in a table.
Every length the app shows to people goes through `duration` or `span`, so one length reads one way."""

from __future__ import annotations

from datetime import timedelta

from django.db import models

MINUTES = {"minutes": 1, "hours": 60, "days": 1440}


class Unit(models.TextChoices):
    MINUTES = "minutes", "minutes"
    HOURS = "hours", "hours"
    DAYS = "days", "days"


def to_minutes(amount: int, unit: str) -> int:
    return amount * MINUTES[unit]


def as_amount(minutes: int) -> tuple[int, str]:
    """The largest unit that shows `minutes` exactly, so an edit form gives back what was entered."""
    for unit in (Unit.DAYS, Unit.HOURS):
        if minutes and minutes % MINUTES[unit] == 0:
            return minutes // MINUTES[unit], unit
    return minutes, Unit.MINUTES


def duration(minutes: int | None) -> str:
    """'45 min', '4 h', '1 h 05 min', '3 d', '1 d 6 h', '25 h 01 min', '23 d 11 h': the one wording of a length
    in this app. Exact below two days; from two days on the minutes are dropped, since "563 h 18 min" is not
    readable and nobody needs minute precision on a data age of weeks. Days are never shown with minutes, which
    would read as a date."""
    if minutes is None:
        return "—"
    hours, mins = divmod(minutes, 60)
    if mins and hours < 48:
        return f"{hours} h {mins:02d} min" if hours else f"{mins} min"
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    return f"{hours} h"


def span(length: timedelta) -> str:
    """A measured length (a restore's run time, a data age): seconds only when it is under a minute, where
    "0 min" would hide that the restore took any time at all."""
    seconds = int(length.total_seconds())
    if 0 <= seconds < 60:
        return f"{seconds} s"
    return duration(seconds // 60)
