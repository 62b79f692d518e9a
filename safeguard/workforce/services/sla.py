"""The leaver target, measured: for each person who left in a window and each account they held, how long after
the termination the account was disabled, against the target in force when their workflow opened.

Times are aware and compared on the UTC timeline, so a daylight-saving change or a leaver in another zone than
the server does not shift a delay. An account disabled before the termination took no time at all. An account
still enabled past its target is a breach already ("still enabled after 30 h"); one still enabled within its
target is waiting, not judged yet. Waived tasks (the account was not the leaver's, the system is gone) are shown
and not judged.

The median is over the accounts whose disablement was measured; the worst also looks at accounts still enabled,
which are at least as late as the time passed so far.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from safeguard.workforce.queries import workforce_settings
from safeguard.workforce.services.tasks import elapsed_seconds
from safeguard.workforce.services.workflows import PROPOSED_RULE_SLA_HOURS

WINDOW_DAYS = 90
TaskStatus = WorkflowTask.Status


def moment_of(today: date) -> datetime:
    """The moment a check or widget judges at: now on the current day, the end of the day for another one."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))


def duration_text(seconds: int) -> str:
    """A delay for people: "31 h 12 min", "45 min", "2 h"; its sign is the caller's to word."""
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


class State:
    MET = "met"  # disabled within the target
    BREACH = "breach"  # disabled after the target
    OVERDUE = "overdue"  # still enabled past the target: a breach already
    WAITING = "waiting"  # still enabled, within the target
    WAIVED = "waived"  # not judged


@dataclass(frozen=True)
class Disablement:
    """One account task of one leaver, measured."""

    task: WorkflowTask
    workflow: Workflow
    person: Person
    termination_at: datetime
    target_hours: int
    disabled_at: datetime | None
    elapsed_seconds: int | None  # measured when disabled; time so far when still enabled
    state: str

    @property
    def is_breach(self) -> bool:
        return self.state in (State.BREACH, State.OVERDUE)

    @property
    def is_measured(self) -> bool:
        return self.state in (State.MET, State.BREACH)

    @property
    def counted_seconds(self) -> int:
        """The delay the figures use: disabling before the termination took no time."""
        return max(self.elapsed_seconds or 0, 0)

    @property
    def meets_proposed_rule(self) -> bool:
        return self.is_measured and self.counted_seconds <= PROPOSED_RULE_SLA_HOURS * 3600

    @property
    def misses_proposed_rule(self) -> bool:
        return not self.meets_proposed_rule and self.counted_seconds > PROPOSED_RULE_SLA_HOURS * 3600

    @property
    def elapsed_text(self) -> str:
        if self.elapsed_seconds is None:
            return "not measured"
        if self.state in (State.OVERDUE, State.WAITING):
            return f"still enabled after {duration_text(self.elapsed_seconds)}"
        if self.elapsed_seconds < 0:
            return f"disabled {duration_text(self.elapsed_seconds)} before termination"
        return duration_text(self.elapsed_seconds)

    @property
    def describe(self) -> str:
        """For a check's reason: "Dana Reyes, EHR account dreyes: 31 h 12 min (target 24 h)"."""
        return f"{self.person.full_name}, {self.task.title}: {self.elapsed_text} (target {self.target_hours} h)"


@dataclass(frozen=True)
class LeaverSlaReport:
    since: datetime
    until: datetime
    days: int
    target_hours: int  # the current setting; each workflow keeps the target it opened with
    leavers: list[Workflow]
    rows: list[Disablement]
    by_workflow: dict[int, list[Disablement]] = field(default_factory=dict)

    @property
    def proposed_rule_hours(self) -> int:
        return PROPOSED_RULE_SLA_HOURS

    @property
    def measured(self) -> list[Disablement]:
        return [row for row in self.rows if row.is_measured]

    @property
    def breaches(self) -> list[Disablement]:
        return [row for row in self.rows if row.is_breach]

    @property
    def still_enabled(self) -> list[Disablement]:
        return [row for row in self.rows if row.state in (State.OVERDUE, State.WAITING)]

    @property
    def judged(self) -> list[Disablement]:
        return [row for row in self.rows if row.is_measured or row.state == State.OVERDUE]

    @property
    def median_seconds(self) -> int | None:
        measured = [row.counted_seconds for row in self.measured]
        return int(statistics.median(measured)) if measured else None

    @property
    def worst(self) -> Disablement | None:
        judged = self.judged
        return max(judged, key=lambda row: row.counted_seconds) if judged else None

    @property
    def proposed_rule_met(self) -> int:
        return sum(1 for row in self.rows if row.meets_proposed_rule)

    @property
    def proposed_rule_judged(self) -> int:
        """Accounts the 1-hour target can judge: the measured ones, and those already enabled past an hour."""
        return sum(1 for row in self.rows if row.meets_proposed_rule or row.misses_proposed_rule)

    @property
    def median_text(self) -> str:
        median = self.median_seconds
        return duration_text(median) if median is not None else "—"

    @property
    def leavers_without_accounts(self) -> list[Workflow]:
        return [workflow for workflow in self.leavers if not self.by_workflow.get(workflow.pk)]

    @property
    def targets(self) -> list[int]:
        return sorted({row.target_hours for row in self.rows} or {self.target_hours})


