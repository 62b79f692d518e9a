"""Calendar arithmetic for due dates and retention (month ends clamp: 31 Jan + 1 month = 28/29 Feb), and the range
of dates a person may enter.

add_months raises for a result past year 9999 (or before year 1): services refuse dates outside `date_range`
before any arithmetic, so such input never reaches it.
"""

import calendar
from dataclasses import dataclass
from datetime import date

# Nothing a compliance program records took effect or fell due before this: an earlier date is a typing mistake.
EARLIEST = date(1990, 1, 1)


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: date, years: int) -> date:
    return add_months(day, 12 * years)


def can_add_months(day: date, months: int) -> bool:
    """Whether add_months(day, months) is a real date (the calendar ends on 9999-12-31)."""
    month_index = day.year * 12 + day.month - 1 + months
    return date.min.year * 12 <= month_index < (date.max.year + 1) * 12


@dataclass(frozen=True)
class DateRange:
    earliest: date
    latest: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.earliest <= day <= self.latest

    def describe(self) -> str:
        return f"between {self.earliest:%Y-%m-%d} and {self.latest:%Y-%m-%d}"


def date_range(today: date, *, years_ahead: int, earliest: date = EARLIEST) -> DateRange:
    """From `earliest` to `years_ahead` years after today."""
    return DateRange(earliest, add_years(today, years_ahead))
