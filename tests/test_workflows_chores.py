"""The daily chore that turns 164.308(a)(3)(ii)(C) red promptly: an evaluation is requested once a leaver's account
task passes its due time, and only once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from safeguard.core.chores import registered_chores
from safeguard.tracker.models import EvaluationRun
from safeguard.workforce.chores import TRIGGER, overdue_deprovisioning
from safeguard.workforce.models import WorkflowTask
from tests import access_factories as factories
from tests.conftest import Cast
from tests.test_workflows_support import TaskKind, leaver, task_of

TERMINATED = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
DUE = TERMINATED + timedelta(hours=24)


def test_the_chore_is_registered() -> None:
    assert "workforce.overdue_tasks" in registered_chores()


def test_nothing_is_asked_before_the_due_time(cast: Cast) -> None:
    leaver(cast, "E-1", TERMINATED, systems=[factories.system(cast.org, "EHR")], now=TERMINATED)

    assert overdue_deprovisioning(DUE - timedelta(minutes=1), dry_run=False) == []
    assert not EvaluationRun.objects.exists()


def test_an_overdue_account_asks_for_an_evaluation_once(cast: Cast) -> None:
    leaver(cast, "E-1", TERMINATED, systems=[factories.system(cast.org, "EHR")], now=TERMINATED)

    first = overdue_deprovisioning(DUE + timedelta(minutes=5), dry_run=False)
    again = overdue_deprovisioning(DUE + timedelta(hours=5), dry_run=False)

    assert first == ["clinic: 1 leaver account task(s) past due: evaluation requested"]
    assert again == []
    assert list(EvaluationRun.objects.values_list("organization__slug", "trigger")) == [("clinic", TRIGGER)]


def test_a_dry_run_only_says_what_it_would_do(cast: Cast) -> None:
    leaver(cast, "E-1", TERMINATED, systems=[factories.system(cast.org, "EHR")], now=TERMINATED)

    lines = overdue_deprovisioning(DUE + timedelta(minutes=5), dry_run=True)

    assert lines == ["clinic: 1 leaver account task(s) past due: an evaluation would be requested"]
    assert not EvaluationRun.objects.exists()


def test_an_evaluation_that_ran_before_the_due_time_does_not_count(cast: Cast) -> None:
    leaver(cast, "E-1", TERMINATED, systems=[factories.system(cast.org, "EHR")], now=TERMINATED)
    EvaluationRun.objects.create(
        organization=cast.org,
        trigger="earlier",
        state=EvaluationRun.State.DONE,
        requested_at=DUE - timedelta(hours=2),
        started_at=DUE - timedelta(hours=2),
    )
    later = leaver(cast, "E-2", TERMINATED + timedelta(hours=1), systems=[factories.system(cast.org, "PACS")])
    EvaluationRun.objects.create(
        organization=cast.org,
        trigger="in between",
        state=EvaluationRun.State.DONE,
        requested_at=DUE + timedelta(minutes=30),
        started_at=DUE + timedelta(minutes=30),
    )

    lines = overdue_deprovisioning(DUE + timedelta(hours=2), dry_run=False)

    assert task_of(later, TaskKind.DEPROVISION).due_at == DUE + timedelta(hours=1)
    assert lines == ["clinic: 2 leaver account task(s) past due: evaluation requested"]


def test_done_tasks_and_other_organizations_are_left_alone(cast: Cast) -> None:
    workflow = leaver(cast, "E-1", TERMINATED, systems=[factories.system(cast.org, "EHR")], now=TERMINATED)
    WorkflowTask.objects.filter(workflow=workflow).update(status=WorkflowTask.Status.DONE)
    leaver(cast, "X-1", TERMINATED, systems=[factories.system(cast.other_org, "Theirs")], org=cast.other_org)

    lines = overdue_deprovisioning(DUE + timedelta(minutes=5), dry_run=False)

    assert lines == ["other: 1 leaver account task(s) past due: evaluation requested"]