def _measure(
    task: WorkflowTask, workflow: Workflow, termination_at: datetime, target_hours: int, now: datetime
) -> Disablement:
    target = target_hours * 3600
    disabled_at = None
    if task.status == TaskStatus.DONE:
        disabled_at = task.effective_at or task.completed_at
        elapsed = task.elapsed_seconds
        if elapsed is None and disabled_at is not None:
            elapsed = elapsed_seconds(termination_at, disabled_at)
        state = State.BREACH if elapsed is not None and elapsed > target else State.MET
    elif task.status == TaskStatus.OPEN:
        elapsed = elapsed_seconds(termination_at, now)
        state = State.OVERDUE if elapsed > target else State.WAITING
    else:
        elapsed, state = None, State.WAIVED
    return Disablement(task, workflow, workflow.person, termination_at, target_hours, disabled_at, elapsed, state)


def measure_task(task: WorkflowTask, workflow: Workflow, now: datetime | None = None) -> Disablement | None:
    """One account task of a leaver, measured as the report does; None for other tasks."""
    if task.kind != WorkflowTask.Kind.DEPROVISION or workflow.termination_at is None:
        return None
    target_hours = workflow.sla_hours or workforce_settings(workflow.organization).leaver_sla_hours
    return _measure(task, workflow, workflow.termination_at, target_hours, now or timezone.now())


def leaver_workflows(organization: Organization, since: datetime, until: datetime) -> list[Workflow]:
    """Leavers whose termination falls in (since, until], and earlier ones with an account still enabled (an
    ongoing breach does not age out of the window), with their account tasks; cancelled workflows left out."""
    tasks = WorkflowTask.objects.filter(kind=WorkflowTask.Kind.DEPROVISION).order_by("position", "pk")
    still_enabled = WorkflowTask.objects.filter(
        workflow=OuterRef("pk"), kind=WorkflowTask.Kind.DEPROVISION, status=TaskStatus.OPEN
    )
    in_window = Q(termination_at__gt=since, termination_at__lte=until)
    return list(
        Workflow.objects.filter(organization=organization, kind=Workflow.Kind.LEAVER)
        .filter(in_window | Q(termination_at__lte=since, status=Workflow.Status.OPEN) & Exists(still_enabled))
        .exclude(status=Workflow.Status.CANCELLED)
        .select_related("person")
        .prefetch_related(Prefetch("tasks", queryset=tasks, to_attr="account_tasks"))
        .order_by("-termination_at", "-pk")
    )


def leaver_sla(organization: Organization, *, now: datetime | None = None, days: int = WINDOW_DAYS) -> LeaverSlaReport:
    """The leaver target over the `days` before `now`: every leaver, every account task, measured. Three queries."""
    now = now or timezone.now()
    since = now - timedelta(days=days)
    default_hours = workforce_settings(organization).leaver_sla_hours
    leavers = leaver_workflows(organization, since, now)
    rows: list[Disablement] = []
    by_workflow: dict[int, list[Disablement]] = {}
    for workflow in leavers:
        if workflow.termination_at is None:  # excluded by the query; keeps the type checker sure
            continue
        target_hours = workflow.sla_hours or default_hours
        tasks = getattr(workflow, "account_tasks", [])
        measured = [_measure(task, workflow, workflow.termination_at, target_hours, now) for task in tasks]
        by_workflow[workflow.pk] = measured
        rows.extend(measured)
    return LeaverSlaReport(since, now, days, default_hours, leavers, rows, by_workflow)
