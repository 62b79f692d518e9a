"""The review schedule: every active source reviewed every N days gets one ActivityReview per period once the
period has ended in the source's time zone. Periods are consecutive runs of N local days from the source's
creation day (from the Monday of that week when N is 7); dates only, so daylight saving changes cannot shift
them. Idempotent: one row per source and period start (a database constraint), so running it again adds
nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from safeguard.activity.models import ActivityReview, LogSource
from safeguard.activity.queries_reviews import facility_date
from safeguard.core.chores import as_of, daily_chore


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive


def first_period_start(source: LogSource) -> date:
    created = facility_date(source.created_at, source.time_zone)
    if source.review_every_days == 7:
        return created - timedelta(days=created.isoweekday() - 1)
    return created


def source_today(source: LogSource, today: date) -> date:
    """The source's local date when the installation's date is `today`: now on the current day, the last instant
    of `today` when acting as if it were another day. Periods end on facility-local days, so a source in
    Honolulu is still on the 11th while a UTC installation is already on the 12th."""
    return facility_date(as_of(today), source.time_zone)


def ended_periods(source: LogSource, today: date) -> list[Period]:
    """Every period of the source that ended before `today`, the source's local date, oldest first."""
    length = source.review_every_days or 0
    if length <= 0:
        return []
    periods = []
    start = first_period_start(source)
    while start + timedelta(days=length - 1) < today:
        periods.append(Period(start, start + timedelta(days=length - 1)))
        start += timedelta(days=length)
    return periods


def reviews_create_due(today: date, *, dry_run: bool = False) -> list[str]:
    lines = []
    sources = LogSource.objects.filter(is_active=True, review_every_days__gt=0).select_related("organization")
    for source in sources.order_by("organization__slug", "name"):
        existing = set(ActivityReview.objects.filter(source=source).values_list("period_start", flat=True))
        ended = ended_periods(source, source_today(source, today))
        missing = [period for period in ended if period.start not in existing]
        if not missing:
            continue
        if not dry_run:
            ActivityReview.objects.bulk_create(
                [
                    ActivityReview(
                        organization_id=source.organization_id,
                        source=source,
                        period_start=period.start,
                        period_end=period.end,
                        due_on=period.end + timedelta(days=source.review_grace_days),
                        reviewer_id=source.reviewer_id,
                    )
                    for period in missing
                ],
                ignore_conflicts=True,
            )
        verb = "would schedule" if dry_run else "scheduled"
        lines.append(
            f"{source.organization.slug}: {source.name}: {verb} {len(missing)} review(s), "
            f"{missing[0].start} – {missing[-1].end}"
        )
    return lines


@daily_chore("activity.reviews")
def reviews_chore(today: date, dry_run: bool) -> list[str]:
    return reviews_create_due(today, dry_run=dry_run)
