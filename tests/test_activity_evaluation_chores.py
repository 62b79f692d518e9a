"""The evaluation schedule with a fixed clock (a past day: the chores judge by its last instant): the first
micro-batch looks back a day, later ones start 5 minutes before evaluated_until, nothing while a run waits or
too soon; the nightly re-run once a day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from safeguard.activity.chores_evaluation import micro_batch_chore, nightly_chore
from safeguard.activity.models import ActivitySettings, RuleRun
from tests.activity_factories import make_source

DAY = date(2026, 1, 5)


def end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), datetime.min.time())) - timedelta(
        microseconds=1
    )


def test_first_micro_batch_looks_back_one_day_and_is_idempotent(cast: Any) -> None:
    make_source(cast.org)
    make_source(cast.other_org, "Inactive", is_active=False)
    lines = micro_batch_chore(DAY, False)
    again = micro_batch_chore(DAY, False)
    run = RuleRun.objects.get()
    assert (run.organization, run.trigger, run.state) == (cast.org, RuleRun.Trigger.MICRO, RuleRun.State.QUEUED)
    assert (run.window_start, run.window_end) == (end_of(DAY) - timedelta(days=1), end_of(DAY))
    assert len(lines) == 1 and lines[0].startswith("clinic: evaluating")
    assert again == []


def test_micro_batch_waits_for_its_interval_then_starts_before_evaluated_until(cast: Any) -> None:
    make_source(cast.org)
    now = end_of(DAY)
    ActivitySettings.objects.create(organization=cast.org, evaluated_until=now - timedelta(minutes=4))
    assert micro_batch_chore(DAY, False) == []
    ActivitySettings.objects.filter(organization=cast.org).update(evaluated_until=now - timedelta(minutes=5))
    micro_batch_chore(DAY, False)
    run = RuleRun.objects.get()
    assert (run.window_start, run.window_end) == (now - timedelta(minutes=10), now)


def test_micro_batch_dry_run_writes_nothing(cast: Any) -> None:
    make_source(cast.org)
    assert micro_batch_chore(DAY, True)[0].startswith("clinic: would evaluate")
    assert not RuleRun.objects.exists()


def test_a_run_stuck_for_over_an_hour_no_longer_blocks(cast: Any) -> None:
    make_source(cast.org)
    RuleRun.objects.create(
        organization=cast.org,
        trigger=RuleRun.Trigger.MICRO,
        state=RuleRun.State.RUNNING,
        window_start=end_of(DAY) - timedelta(days=2),
        window_end=end_of(DAY) - timedelta(days=1),
        requested_at=end_of(DAY) - timedelta(hours=2),
    )
    micro_batch_chore(DAY, False)
    assert RuleRun.objects.filter(state=RuleRun.State.QUEUED).count() == 1


def test_nightly_reruns_the_last_days_once_a_day(cast: Any) -> None:
    make_source(cast.org)
    ActivitySettings.objects.create(organization=cast.org, nightly_rerun_days=3)
    nightly_chore(DAY, False)
    nightly_chore(DAY, False)
    run = RuleRun.objects.get()
    midnight = datetime(2026, 1, 5, tzinfo=timezone.get_current_timezone())
    assert run.trigger == RuleRun.Trigger.NIGHTLY
    assert (run.window_start, run.window_end) == (midnight - timedelta(days=3), midnight)
    assert ActivitySettings.objects.get(organization=cast.org).last_nightly_on == DAY
    RuleRun.objects.update(state=RuleRun.State.DONE)
    nightly_chore(DAY + timedelta(days=1), False)
    assert RuleRun.objects.count() == 2
