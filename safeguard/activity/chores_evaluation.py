"""The evaluation schedule: a micro-batch every few minutes over the new events, and once a day a re-run of the
last days for events that arrived late. Both are chores, so the scheduler that runs every few minutes drives
them; each is idempotent (nothing is asked while a run of its trigger is waiting or running).

A run waiting or running for over an hour is taken for a dead worker's and no longer holds the schedule back.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from safeguard.activity.models import ActivitySettings, LogSource, RuleRun
from safeguard.activity.services.evaluation import BUSY_STATES, request_evaluation
from safeguard.activity.services.settings import activity_settings
from safeguard.core.chores import as_of, daily_chore
from safeguard.core.models import Organization

LATE_MARGIN = timedelta(minutes=5)
FIRST_LOOKBACK = timedelta(days=1)
STALE_AFTER = timedelta(hours=1)


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def organizations_with_sources() -> list[Organization]:
    ids = LogSource.objects.filter(is_active=True).values("organization_id")
    return list(Organization.objects.filter(pk__in=ids).order_by("slug"))


def run_in_progress(organization: Organization, trigger: str, now: datetime) -> bool:
    return RuleRun.objects.filter(
        organization=organization, trigger=trigger, state__in=BUSY_STATES, requested_at__gte=now - STALE_AFTER
    ).exists()


def micro_batch_window(settings: ActivitySettings, now: datetime) -> tuple[datetime, datetime] | None:
    """The next micro-batch's anchor window, or None when the last one is too recent."""
    if settings.evaluated_until is None:
        return now - FIRST_LOOKBACK, now
    if now - settings.evaluated_until < timedelta(minutes=settings.micro_batch_minutes):
        return None
    return settings.evaluated_until - LATE_MARGIN, now


@daily_chore("activity.micro_batch")
def micro_batch_chore(today: date, dry_run: bool) -> list[str]:
    now = as_of(today)
    lines = []
    for organization in organizations_with_sources():
        window = micro_batch_window(activity_settings(organization), now)
        if window is None or run_in_progress(organization, RuleRun.Trigger.MICRO, now):
            continue
        start, end = window
        lines.append(
            f"{organization.slug}: {'would evaluate' if dry_run else 'evaluating'} {start:%Y-%m-%d %H:%M} – "
            f"{end:%Y-%m-%d %H:%M}"
        )
        if not dry_run:
            request_evaluation(organization, start=start, end=end, trigger=RuleRun.Trigger.MICRO)
    return lines


@daily_chore("activity.nightly")
def nightly_chore(today: date, dry_run: bool) -> list[str]:
    now = as_of(today)
    lines = []
    for organization in organizations_with_sources():
        settings = activity_settings(organization)
        if settings.last_nightly_on == today or run_in_progress(organization, RuleRun.Trigger.NIGHTLY, now):
            continue
        start = local_midnight(today - timedelta(days=max(1, settings.nightly_rerun_days)))
        end = local_midnight(today)
        lines.append(
            f"{organization.slug}: {'would re-run' if dry_run else 're-running'} {start:%Y-%m-%d} – {end:%Y-%m-%d}"
        )
        if dry_run:
            continue
        with transaction.atomic():
            request_evaluation(organization, start=start, end=end, trigger=RuleRun.Trigger.NIGHTLY)
            ActivitySettings.objects.filter(pk=settings.pk).update(last_nightly_on=today)
    return lines
