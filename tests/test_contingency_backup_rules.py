"""Backup rules at their edges: reading a run (times without an offset in the import zone, finish before start,
sizes, status words, the default restore point), the age of the latest good point against the RPO (exactly on it
counts as met), missing and failed runs, and the tracker check's verdicts and lapse date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from safeguard.contingency.checks_backups import backup_plan_check
from safeguard.contingency.models import BackupStatus, ContingencySettings
from safeguard.contingency.queries_backups import backup_status
from safeguard.contingency.services.backup_import_rows import Policies, Run, parse_run
from safeguard.contingency.services.settings import contingency_settings
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from tests.conftest import Cast
from tests.contingency_backup_factories import asset, policy, run, utc

GOOD_ROW = {
    "asset": "EHR",
    "job": "nightly",
    "started": "2026-03-02T01:00:00-05:00",
    "finished": "2026-03-02T01:40:00-05:00",
    "status": "Completed",
    "size": "1024",
}


@pytest.fixture
def policies(cast: Cast) -> Policies:
    policy(asset(cast.org, "EHR"))
    return Policies.load(cast.org)


def parsed(policies: Policies, **changes: Any) -> Run | dict[str, str]:
    return parse_run({k: v for k, v in (GOOD_ROW | changes).items() if v is not None}, policies)


def test_times_with_an_offset_are_stored_in_utc(policies: Policies) -> None:
    result = parsed(policies)
    assert isinstance(result, Run)
    assert result.started_at == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
    assert result.status == BackupStatus.SUCCESS


def in_zone(cast: Cast, name: str) -> Policies:
    ContingencySettings.objects.update_or_create(organization=cast.org, defaults={"import_time_zone": name})
    return Policies.load(cast.org)


def test_time_without_offset_is_read_in_the_organizations_import_zone(cast: Cast, policies: Policies) -> None:
    result = parsed(in_zone(cast, "America/New_York"), started="2026-03-02T01:00:00", finished="2026-03-02T01:40")
    assert isinstance(result, Run)
    assert (result.started_at, result.finished_at) == (utc("2026-03-02 06:00"), utc("2026-03-02 06:40"))
    assert result.restore_point_at == result.started_at


def test_an_explicit_offset_wins_over_the_import_zone(cast: Cast, policies: Policies) -> None:
    result = parsed(in_zone(cast, "Asia/Tokyo"), finished="2026-03-02T06:40:00Z")
    assert isinstance(result, Run)
    assert (result.started_at, result.finished_at) == (utc("2026-03-02 06:00"), utc("2026-03-02 06:40"))


def test_a_wall_clock_time_the_zone_skips_or_repeats_is_refused(cast: Cast, policies: Policies) -> None:
    new_york = in_zone(cast, "America/New_York")
    skipped = parsed(new_york, started="2026-03-08T02:30:00", finished="2026-03-08T04:00:00-04:00")
    repeated = parsed(new_york, started="2026-11-01T01:30:00", finished="2026-11-01T03:00:00-05:00")
    assert isinstance(skipped, dict) and isinstance(repeated, dict)
    assert skipped == {
        "started": "2026-03-08 02:30 does not exist in America/New_York (clocks go forward): check the time."
    }
    assert repeated == {
        "started": "2026-11-01 01:30 happens twice in America/New_York (clocks go back): give the time with its UTC "
        "offset, e.g. -05:00."
    }
    with_offset = parsed(new_york, started="2026-11-01T01:30:00-04:00", finished="2026-11-01T03:00:00-05:00")
    assert isinstance(with_offset, Run) and with_offset.started_at == utc("2026-11-01 05:30")


def test_a_date_without_a_time_is_refused(policies: Policies) -> None:
    result = parsed(policies, started="2026-03-02")
    assert isinstance(result, dict) and "is a date without a time of day" in result["started"]


def test_unreadable_time_is_refused(policies: Policies) -> None:
    result = parsed(policies, finished="yesterday")
    assert isinstance(result, dict) and "not a date and time" in result["finished"]


def test_finish_before_start_is_refused(policies: Policies) -> None:
    result = parsed(policies, finished="2026-03-02T00:59:59-05:00")
    assert isinstance(result, dict) and "before it started" in result["finished"]


def test_negative_size_is_refused(policies: Policies) -> None:
    result = parsed(policies, size="-1")
    assert isinstance(result, dict) and "negative" in result["size"]


def test_unknown_asset_and_unknown_job_are_told_apart(policies: Policies) -> None:
    unknown_asset = parsed(policies, asset="Billing")
    unknown_job = parsed(policies, job="hourly")
    assert isinstance(unknown_asset, dict) and "No asset named 'Billing'" in unknown_asset["asset"]
    assert isinstance(unknown_job, dict) and "no backup policy with the job name 'hourly'" in unknown_job["job"]


def test_asset_and_job_match_whatever_their_case(policies: Policies) -> None:
    assert isinstance(parsed(policies, asset="ehr", job="NIGHTLY"), Run)


@pytest.mark.parametrize(
    ("word", "status"),
    [("OK", "success"), ("Succeeded", "success"), ("Completed with warnings", "warning"), ("partial", "warning")]
    + [("Error", "failed"), ("aborted", "failed"), ("CANCELLED", "failed")],
)
def test_tool_status_words_are_read(policies: Policies, word: str, status: str) -> None:
    result = parsed(policies, status=word)
    assert isinstance(result, Run) and result.status == status


def test_unknown_status_is_refused(policies: Policies) -> None:
    result = parsed(policies, status="running")
    assert isinstance(result, dict) and "'running' is not a result" in result["status"]


def test_good_run_without_restore_point_holds_data_as_of_its_start(policies: Policies) -> None:
    result = parsed(policies)
    assert isinstance(result, Run) and result.restore_point_at == result.started_at


def test_failed_run_keeps_no_restore_point(policies: Policies) -> None:
    result = parsed(policies, status="failed", restore_point="2026-03-02T01:00:00Z")
    assert isinstance(result, Run) and result.restore_point_at is None


def test_restore_point_after_finish_is_refused(policies: Policies) -> None:
    result = parsed(policies, restore_point="2026-03-02T07:00:00Z")
    assert isinstance(result, dict) and "after the run finished" in result["restore_point"]


# ---- status against the RPO --------------------------------------------------------------------------------------


def status_of(cast: Cast, target: Asset, now: datetime) -> Any:
    return backup_status(cast.org, now=now, assets=[target])[target.pk]


def test_point_exactly_as_old_as_the_rpo_is_within(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=60)
    run(policy(ehr), utc("2026-03-02 01:00"))
    on_the_objective = status_of(cast, ehr, utc("2026-03-02 02:00"))
    assert on_the_objective.age == timedelta(hours=1)
    assert on_the_objective.within_rpo is True
    assert status_of(cast, ehr, utc("2026-03-02 02:00") + timedelta(microseconds=1)).within_rpo is False


def test_point_read_without_offset_exactly_as_old_as_the_rpo_is_within(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=60)
    nightly = policy(ehr)
    read = parsed(in_zone(cast, "America/Chicago"), started="2026-03-02T01:00:00", finished="2026-03-02T01:30")
    assert isinstance(read, Run) and read.started_at == utc("2026-03-02 07:00")  # CST is UTC-6
    run(nightly, read.started_at)
    assert status_of(cast, ehr, utc("2026-03-02 08:00")).within_rpo is True
    assert status_of(cast, ehr, utc("2026-03-02 08:00") + timedelta(microseconds=1)).within_rpo is False


def test_age_is_measured_in_utc_whatever_the_offset_given(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=60)
    started = datetime.fromisoformat("2026-03-08T01:30:00-05:00")  # the US spring-forward night
    run(policy(ehr), started)
    found = status_of(cast, ehr, datetime.fromisoformat("2026-03-08T03:30:00-04:00"))
    assert found.age == timedelta(hours=1)  # wall clocks say two hours
    assert found.within_rpo is True


def test_latest_good_point_ignores_failed_runs_and_counts_them(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=1440)
    nightly = policy(ehr)
    run(nightly, utc("2026-03-01 01:00"))
    run(nightly, utc("2026-03-02 01:00"), status=BackupStatus.FAILED)
    found = status_of(cast, ehr, utc("2026-03-02 12:00"))
    assert found.latest_good_at == utc("2026-03-01 01:00")
    assert found.failed_30d == 1
    assert found.within_rpo is False


def test_without_any_good_point_the_asset_is_not_within(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR")
    policy(ehr)
    found = status_of(cast, ehr, utc("2026-03-02 12:00"))
    assert (found.latest_good_at, found.within_rpo, found.has_policy) == (None, False, True)


def test_without_a_recovery_profile_there_is_nothing_to_compare(cast: Cast) -> None:
    files = asset(cast.org, "File share", tier=None)
    run(policy(files), utc("2026-03-01 01:00"))
    assert status_of(cast, files, utc("2026-03-02 12:00")).within_rpo is None


def test_missing_runs_count_gaps_past_interval_and_grace(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR")
    nightly = policy(ehr, interval_hours=24)
    nightly.created_at = utc("2026-01-01 00:00")
    nightly.save()
    now = utc("2026-03-31 00:00")
    # Nightly runs for 30 days, except that 5 nights are skipped in a row (5 missing) and one runs 5 hours late
    # (within the 6 hours' grace: not missing).
    starts = [now - timedelta(days=30) + timedelta(days=day, hours=1) for day in range(30) if not 10 <= day < 15]
    starts[3] += timedelta(hours=5)
    for started in starts:
        run(nightly, started)
    assert contingency_settings(cast.org).backup_grace_hours == 6
    assert status_of(cast, ehr, now).missing_30d == 5


def test_status_takes_a_constant_number_of_queries(cast: Cast, django_assert_max_num_queries: Any) -> None:
    assets = [asset(cast.org, f"Asset {n}") for n in range(12)]
    for target in assets:
        run(policy(target), utc("2026-03-01 01:00"))
    contingency_settings(cast.org)
    with django_assert_max_num_queries(4):
        found = backup_status(cast.org, now=utc("2026-03-02 00:00"))
    assert len(found) == 12


# ---- the tracker check --------------------------------------------------------------------------------------------

TODAY = date(2026, 3, 2)


def check(cast: Cast, monkeypatch: pytest.MonkeyPatch, now: datetime) -> Any:
    monkeypatch.setattr("safeguard.contingency.checks_backups.as_of", lambda today: now)
    return backup_plan_check(cast.org, TODAY)


def test_check_without_tier_1_2_assets_asks_for_the_criticality_analysis(cast: Cast, monkeypatch) -> None:
    asset(cast.org, "Intranet", tier=3)
    result = check(cast, monkeypatch, utc("2026-03-02 12:00"))
    assert result.status == Status.NOT_MET
    assert "criticality analysis" in result.next_action


def test_check_met_when_every_critical_asset_is_fresh(cast: Cast, monkeypatch) -> None:
    for name in ("EHR", "PACS"):
        run(policy(asset(cast.org, name, rpo=1440)), utc("2026-03-02 01:00"))
    result = check(cast, monkeypatch, utc("2026-03-02 12:00"))
    assert result.status == Status.MET
    assert result.lapses_on == date(2026, 3, 3)


def test_check_partially_met_lists_stale_and_unplanned(cast: Cast, monkeypatch) -> None:
    run(policy(asset(cast.org, "EHR", rpo=1440)), utc("2026-03-02 01:00"))
    run(policy(asset(cast.org, "PACS", rpo=60)), utc("2026-03-02 01:00"))
    asset(cast.org, "Lab", tier=2)
    asset(cast.org, "Retired lab", tier=1).__class__.objects.filter(name="Retired lab").update(status="retired")
    asset(cast.org, "New lab", tier=1).__class__.objects.filter(name="New lab").update(status="planned")
    result = check(cast, monkeypatch, utc("2026-03-02 12:00"))
    assert result.status == Status.PARTIALLY_MET
    assert "PACS" in result.reason and "no active backup policy for Lab" in result.reason
    assert "Retired lab" not in result.reason
    assert "New lab" not in result.reason  # planned: not judged until it goes live
    assert "1 of 3 tier 1–2 assets" in result.reason
    assert result.lapses_on == date(2026, 3, 3)


def test_check_not_met_when_none_qualifies(cast: Cast, monkeypatch) -> None:
    run(policy(asset(cast.org, "EHR", rpo=60)), utc("2026-03-01 01:00"))
    result = check(cast, monkeypatch, utc("2026-03-02 12:00"))
    assert result.status == Status.NOT_MET
    assert "EHR" in result.reason


def test_check_ignores_deactivated_policies(cast: Cast, monkeypatch) -> None:
    run(policy(asset(cast.org, "EHR"), active=False), utc("2026-03-02 01:00"))
    result = check(cast, monkeypatch, utc("2026-03-02 12:00"))
    assert result.status == Status.NOT_MET
    assert "no active backup policy for EHR" in result.reason
