"""A new account list completes a leaver's deprovisioning task when it shows the account disabled, locked or gone,
with the elapsed time from termination measured; a list that still shows it enabled, or an older list imported
late, leaves the task open."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from safeguard.access.models import System, account_key
from safeguard.core.models import AuditEvent
from safeguard.workforce.models import WorkflowTask
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_accounts_support import commit, ehr, leaver, lines

TERMINATED = datetime(2026, 2, 10, 17, 0, tzinfo=UTC)
HEADER = "username,status,disabled_at"


def deprovisioning(system: System, username: str = "lpark") -> WorkflowTask:
    return WorkflowTask.objects.get(kind=WorkflowTask.Kind.DEPROVISION, subject_key=account_key(system.pk, username))


@pytest.fixture
def system(cast: Cast) -> System:
    found = ehr(cast)
    leaver(cast, found, username="LPark", terminated_at=TERMINATED)
    return found


def test_the_leaver_has_an_open_task_for_the_account(system: System) -> None:
    task = deprovisioning(system)
    assert (task.status, task.due_at) == (WorkflowTask.Status.OPEN, TERMINATED + timedelta(hours=24))


def test_a_list_showing_the_account_disabled_completes_the_task_with_the_elapsed_time(
    cast: Cast, system: System
) -> None:
    text = lines("lpark,disabled,2026-02-10 22:30", "dreyes,active,", header=HEADER)

    _, outcome = commit(cast, text, taken_at="2026-02-12T09:00")

    task = deprovisioning(system)
    assert task.status == WorkflowTask.Status.DONE
    assert task.effective_at == datetime(2026, 2, 10, 22, 30, tzinfo=UTC)
    assert task.elapsed_seconds == 5 * 3600 + 30 * 60
    assert task.note == "Seen disabled in the EHR list of 2026-02-12 09:00"
    assert task.completed_by == cast.owner
    assert outcome.result["deprovisioning_observed"] == 1
    assert AuditEvent.objects.filter(action="workforce.task.completed", object_id=str(task.public_id)).exists()


def test_without_a_disabled_date_the_list_date_is_when_it_was_seen(cast: Cast, system: System) -> None:
    commit(cast, lines("LPARK,locked,", header=HEADER), taken_at="2026-02-11T17:00")

    task = deprovisioning(system)
    assert (task.status, task.effective_at) == (WorkflowTask.Status.DONE, datetime(2026, 2, 11, 17, tzinfo=UTC))
    assert task.elapsed_seconds == 24 * 3600
    assert task.note == "Seen locked in the EHR list of 2026-02-11 17:00"


def test_an_account_gone_from_the_list_was_disabled_by_the_list_date(cast: Cast, system: System) -> None:
    commit(cast, lines("dreyes,active,", header=HEADER), taken_at="2026-02-13T17:00")

    task = deprovisioning(system)
    assert (task.status, task.elapsed_seconds) == (WorkflowTask.Status.DONE, 72 * 3600)
    assert task.note == "Absent from the EHR list of 2026-02-13 17:00"


def test_a_list_still_showing_the_account_enabled_leaves_the_task_open(cast: Cast, system: System) -> None:
    _, outcome = commit(cast, lines("lpark,active,", header=HEADER), taken_at="2026-02-12T09:00")

    assert deprovisioning(system).status == WorkflowTask.Status.OPEN
    assert outcome.result["deprovisioning_observed"] == 0


def test_a_disabled_date_after_the_list_date_counts_as_the_list_date(cast: Cast, system: System) -> None:
    commit(cast, lines("lpark,disabled,2026-02-20 10:00", header=HEADER), taken_at="2026-02-12T09:00")

    assert deprovisioning(system).effective_at == datetime(2026, 2, 12, 9, tzinfo=UTC)


def test_another_systems_list_proves_nothing_about_this_account(cast: Cast, system: System) -> None:
    make.system(cast.org, "Billing")

    commit(cast, lines("dreyes,active,", header=HEADER), system="Billing", taken_at="2026-02-12T09:00")

    assert deprovisioning(system).status == WorkflowTask.Status.OPEN


def test_an_older_list_imported_after_a_newer_one_proves_nothing(cast: Cast, system: System) -> None:
    make.snapshot(system, [{"username": "lpark"}], taken_at=datetime(2026, 2, 15, tzinfo=UTC))

    commit(cast, lines("dreyes,active,", header=HEADER), taken_at="2026-02-12T09:00")

    assert deprovisioning(system).status == WorkflowTask.Status.OPEN


def test_the_delay_is_measured_across_a_daylight_saving_change(cast: Cast) -> None:
    system = ehr(cast, "Lab")
    System.objects.filter(pk=system.pk).update(time_zone="America/New_York")
    # 01:30 EST on the night clocks go forward; 03:30 EDT that night is one hour later, not two.
    terminated = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    leaver(cast, system, username="lpark", terminated_at=terminated)

    commit(cast, lines("lpark,disabled,2026-03-08 03:30", header=HEADER), system="Lab", taken_at="2026-03-09T08:00")

    assert deprovisioning(system).elapsed_seconds == 3600
