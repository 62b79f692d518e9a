"""Review periods: consecutive runs of N local days from the source's creation day (its week's Monday for weekly
reviews), created once each period has ended, due after the grace days, whatever daylight saving does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from safeguard.activity.chores_reviews import reviews_chore
from safeguard.activity.models import ActivityReview
from tests.activity_factories import make_source


def periods(source: Any) -> list[tuple[date, date, date]]:
    return list(
        ActivityReview.objects.filter(source=source)
        .order_by("period_start")
        .values_list("period_start", "period_end", "due_on")
    )


def test_weekly_periods_start_on_the_monday_of_the_creation_week(cast: Any) -> None:
    # Wednesday 2026-01-07 03:00 UTC is Tuesday 22:00 in New York: the local creation day is Tuesday the 6th.
    source = make_source(cast.org, review_every_days=7, review_grace_days=3, reviewer=cast.official)
    source.created_at = datetime(2026, 1, 7, 3, 0, tzinfo=UTC)
    source.save()
    reviews_chore(date(2026, 1, 19), False)
    assert periods(source) == [
        (date(2026, 1, 5), date(2026, 1, 11), date(2026, 1, 14)),
        (date(2026, 1, 12), date(2026, 1, 18), date(2026, 1, 21)),
    ]
    assert set(ActivityReview.objects.values_list("reviewer", flat=True)) == {cast.official.pk}


def test_a_period_is_created_only_once_it_has_ended_and_only_once(cast: Any) -> None:
    source = make_source(cast.org, review_every_days=7)
    source.created_at = datetime(2026, 1, 5, 12, tzinfo=UTC)
    source.save()
    assert reviews_chore(date(2026, 1, 11), False) == []  # the first week ends on the 11th
    lines = reviews_chore(date(2026, 1, 12), False)
    assert reviews_chore(date(2026, 1, 12), False) == []
    assert lines == ["clinic: EHR: scheduled 1 review(s), 2026-01-05 – 2026-01-11"]
    assert len(periods(source)) == 1


def test_other_lengths_start_on_the_creation_day_across_daylight_saving(cast: Any) -> None:
    # US clocks change on 2026-03-08; periods are dates, so each is still exactly 10 days.
    source = make_source(cast.org, review_every_days=10, review_grace_days=0)
    source.created_at = datetime(2026, 3, 1, 15, tzinfo=UTC)
    source.save()
    reviews_chore(date(2026, 3, 22), False)
    assert periods(source) == [
        (date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 10)),
        (date(2026, 3, 11), date(2026, 3, 20), date(2026, 3, 20)),
    ]


def test_unreviewed_inactive_sources_and_dry_runs_create_nothing(cast: Any) -> None:
    for name, extra in (("Plain", {}), ("Off", {"is_active": False, "review_every_days": 7})):
        source = make_source(cast.org, name, **extra)
        source.created_at = datetime(2026, 1, 1, tzinfo=UTC)
        source.save()
    dry = make_source(cast.org, "Dry", review_every_days=7)
    dry.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    dry.save()
    assert reviews_chore(date(2026, 2, 1), True)[0].startswith("clinic: Dry: would schedule 4 review(s)")
    assert not ActivityReview.objects.exists()
