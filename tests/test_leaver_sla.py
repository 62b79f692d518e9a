"""The leaver target, measured: elapsed time from termination to each account's disablement across daylight-saving
changes and time zones, breaches (late, or still enabled past the target), the window, and the summary figures
with the 1-hour target of the 2025 proposed rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.access.models import System
from safeguard.workforce.models import Workflow, WorkflowTask
from safeguard.workforce.services.sla import State, duration_text, leaver_sla
from safeguard.workforce.services.tasks import elapsed_seconds, task_complete, task_waive
from tests import access_factories as factories
from tests.conftest import Cast
from tests.test_workflows_support import NOW, TaskKind, actor, leaver, task_of

EASTERN = ZoneInfo("America/New_York")
PACIFIC = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")


def disable(cast: Cast, workflow: Workflow, at: datetime, *, now: datetime = NOW) -> WorkflowTask:
    return task_complete(
        organization=cast.org,
        actor=actor(cast.official),
        task=task_of(workflow, TaskKind.DEPROVISION),
        effective_at=at,
        now=now,
    )


@pytest.fixture
def ehr(cast: Cast) -> System:
    return factories.system(cast.org, "EHR")


# ---- measuring one delay ---------------------------------------------------------------------------------------


def test_spring_forward_is_one_hour_where_the_wall_clocks_say_two() -> None:
    start, end = datetime(2026, 3, 8, 1, 30, tzinfo=EASTERN), datetime(2026, 3, 8, 3, 30, tzinfo=EASTERN)

    assert end - start == timedelta(hours=2)  # Python's same-zone subtraction reads the wall clocks
    assert elapsed_seconds(start, end) == 3600


def test_fall_back_is_one_hour_where_the_wall_clocks_say_none() -> None:
    start = datetime(2026, 11, 1, 1, 30, tzinfo=EASTERN, fold=0)  # EDT
    end = datetime(2026, 11, 1, 1, 30, tzinfo=EASTERN, fold=1)  # EST, an hour later

    assert end - start == timedelta(0)
    assert elapsed_seconds(start, end) == 3600


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 min"), (59, "0 min"), (45 * 60, "45 min"), (3600, "1 h"), (112320, "31 h 12 min"), (-7200, "2 h")],
)
def test_durations_read_in_hours_and_minutes(seconds: int, text: str) -> None:
    assert duration_text(seconds) == text


# ---- the report across zones and clock changes -----------------------------------------------------------------


def test_the_spring_forward_leaver_is_measured_at_one_hour(cast: Cast, ehr: System, settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    workflow = leaver(cast, "E-1", datetime(2026, 3, 8, 1, 30, tzinfo=EASTERN), systems=[ehr], now=NOW)
    disable(cast, workflow, datetime(2026, 3, 8, 3, 30, tzinfo=EASTERN))

    report = leaver_sla(cast.org, now=datetime(2026, 3, 10, tzinfo=UTC))

    [row] = report.rows
    assert (row.elapsed_seconds, row.elapsed_text, row.state) == (3600, "1 h", State.MET)
    assert row.meets_proposed_rule


def test_the_fall_back_leaver_is_measured_at_one_hour(cast: Cast, ehr: System, settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    workflow = leaver(cast, "E-1", datetime(2026, 11, 1, 1, 30, tzinfo=EASTERN, fold=0), systems=[ehr], now=NOW)
    disable(cast, workflow, datetime(2026, 11, 1, 1, 30, tzinfo=EASTERN, fold=1), now=datetime(2026, 11, 2, tzinfo=UTC))

    [row] = leaver_sla(cast.org, now=datetime(2026, 11, 3, tzinfo=UTC)).rows

    assert (row.elapsed_seconds, row.elapsed_text) == (3600, "1 h")


def test_a_leaver_in_another_zone_than_the_server(cast: Cast, ehr: System, settings) -> None:
    """Terminated at 17:00 in Los Angeles, disabled at 09:30 in London the next day, the server in Tokyo."""
    settings.TIME_ZONE = "Asia/Tokyo"
    workflow = leaver(cast, "E-1", datetime(2026, 6, 1, 17, 0, tzinfo=PACIFIC), systems=[ehr], now=NOW)
    disable(cast, workflow, datetime(2026, 6, 2, 9, 30, tzinfo=LONDON))

    [row] = leaver_sla(cast.org, now=NOW).rows

    assert (row.elapsed_text, row.state, row.is_breach) == ("8 h 30 min", State.MET, False)
    assert not row.meets_proposed_rule


def test_an_account_disabled_before_the_termination_took_no_time(cast: Cast, ehr: System) -> None:
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-1", terminated, systems=[ehr], now=NOW)
    disable(cast, workflow, terminated - timedelta(hours=2))

    report = leaver_sla(cast.org, now=NOW)

    [row] = report.rows
    assert (row.elapsed_seconds, row.elapsed_text, row.state) == (-7200, "disabled 2 h before termination", "met")
    assert (row.counted_seconds, row.meets_proposed_rule, report.median_seconds) == (0, True, 0)


# ---- breaches -------------------------------------------------------------------------------------------------


def test_a_late_disablement_is_a_breach(cast: Cast, ehr: System) -> None:
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-1", terminated, systems=[ehr], now=NOW, name="Dana Reyes")
    disable(cast, workflow, terminated + timedelta(hours=31, minutes=12))

    report = leaver_sla(cast.org, now=NOW)

    [row] = report.breaches
    assert row.state == State.BREACH
    assert row.describe == "Dana Reyes, Disable EHR account e-1: 31 h 12 min (target 24 h)"


def test_exactly_the_target_is_met(cast: Cast, ehr: System) -> None:
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-1", terminated, systems=[ehr], now=NOW)
    disable(cast, workflow, terminated + timedelta(hours=24))

    assert leaver_sla(cast.org, now=NOW).rows[0].state == State.MET


def test_an_account_still_enabled_past_the_target_is_a_breach_already(cast: Cast, ehr: System) -> None:
    terminated = NOW - timedelta(hours=30)
    leaver(cast, "E-1", terminated, systems=[ehr], now=NOW)

    [row] = leaver_sla(cast.org, now=NOW).rows

    assert (row.state, row.is_breach, row.elapsed_text) == (State.OVERDUE, True, "still enabled after 30 h")


def test_an_account_still_enabled_within_the_target_is_waiting(cast: Cast, ehr: System) -> None:
    leaver(cast, "E-1", NOW - timedelta(hours=3), systems=[ehr], now=NOW)

    report = leaver_sla(cast.org, now=NOW)

    [row] = report.rows
    assert (row.state, row.is_breach) == (State.WAITING, False)
    assert report.breaches == [] and report.worst is None
    assert (report.proposed_rule_met, report.proposed_rule_judged) == (0, 1)  # past an hour: it cannot meet 1 h


def test_the_target_the_workflow_opened_with_is_kept(cast: Cast, ehr: System) -> None:
    terminated = datetime(2026, 6, 1, 17, 0, tzinfo=UTC)
    workflow = leaver(cast, "E-1", terminated, systems=[ehr], now=NOW)
    Workflow.objects.filter(pk=workflow.pk).update(sla_hours=4)
    disable(cast, workflow, terminated + timedelta(hours=5))

    [row] = leaver_sla(cast.org, now=NOW).rows

    assert (row.target_hours, row.state) == (4, State.BREACH)


def test_a_waived_account_is_shown_and_not_judged(cast: Cast, ehr: System) -> None:
    workflow = leaver(cast, "E-1", NOW - timedelta(hours=40), systems=[ehr], now=NOW)
    task_waive(
        organization=cast.org,
        actor=actor(cast.official),
        task=task_of(workflow, TaskKind.DEPROVISION),
        reason="The account was a shared front-desk login, reassigned.",
        now=NOW,
    )

    report = leaver_sla(cast.org, now=NOW)

    assert [row.state for row in report.rows] == [State.WAIVED]
    assert report.breaches == [] and report.judged == []


# ---- the window -----------------------------------------------------------------------------------------------


def test_the_window_is_the_last_90_days(cast: Cast, ehr: System) -> None:
    inside = leaver(cast, "E-1", NOW - timedelta(days=89), systems=[ehr], now=NOW)
    outside = leaver(cast, "E-2", NOW - timedelta(days=91), systems=[ehr], now=NOW)
    for workflow, terminated in ((inside, NOW - timedelta(days=89)), (outside, NOW - timedelta(days=91))):
        disable(cast, workflow, terminated + timedelta(hours=1))
    leaver(cast, "E-3", NOW + timedelta(days=3), systems=[ehr], now=NOW)  # notice given: the clock has not started

    report = leaver_sla(cast.org, now=NOW)

    assert [w.person.employee_id for w in report.leavers] == ["E-1"]


def test_an_older_leaver_still_enabled_stays_in_the_report(cast: Cast, ehr: System) -> None:
    leaver(cast, "E-2", NOW - timedelta(days=120), systems=[ehr], now=NOW)

    report = leaver_sla(cast.org, now=NOW)

    [row] = report.breaches
    assert row.elapsed_text == "still enabled after 2880 h"


def test_a_cancelled_leaver_workflow_is_left_out(cast: Cast, ehr: System) -> None:
    workflow = leaver(cast, "E-1", NOW - timedelta(hours=30), systems=[ehr], now=NOW)
    Workflow.objects.filter(pk=workflow.pk).update(status=Workflow.Status.CANCELLED)

    assert leaver_sla(cast.org, now=NOW).leavers == []


def test_other_organizations_leavers_are_not_counted(cast: Cast) -> None:
    theirs = factories.system(cast.other_org, "Their EHR")
    leaver(cast, "X-1", NOW - timedelta(hours=30), systems=[theirs], org=cast.other_org, now=NOW)

    assert leaver_sla(cast.org, now=NOW).rows == []


# ---- the summary ----------------------------------------------------------------------------------------------


def test_the_summary_gives_median_worst_breaches_and_the_one_hour_comparison(cast: Cast, ehr: System) -> None:
    delays = {"E-1": timedelta(minutes=40), "E-2": timedelta(hours=5), "E-3": timedelta(hours=30)}
    for number, (employee_id, delay) in enumerate(delays.items()):
        terminated = NOW - timedelta(days=10 + number)
        disable(cast, leaver(cast, employee_id, terminated, systems=[ehr], now=NOW), terminated + delay)
    leaver(cast, "E-4", NOW - timedelta(hours=50), systems=[ehr], now=NOW)  # still enabled

    report = leaver_sla(cast.org, now=NOW)

    assert (len(report.leavers), len(report.rows), len(report.measured)) == (4, 4, 3)
    assert report.median_text == "5 h"
    assert report.worst is not None and report.worst.elapsed_text == "still enabled after 50 h"
    assert sorted(row.person.employee_id for row in report.breaches) == ["E-3", "E-4"]
    assert (report.proposed_rule_met, report.proposed_rule_judged) == (1, 4)


def test_a_leaver_without_accounts_is_listed_apart(cast: Cast) -> None:
    workflow = leaver(cast, "E-1", NOW - timedelta(days=2), now=NOW)

    report = leaver_sla(cast.org, now=NOW)

    assert report.rows == [] and report.leavers_without_accounts == [workflow]


@pytest.mark.parametrize("count", [1, 8])
def test_the_report_takes_three_queries_whatever_its_size(cast: Cast, ehr: System, count: int) -> None:
    billing = factories.system(cast.org, "Billing")
    for number in range(count):
        leaver(cast, f"E-{number}", NOW - timedelta(days=number + 1), systems=[ehr, billing], now=NOW)

    with CaptureQueriesContext(connection) as queries:
        report = leaver_sla(cast.org, now=NOW)
        _ = [row.describe for row in report.rows]

    assert len(report.rows) == 2 * count
    assert len(queries) == 3
