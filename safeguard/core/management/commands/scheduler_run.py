"""The recurring chores in one command: obligation reminders and escalation, then each organization's daily
tracker evaluation (which writes the day's snapshot). Run it daily from cron or a systemd timer, or with
--loop beside the task worker. Every step is idempotent, so running it more often is harmless.
"""

from __future__ import annotations

import argparse
import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as day_time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError
from django.utils import timezone

from safeguard.core.chores import registered_chores
from safeguard.core.models import Organization
from safeguard.core.services.reminders import ReminderSummary, obligation_reminders_run
from safeguard.tracker.models import EvaluationRun
from safeguard.tracker.services import evaluation_request

logger = logging.getLogger(__name__)
DAILY_TRIGGER = "daily"


def iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def positive_seconds(value: str) -> int:
    try:
        seconds = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of seconds, got {value!r}") from None
    if seconds < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 second, got {seconds}")
    return seconds


@dataclass(frozen=True)
class PassResult:
    chores: tuple[str, ...]
    reminders: ReminderSummary
    queued: tuple[str, ...]
    already_evaluated: tuple[str, ...]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime.combine(day, day_time.min, tzinfo=zone), datetime.combine(
        day + timedelta(days=1), day_time.min, tzinfo=zone
    )


def daily_evaluation_due(organization: Organization, today: date) -> bool:
    """False when today's daily evaluation is done, or queued or running; a failed one is tried again."""
    start, end = _day_bounds(today)
    return not (
        EvaluationRun.objects.filter(
            organization=organization, trigger=DAILY_TRIGGER, requested_at__gte=start, requested_at__lt=end
        )
        .exclude(state=EvaluationRun.State.FAILED)
        .exists()
    )


def scheduler_pass(*, today: date, dry_run: bool) -> PassResult:
    chores = [f"{name}: {line}" for name, chore in registered_chores().items() for line in chore(today, dry_run)]
    reminders = obligation_reminders_run(today=today, dry_run=dry_run)
    queued, skipped = [], []
    for organization in Organization.objects.order_by("slug"):
        if not daily_evaluation_due(organization, today):
            skipped.append(organization.slug)
            continue
        if not dry_run:
            evaluation_request(organization=organization, trigger=DAILY_TRIGGER)
        queued.append(organization.slug)
    return PassResult(tuple(chores), reminders, tuple(queued), tuple(skipped))


class _WakeUp(Exception):
    """Raised by the stop signal's handler to cut the sleep between passes short."""


class Stopper:
    """Stops the loop between passes: a signal during a pass lets the pass finish; during the sleep, it wakes it."""

    def __init__(self) -> None:
        self.stopping = False
        self.sleeping = False

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        if self.sleeping:
            raise _WakeUp

    def sleep(self, seconds: int) -> None:
        self.sleeping = True
        try:
            if not self.stopping:
                time.sleep(seconds)
        except _WakeUp:
            pass
        finally:
            self.sleeping = False


def run_loop(run_once: Callable[[], None], *, interval: int, stopper: Stopper) -> None:
    """Call `run_once` now and then every `interval` seconds until a stop is requested."""
    while not stopper.stopping:
        try:
            run_once()
        except DatabaseError:
            # The database may be briefly unavailable (restart, failover): try again at the next interval.
            logger.exception("scheduler pass failed")
        stopper.sleep(interval)


class Command(BaseCommand):
    help = (
        "Run the recurring chores once: each app's daily chores (such as turning overdue risk actions into "
        "obligations), email reminders for obligations coming due, escalate overdue ones to "
        "the owner, security officials and owners, and queue each organization's daily tracker evaluation "
        "(at most one per organization per day). Safe to run repeatedly."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would be sent and queued; send and write nothing."
        )
        parser.add_argument(
            "--today", type=iso_date, metavar="YYYY-MM-DD", help="Act as if it were this day (default: today)."
        )
        parser.add_argument(
            "--loop",
            action="store_true",
            help="Keep running, one pass every --interval seconds, until stopped with SIGTERM or Ctrl-C.",
        )
        parser.add_argument(
            "--interval",
            type=positive_seconds,
            default=3600,
            metavar="SECONDS",
            help="Seconds between passes with --loop (default: 3600).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run: bool = options["dry_run"]
        fixed_day: date | None = options["today"]
        if options["loop"] and fixed_day is not None:
            raise CommandError("--today cannot be combined with --loop: a loop follows the calendar.")

        def run_once() -> None:
            self._report(scheduler_pass(today=fixed_day or timezone.localdate(), dry_run=dry_run))

        if not options["loop"]:
            run_once()
            return
        self._loop(run_once, options["interval"])

    def _loop(self, run_once: Callable[[], None], interval: int) -> None:
        stopper = Stopper()
        previous = signal.signal(signal.SIGTERM, stopper.request_stop)
        self.stdout.write(f"Scheduler running every {interval} s; stop with SIGTERM or Ctrl-C.")
        try:
            run_loop(run_once, interval=interval, stopper=stopper)
        except (KeyboardInterrupt, _WakeUp):
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        self.stdout.write("Scheduler stopped.")

    def _report(self, result: PassResult) -> None:
        summary = result.reminders
        would = "Would send" if summary.dry_run else "Sent"
        prefix = "[dry run] " if summary.dry_run else ""
        for line in result.chores:
            self.stdout.write(f"{prefix}{line}")
        self.stdout.write(
            f"{prefix}{summary.today:%Y-%m-%d}: {would} {len(summary.reminded)} reminder(s) and "
            f"{len(summary.escalated)} escalation(s); {len(summary.failed)} failed."
        )
        for notice in (*summary.reminded, *summary.escalated):
            self.stdout.write(
                f"  {notice.kind} {notice.organization}: {notice.title} (due {notice.due_on:%Y-%m-%d}) "
                f"→ {', '.join(notice.recipients)}"
            )
        for notice in summary.no_recipient:
            self.stdout.write(f"  no recipient for {notice.organization}: {notice.title} (owner is not a member)")
        for notice in summary.failed:
            self.stderr.write(f"  FAILED {notice.kind} {notice.organization}: {notice.title}")
        queued = "Would queue" if summary.dry_run else "Queued"
        self.stdout.write(
            f"{prefix}{queued} the daily evaluation for {len(result.queued)} organization(s); "
            f"{len(result.already_evaluated)} already evaluated today."
        )
