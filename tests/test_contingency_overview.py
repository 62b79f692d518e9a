"""The readiness dashboard and its API: figures per tier computed from the records, the reasons an asset is not
ready, the proposed rule's 72-hour target (and hiding it), access, isolation and a flat query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import BackupPolicy, RestoreOutcome, RestoreTest
from safeguard.contingency.services.settings import contingency_settings
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset
from tests.conftest import Cast, client_for
from tests.contingency_exercise_factories import HOUR, asset, backup, profile, restore_test, vendor
from tests.test_api_support import client_as, user_of

API = "/api/v1/orgs/clinic/contingency/readiness/"
PAGE = "/o/clinic/contingency/"


def ready_asset(org: Organization, user: User, name: str, *, tier: int = 1, rto_minutes: int = 4 * HOUR) -> Asset:
    """In scope, backed up an hour ago, restore-tested ten days ago within its RTO."""
    target = asset(org, name)
    profile(target, tier=tier, rto_minutes=rto_minutes)
    backup(target, finished=timezone.now() - timedelta(hours=1))
    restore_test(target, user, day=timezone.localdate() - timedelta(days=10), minutes=60)
    return target


@pytest.fixture
def story(cast: Cast) -> dict[str, Asset]:
    today = timezone.localdate()
    stale = asset(cast.org, "Lab interface")
    profile(stale, tier=1, rpo_minutes=24 * HOUR)
    backup(stale, finished=timezone.now() - timedelta(hours=30))
    restore_test(stale, cast.owner, day=today - timedelta(days=5), minutes=60)
    missed = asset(cast.org, "Imaging archive")
    profile(missed, tier=2, rto_minutes=4 * HOUR)
    backup(missed, finished=timezone.now() - timedelta(hours=2))
    restore_test(missed, cast.owner, day=today - timedelta(days=40), minutes=60)
    restore_test(missed, cast.owner, day=today - timedelta(days=3), minutes=5 * HOUR, outcome=RestoreOutcome.MISSED)
    vendor_run = ready_asset(cast.org, cast.owner, "Cloud billing", tier=2)
    vendor(vendor_run, rto_minutes=8 * HOUR, rpo_minutes=HOUR, verified_on=today)
    never = asset(cast.org, "Scheduling")
    profile(never, tier=3)
    out_of_scope = asset(cast.org, "Guest Wi-Fi")
    profile(out_of_scope, tier=4, in_scope=False)
    return {
        "ready": ready_asset(cast.org, cast.owner, "EHR", tier=1),
        "stale": stale,
        "missed": missed,
        "vendor": vendor_run,
        "never": never,
    }


def test_summary_counts_each_condition_per_tier(cast: Cast, story: dict[str, Asset]):
    body = client_as(cast, "auditor").get(API).json()
    tiers = {row["tier"]: row for row in body["tiers"]}
    assert {key: tiers[1][key] for key in ("assets", "fresh_backup", "tested", "objectives_met", "ready")} == {
        "assets": 2,
        "fresh_backup": 1,
        "tested": 2,
        "objectives_met": 2,
        "ready": 1,
    }
    assert {key: tiers[2][key] for key in ("assets", "fresh_backup", "tested", "objectives_met", "vendor_gaps")} == {
        "assets": 2,
        "fresh_backup": 2,
        "tested": 2,
        "objectives_met": 1,
        "vendor_gaps": 1,
    }
    assert (tiers[2]["ready"], tiers[3]["assets"], tiers[3]["ready"], tiers[4]["assets"]) == (0, 1, 0, 0)
    assert (body["overall"]["assets"], body["overall"]["ready"]) == (5, 1)


def test_assets_carry_the_reasons_they_are_not_ready(cast: Cast, story: dict[str, Asset]):
    rows = client_as(cast, "owner").get(f"{API}assets/").json()["results"]
    reasons = {row["name"]: row["reasons"] for row in rows}
    assert reasons["EHR"] == []
    assert reasons["Lab interface"] == ["Latest good restore point is 30 h 30 min old; the RPO is 1 d."]
    three_days_ago = timezone.localdate() - timedelta(days=3)
    assert reasons["Imaging archive"] == [f"The last restore test ({three_days_ago:%Y-%m-%d}) missed its RTO."]
    assert reasons["Cloud billing"] == ["Their RTO (8 h) is longer than ours (4 h)."]
    assert reasons["Scheduling"] == ["No active backup policy.", "Never restore-tested."]
    assert [row["name"] for row in rows] == ["EHR", "Lab interface", "Cloud billing", "Imaging archive", "Scheduling"]
    tier_two = client_as(cast, "owner").get(f"{API}assets/?tier=2").json()
    assert [row["name"] for row in tier_two["results"]] == ["Cloud billing", "Imaging archive"]


def test_a_passed_test_older_than_the_cadence_does_not_count(cast: Cast):
    target = asset(cast.org, "EHR")
    profile(target, tier=1)
    backup(target, finished=timezone.now() - timedelta(hours=1))
    restore_test(target, cast.owner, day=timezone.localdate() - timedelta(days=100), minutes=60)
    row = client_as(cast, "owner").get(f"{API}assets/").json()["results"][0]
    assert (row["tested"], row["objectives_met"], row["ready"]) == (False, True, False)


def test_a_fresh_backup_needs_an_active_policy(cast: Cast):
    target = ready_asset(cast.org, cast.owner, "EHR")
    BackupPolicy.objects.filter(asset=target).update(active=False)
    row = client_as(cast, "owner").get(f"{API}assets/").json()["results"][0]
    assert (row["fresh_backup"], row["ready"]) == (False, False)
    assert row["reasons"] == ["No active backup policy."]


def test_an_unverified_restore_does_not_count_and_planned_assets_are_left_out(cast: Cast):
    target = ready_asset(cast.org, cast.owner, "EHR")
    RestoreTest.objects.filter(asset=target).update(integrity_verified=False, outcome=RestoreOutcome.MISSED)
    ready_asset(cast.org, cast.owner, "New PACS")
    Asset.objects.filter(name="New PACS").update(status=Asset.Status.PLANNED)
    rows = client_as(cast, "owner").get(f"{API}assets/").json()["results"]
    assert [row["name"] for row in rows] == ["EHR"]
    assert (rows[0]["tested"], rows[0]["objectives_met"], rows[0]["ready"]) == (False, False, False)


def test_the_72_hour_target_lists_tier_1_2_assets_over_it(cast: Cast):
    ready_asset(cast.org, cast.owner, "Long RTO", tier=1, rto_minutes=80 * HOUR)
    ready_asset(cast.org, cast.owner, "Exactly 72 h", tier=2, rto_minutes=72 * HOUR)
    slow = ready_asset(cast.org, cast.owner, "Slow restore", tier=2, rto_minutes=100 * HOUR)
    restore_test(
        slow, cast.owner, day=timezone.localdate() - timedelta(days=1), minutes=73 * HOUR, rto_minutes=100 * HOUR
    )
    ready_asset(cast.org, cast.owner, "Tier three", tier=3, rto_minutes=100 * HOUR)
    target = client_as(cast, "owner").get(API).json()["target_72_hours"]
    assert target["shown"] is True
    assert {row["name"]: row["over_72_hours"] for row in target["assets"]} == {
        "Long RTO": ["RTO is 3 d 8 h."],
        "Slow restore": ["RTO is 4 d 4 h.", "The last restore test took 3 d 1 h."],
    }
    page = client_for(cast.owner).get(PAGE).content.decode()
    assert "72-hour restoration target (proposed rule, 2025)" in page and "Long RTO (tier 1)" in page


def test_the_72_hour_target_can_be_hidden(cast: Cast):
    ready_asset(cast.org, cast.owner, "Long RTO", tier=1, rto_minutes=80 * HOUR)
    settings = contingency_settings(cast.org)
    settings.show_72_hour_target = False
    settings.save()
    assert client_as(cast, "owner").get(API).json()["target_72_hours"] == {"shown": False, "assets": []}
    assert "72-hour" not in client_for(cast.owner).get(PAGE).content.decode()


def test_page_shows_the_figures_and_links_the_parts(cast: Cast, story: dict[str, Asset]):
    page = client_for(cast.auditor).get(PAGE).content.decode()
    assert "<strong>1 of 5</strong> in-scope assets ready (20%)." in page
    assert '<a href="/o/clinic/contingency/exercises/">Exercises</a>' in page
    assert '<a href="/o/clinic/contingency/vendors/">Business associates</a>' in page
    assert '<a href="/o/clinic/contingency/restore-tests/actions/">Corrective actions</a>' in page
    last_test = RestoreTest.objects.get(asset=story["ready"])
    assert f'href="/o/clinic/contingency/restore-tests/{last_test.public_id}/">Passed in period</a>' in page
    assert "Guest Wi-Fi" not in page
    filtered = client_for(cast.auditor).get(f"{PAGE}?tier=3").content.decode()
    assert "Scheduling" in filtered and "Imaging archive" not in filtered.split('id="readiness"')[1]


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_program_viewers_read_the_dashboard(cast: Cast, who: str, expected: int):
    assert client_as(cast, who).get(API).status_code == expected
    assert client_as(cast, who).get(f"{API}assets/").status_code == expected
    assert client_for(user_of(cast, who)).get(PAGE).status_code == expected


def test_other_organizations_assets_are_not_counted(cast: Cast):
    ready_asset(cast.other_org, cast.outsider, "Their EHR")
    assert client_as(cast, "owner").get(API).json()["overall"]["assets"] == 0
    assert "Their EHR" not in client_for(cast.owner).get(PAGE).content.decode()
    assert client_as(cast, "outsider").get("/api/v1/orgs/other/contingency/readiness/").json()["overall"]["ready"] == 1


def test_query_count_is_the_same_for_5_and_50_assets(cast: Cast, django_assert_max_num_queries):
    for n in range(5):
        ready_asset(cast.org, cast.owner, f"System {n:02d}", tier=n % 4 + 1)
    vendor(Asset.objects.get(name="System 00"), rto_minutes=1, rpo_minutes=1, verified_on=None)
    api, page = client_as(cast, "owner"), client_for(cast.owner)
    with django_assert_max_num_queries(60) as api_few:
        api.get(API)
    with django_assert_max_num_queries(60) as page_few:
        page.get(PAGE)
    for n in range(5, 50):
        ready_asset(cast.org, cast.owner, f"System {n:02d}", tier=n % 4 + 1)
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        assert api.get(API).json()["overall"]["assets"] == 50
    with django_assert_max_num_queries(len(page_few.captured_queries)):
        assert page.get(PAGE).content.decode().count("status-met") == 49
