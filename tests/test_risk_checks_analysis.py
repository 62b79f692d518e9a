"""164.308(a)(1)(ii)(A): the verdict follows the approved analysis's age, scope and what changed since."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.risk.checks_analysis import analysis_current_and_complete
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import Asset, ReanalysisTrigger, RiskAnalysis
from safeguard.tracker.models import Status
from tests.conftest import Cast
from tests.risk_factories import approved_analysis, asset, at

APPROVED = date(2026, 3, 2)


def test_no_analysis_and_empty_inventory_is_not_met(cast: Cast) -> None:
    result = analysis_current_and_complete(cast.org, APPROVED)
    assert result.status == Status.NOT_MET
    assert result.reason == "No risk analysis is on record, and the asset inventory is empty."
    assert "inventory" in result.next_action


def test_an_analysis_still_in_draft_is_not_met_and_named(cast: Cast) -> None:
    RiskAnalysis.objects.create(
        organization=cast.org,
        title="2026 SRA",
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.official,
    )
    result = analysis_current_and_complete(cast.org, APPROVED)
    assert result.status == Status.NOT_MET
    assert "“2026 SRA” is draft" in result.reason
    assert [record.type for record in result.records] == ["risk.riskanalysis"]


def test_approved_analysis_covering_every_asset_is_met_until_twelve_months(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    result = analysis_current_and_complete(cast.org, APPROVED + timedelta(days=30))
    assert result.status == Status.MET
    assert result.lapses_on == date(2027, 3, 2)
    assert "approved on 2026-03-02 covers every asset in service" in result.reason


def test_the_day_before_twelve_months_is_met_and_the_anniversary_is_not(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    assert analysis_current_and_complete(cast.org, date(2027, 3, 1)).status == Status.MET
    lapsed = analysis_current_and_complete(cast.org, date(2027, 3, 2))
    assert lapsed.status == Status.NOT_MET
    assert lapsed.reason == "The risk analysis approved on 2026-03-02 is 12 months old: it lapsed on 2027-03-02."


def test_the_interval_frozen_in_the_analysis_governs_the_lapse(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr], months=6)
    assert analysis_current_and_complete(cast.org, date(2026, 9, 1)).status == Status.MET
    assert analysis_current_and_complete(cast.org, date(2026, 9, 2)).status == Status.NOT_MET


def test_assets_added_since_approval_make_it_partial_and_are_named(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    for name in ("Portal", "Fax server", "Lab VPN"):
        asset(cast.org, name, since=APPROVED + timedelta(days=10))
    result = analysis_current_and_complete(cast.org, APPROVED + timedelta(days=40))
    assert result.status == Status.PARTIALLY_MET
    assert result.reason == "3 assets added since the analysis of 2026-03-02: Fax server, Lab VPN, Portal."
    assert {record.label for record in result.records} >= {"Asset: Portal", "Asset: Fax server", "Asset: Lab VPN"}
    assert result.lapses_on == date(2027, 3, 2)


def test_an_asset_retired_after_approval_does_not_open_a_gap(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    old_pacs = asset(cast.org, "Old PACS", since=date(2024, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr, old_pacs])
    Asset.objects.filter(pk=old_pacs.pk).update(status=Asset.Status.RETIRED, retired_at=at(APPROVED + timedelta(5)))
    assert analysis_current_and_complete(cast.org, APPROVED + timedelta(days=30)).status == Status.MET


def test_planned_assets_are_not_yet_in_scope(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    asset(cast.org, "New portal", since=APPROVED + timedelta(days=3), status=Asset.Status.PLANNED)
    assert analysis_current_and_complete(cast.org, APPROVED + timedelta(days=30)).status == Status.MET


def test_a_material_change_to_a_scoped_asset_is_partial(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    Asset.objects.filter(pk=ehr.pk).update(material_change_at=at(APPROVED + timedelta(days=20)))
    result = analysis_current_and_complete(cast.org, APPROVED + timedelta(days=30))
    assert result.status == Status.PARTIALLY_MET
    assert result.reason == "1 asset changed materially since then: EHR."


def test_a_recorded_significant_change_is_partial_until_a_new_analysis_resolves_it(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2025, 1, 1))
    first = approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    trigger = ReanalysisTrigger.objects.create(
        organization=cast.org,
        kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE,
        reason="Moved to a new building.",
        analysis=first,
    )
    result = analysis_current_and_complete(cast.org, APPROVED + timedelta(days=30))
    assert result.status == Status.PARTIALLY_MET
    assert "1 change recorded since then: Moved to a new building." in result.reason
    second = approved_analysis(cast.org, cast.official, approved_on=APPROVED + timedelta(days=60), scope=[ehr])
    ReanalysisTrigger.objects.filter(pk=trigger.pk).update(resolved_by=second)
    assert analysis_current_and_complete(cast.org, APPROVED + timedelta(days=61)).status == Status.MET


def test_the_latest_approved_analysis_is_judged(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", since=date(2024, 1, 1))
    approved_analysis(cast.org, cast.official, approved_on=date(2024, 6, 1), scope=[ehr])
    approved_analysis(cast.org, cast.official, approved_on=APPROVED, scope=[ehr])
    result = analysis_current_and_complete(cast.org, APPROVED + timedelta(days=1))
    assert result.status == Status.MET
    assert "2026-03-02" in result.reason


def test_another_organizations_analysis_does_not_count(cast: Cast) -> None:
    ehr = asset(cast.other_org, "EHR", since=date(2025, 1, 1))
    approved_analysis(cast.other_org, cast.outsider, approved_on=APPROVED, scope=[ehr])
    assert analysis_current_and_complete(cast.org, APPROVED + timedelta(days=1)).status == Status.NOT_MET
