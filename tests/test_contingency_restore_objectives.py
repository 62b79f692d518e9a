"""The comparison of a measured restore with the objectives, at the edges: exactly on an objective meets it, one
second over misses it, and time zones and daylight-saving changes do not shift what was measured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from safeguard.contingency.durations import span
from safeguard.contingency.objectives import measure

NEW_YORK = ZoneInfo("America/New_York")
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _measure(
    *, minutes: float, age_minutes: float, succeeded: bool = True, verified: bool = True, start: datetime = START
):
    return measure(
        restore_point_at=start - timedelta(minutes=age_minutes),
        started_at=start,
        finished_at=start + timedelta(minutes=minutes),
        succeeded=succeeded,
        integrity_verified=verified,
        rto_minutes=120,
        rpo_minutes=60,
    )


def test_exactly_on_both_objectives_meets_them():
    measured = _measure(minutes=120, age_minutes=60)
    assert (measured.rto_met, measured.rpo_met, measured.outcome) == (True, True, "met")


def test_one_second_over_the_rto_misses_it_by_that_second():
    measured = _measure(minutes=120 + 1 / 60, age_minutes=60)
    assert (measured.rto_met, measured.rpo_met, measured.outcome) == (False, True, "missed")
    assert measured.rto_over == timedelta(seconds=1)


def test_one_second_over_the_rpo_misses_it():
    measured = _measure(minutes=30, age_minutes=60 + 1 / 60)
    assert (measured.rto_met, measured.rpo_met, measured.outcome) == (True, False, "missed")
    assert measured.rpo_over == timedelta(seconds=1)


def test_a_failed_restore_is_failed_even_within_the_objectives():
    assert _measure(minutes=10, age_minutes=5, succeeded=False).outcome == "failed"


def test_a_restore_not_verified_is_missed_even_within_the_objectives():
    measured = _measure(minutes=10, age_minutes=5, verified=False)
    assert (measured.rto_met, measured.rpo_met, measured.outcome) == (True, True, "missed")


def test_times_in_different_zones_compare_as_instants():
    started = datetime(2026, 6, 1, 5, 0, tzinfo=NEW_YORK)  # 09:00 UTC
    finished = datetime(2026, 6, 1, 11, 0, tzinfo=UTC)  # two hours later
    measured = measure(
        restore_point_at=datetime(2026, 6, 1, 8, 0, tzinfo=UTC),
        started_at=started,
        finished_at=finished,
        succeeded=True,
        integrity_verified=True,
        rto_minutes=120,
        rpo_minutes=60,
    )
    assert measured.time_to_restore == timedelta(hours=2)
    assert measured.data_age == timedelta(hours=1)
    assert measured.outcome == "met"


def test_a_restore_across_the_spring_forward_change_counts_real_time():
    # 01:30 EST to 03:30 EDT on 8 March 2026 is one hour, though the wall clocks say two.
    started = datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK)
    finished = datetime(2026, 3, 8, 3, 30, tzinfo=NEW_YORK)
    measured = measure(
        restore_point_at=started,
        started_at=started,
        finished_at=finished,
        succeeded=True,
        integrity_verified=True,
        rto_minutes=60,
        rpo_minutes=0,
    )
    assert measured.time_to_restore == timedelta(hours=1)
    assert measured.rto_met is True


def test_a_restore_across_the_fall_back_change_counts_the_repeated_hour():
    started = datetime(2026, 11, 1, 1, 30, fold=0, tzinfo=NEW_YORK)  # EDT
    finished = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NEW_YORK).astimezone(UTC)  # the same wall time, EST
    measured = measure(
        restore_point_at=started,
        started_at=started.astimezone(UTC),
        finished_at=finished,
        succeeded=True,
        integrity_verified=True,
        rto_minutes=59,
        rpo_minutes=0,
    )
    assert measured.time_to_restore == timedelta(hours=1)
    assert measured.outcome == "missed"


def test_durations_read_as_people_write_them():
    assert span(timedelta(seconds=1)) == "1 s"
    assert span(timedelta(minutes=45, seconds=59)) == "45 min"
    assert span(timedelta(hours=2, minutes=5)) == "2 h 05 min"
    assert span(timedelta(days=1)) == "1 d"
    assert span(timedelta(days=3, hours=4, minutes=7)) == "3 d 4 h"
