"""The scheduler_run command: one pass of reminders and daily evaluations, its options, and its loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import OperationalError
from django.utils import timezone
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from safeguard.core.management.commands import scheduler_run
from safeguard.core.models import AuditEvent, Obligation
from safeguard.tracker.models import DailySnapshot, EvaluationRun
from tests.conftest import Cast

MANAGE = Path(__file__).resolve().parent.parent / "manage.py"


def run(*args: str) -> str:
    out = StringIO()
    call_command("scheduler_run", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def duty(cast: Cast, days: int, title: str) -> Obligation:
    return Obligation.objects.create(
        organization=cast.org,
        title=title,
        owner=cast.workforce,
        due_on=date(2030, 6, 1) + timedelta(days=days),
        remind_days_before=14,
    )


def test_one_pass_sends_reminders_and_queues_each_daily_evaluation(cast: Cast) -> None:
    duty(cast, 5, "Soon")
    duty(cast, -5, "Late")

    output = run("--today", "2030-06-01")

    assert len(mail.outbox) == 2
    assert AuditEvent.objects.filter(action="obligation.reminded").count() == 1
    assert AuditEvent.objects.filter(action="obligation.escalated").count() == 1
    runs = EvaluationRun.objects.filter(trigger="daily")
    assert sorted(r.organization.slug for r in runs) == ["clinic", "other"]
    assert "2030-06-01: Sent 1 reminder(s) and 1 escalation(s); 0 failed." in output
    assert "Queued the daily evaluation for 2 organization(s); 0 already evaluated today." in output


def test_dry_run_writes_nothing(cast: Cast) -> None:
    soon = duty(cast, 5, "Soon")
    late = duty(cast, -5, "Late")

    output = run("--dry-run", "--today", "2030-06-01")

    assert mail.outbox == []
    assert not AuditEvent.objects.exists()
    assert not EvaluationRun.objects.exists()
    soon.refresh_from_db()
    late.refresh_from_db()
    assert soon.last_reminded_on is None and late.escalated_on is None
    assert "[dry run] 2030-06-01: Would send 1 reminder(s) and 1 escalation(s)" in output
    assert "reminder clinic: Soon (due 2030-06-06) → nurse@clinic.test" in output
    assert "[dry run] Would queue the daily evaluation for 2 organization(s)" in output


def test_the_daily_evaluation_runs_at_most_once_per_organization_per_day(
    cast: Cast, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        run()
    assert set(EvaluationRun.objects.values_list("state", flat=True)) == {EvaluationRun.State.DONE}
    assert DailySnapshot.objects.filter(organization=cast.org, day=timezone.localdate()).exists()

    with django_capture_on_commit_callbacks(execute=True):
        output = run()

    assert EvaluationRun.objects.filter(trigger="daily").count() == 2
    assert "Queued the daily evaluation for 0 organization(s); 2 already evaluated today." in output


def test_a_failed_daily_evaluation_is_tried_again(cast: Cast) -> None:
    EvaluationRun.objects.create(organization=cast.org, trigger="daily", state=EvaluationRun.State.FAILED)
    EvaluationRun.objects.create(organization=cast.other_org, trigger="daily", state=EvaluationRun.State.DONE)

    run()

    assert EvaluationRun.objects.filter(organization=cast.org, state=EvaluationRun.State.QUEUED).count() == 1
    assert EvaluationRun.objects.filter(organization=cast.other_org).count() == 1


def test_yesterdays_evaluation_does_not_count_for_today(cast: Cast) -> None:
    EvaluationRun.objects.create(
        organization=cast.org,
        trigger="daily",
        state=EvaluationRun.State.DONE,
        requested_at=timezone.now() - timedelta(days=1),
    )

    run()

    assert EvaluationRun.objects.filter(organization=cast.org, state=EvaluationRun.State.QUEUED).count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--today", "2030-02-30"], "argument --today: expected a date as YYYY-MM-DD, got '2030-02-30'"),
        (["--interval", "0"], "argument --interval: must be at least 1 second, got 0"),
        (["--interval", "soon"], "argument --interval: expected a whole number of seconds, got 'soon'"),
        (["--loop", "--today", "2030-01-01"], "--today cannot be combined with --loop"),
    ],
)
def test_bad_arguments_are_refused_with_a_specific_message(db: None, args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(*args)

    assert not EvaluationRun.objects.exists()


def test_bad_arguments_exit_non_zero_from_the_command_line() -> None:
    result = subprocess.run(  # noqa: S603  (fixed arguments)
        [sys.executable, str(MANAGE), "scheduler_run", "--today", "tomorrow"],
        capture_output=True,
        text=True,
        env={**os.environ, "DEBUG": "1"},
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "expected a date as YYYY-MM-DD, got 'tomorrow'" in result.stderr


def test_help_describes_the_options() -> None:
    text = " ".join(scheduler_run.Command().create_parser("manage.py", "scheduler_run").format_help().split())

    assert "email reminders for obligations coming due" in text
    assert "--dry-run Report what would be sent and queued; send and write nothing." in text
    assert "--today YYYY-MM-DD Act as if it were this day" in text
    assert "until stopped with SIGTERM or Ctrl-C" in text
    assert "--interval SECONDS Seconds between passes with --loop (default: 3600)." in text


# --- loop -------------------------------------------------------------------------------------------------------


def test_the_loop_stops_cleanly_on_sigterm_after_the_current_pass(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[date] = []

    def one_pass(*, today: date, dry_run: bool) -> scheduler_run.PassResult:
        passes.append(today)
        os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-pass: the pass still finishes
        return real_pass(today=today, dry_run=dry_run)

    real_pass = scheduler_run.scheduler_pass
    monkeypatch.setattr(scheduler_run, "scheduler_pass", one_pass)
    before = signal.getsignal(signal.SIGTERM)

    output = run("--loop", "--interval", "3600")

    assert passes == [timezone.localdate()]
    assert EvaluationRun.objects.filter(trigger="daily").count() == 2
    assert output.strip().endswith("Scheduler stopped.")
    assert signal.getsignal(signal.SIGTERM) is before


def test_sigterm_during_the_sleep_wakes_the_loop_at_once(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    passes: list[date] = []

    def one_pass(*, today: date, dry_run: bool) -> scheduler_run.PassResult:
        passes.append(today)
        threading.Timer(0.2, os.kill, args=(os.getpid(), signal.SIGTERM)).start()
        return real_pass(today=today, dry_run=dry_run)

    real_pass = scheduler_run.scheduler_pass
    monkeypatch.setattr(scheduler_run, "scheduler_pass", one_pass)
    started = timezone.now()

    output = run("--loop", "--interval", "600")

    assert len(passes) == 1
    assert (timezone.now() - started).total_seconds() < 30
    assert "Scheduler stopped." in output


def test_the_loop_stops_cleanly_on_keyboard_interrupt(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*, today: date, dry_run: bool) -> scheduler_run.PassResult:
        raise KeyboardInterrupt

    monkeypatch.setattr(scheduler_run, "scheduler_pass", interrupted)

    assert run("--loop").strip().endswith("Scheduler stopped.")


def test_a_database_error_in_one_pass_does_not_end_the_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    stopper = scheduler_run.Stopper()

    def flaky() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        stopper.stopping = True

    monkeypatch.setattr(scheduler_run.time, "sleep", lambda seconds: None)

    scheduler_run.run_loop(flaky, interval=1, stopper=stopper)

    assert len(calls) == 2
