"""164.308(a)(7)(ii)(B) and (C): met with an approved, current plan of the kind covering every in-scope tier 1–2
asset; partially met naming uncovered assets or an overdue review; not met without an approved plan. The day of
the next review is still current; the day after is not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.checks_plans import disaster_recovery_plan, emergency_mode_plan
from safeguard.contingency.models import PlanKind, PlanPrint, RecoveryProfile
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from tests.conftest import Cast
from tests.contingency_plan_factories import a_print, approved, complete_draft, critical_asset, plan


def test_both_checks_are_registered_for_their_citations():
    assert [c.name for c in checks_for("164.308(a)(7)(ii)(B)")] == ["contingency.disaster_recovery_plan"]
    assert [c.name for c in checks_for("164.308(a)(7)(ii)(C)")] == ["contingency.emergency_mode_plan"]


def test_not_met_without_any_plan(cast: Cast):
    result = disaster_recovery_plan(cast.org, timezone.localdate())
    assert result.status == Status.NOT_MET
    assert result.reason == "No disaster recovery plan is approved or on record."


def test_not_met_with_only_a_draft(cast: Cast):
    draft = complete_draft(plan(cast.org, cast.owner), cast.owner, [])
    result = disaster_recovery_plan(cast.org, timezone.localdate())
    assert result.status == Status.NOT_MET
    assert result.reason == "No disaster recovery plan is approved; Disaster recovery plan v1 is a draft."
    assert [ref.id for ref in result.records] == [str(draft.public_id)]


def test_met_when_current_and_covering_every_tier_1_and_2_asset(cast: Cast):
    ehr, lab = critical_asset(cast.org, "EHR", tier=1), critical_asset(cast.org, "Lab", tier=2)
    critical_asset(cast.org, "Intranet", tier=3)  # tier 3 need not be covered
    critical_asset(cast.org, "Old PACS", tier=1, in_scope=False)  # nor out-of-scope assets
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr, lab])
    a_print(version, cast.owner)
    result = disaster_recovery_plan(cast.org, timezone.localdate())
    assert result.status == Status.MET
    assert result.reason == (
        "The approved disaster recovery plan (Disaster recovery plan v1) is current and covers every tier 1–2 asset."
    )
    assert version.next_review_on is not None
    assert result.lapses_on == version.next_review_on + timedelta(days=1)
    assert result.next_action == f"Review the plan before {version.next_review_on}."


def test_the_kinds_are_judged_separately(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr])
    assert disaster_recovery_plan(cast.org, timezone.localdate()).status == Status.MET
    assert emergency_mode_plan(cast.org, timezone.localdate()).status == Status.NOT_MET
    approved(plan(cast.org, cast.owner, "EMO plan", PlanKind.EMERGENCY_MODE), cast.owner, cast.official, [ehr])
    assert emergency_mode_plan(cast.org, timezone.localdate()).status == Status.MET


def test_partially_met_names_the_uncovered_assets(cast: Cast):
    ehr, lab = critical_asset(cast.org, "EHR"), critical_asset(cast.org, "Lab", tier=2)
    approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr])
    result = disaster_recovery_plan(cast.org, timezone.localdate())
    assert result.status == Status.PARTIALLY_MET
    assert "1 tier 1–2 asset is not covered: Lab." in result.reason
    assert str(lab.public_id) in [ref.id for ref in result.records]


def test_coverage_is_the_union_of_the_approved_plans_of_the_kind(cast: Cast):
    ehr, lab = critical_asset(cast.org, "EHR"), critical_asset(cast.org, "Lab", tier=2)
    approved(plan(cast.org, cast.owner, "DR: clinical"), cast.owner, cast.official, [ehr])
    approved(plan(cast.org, cast.owner, "DR: lab"), cast.owner, cast.official, [lab])
    assert disaster_recovery_plan(cast.org, timezone.localdate()).status == Status.MET


def test_retired_assets_and_new_critical_ones(cast: Cast):
    ehr = critical_asset(cast.org, "EHR")
    approved(plan(cast.org, cast.owner), cast.owner, cast.official, [ehr])
    pacs = critical_asset(cast.org, "PACS")
    assert "not covered: PACS" in disaster_recovery_plan(cast.org, timezone.localdate()).reason
    Asset.objects.filter(pk=pacs.pk).update(status=Asset.Status.RETIRED)
    assert disaster_recovery_plan(cast.org, timezone.localdate()).status == Status.MET
    Asset.objects.filter(pk=pacs.pk).update(status=Asset.Status.PLANNED)  # not judged until it goes live
    assert disaster_recovery_plan(cast.org, timezone.localdate()).status == Status.MET
    RecoveryProfile.objects.filter(asset=ehr).update(tier=3)  # no longer critical: nothing left to cover
    assert disaster_recovery_plan(cast.org, timezone.localdate()).status == Status.NOT_MET


def test_an_approved_plan_without_any_tier_1_or_2_asset_is_not_met(cast: Cast):
    intranet = critical_asset(cast.org, "Intranet", tier=3)
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [intranet])
    result = disaster_recovery_plan(cast.org, timezone.localdate())
    assert result.status == Status.NOT_MET
    assert result.reason == (
        "An approved disaster recovery plan exists, but there is no tier 1–2 asset in the criticality analysis: "
        "record the criticality analysis first."
    )
    assert [ref.id for ref in result.records] == [str(version.public_id)]


def test_the_review_day_is_current_and_the_day_after_is_overdue(cast: Cast):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    due = version.next_review_on
    assert due is not None
    assert disaster_recovery_plan(cast.org, due).status == Status.MET
    late = disaster_recovery_plan(cast.org, due + timedelta(days=1))
    assert late.status == Status.PARTIALLY_MET
    assert f"the review is overdue for Disaster recovery plan v1 (review due {due})" in late.reason
    assert late.next_action == "Review the approved version and sign the review, or approve a revised version."


def test_a_plan_never_printed_is_mentioned_but_does_not_fail(cast: Cast):
    approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    result = disaster_recovery_plan(cast.org, timezone.localdate())
    assert result.status == Status.MET
    assert result.reason.endswith("Disaster recovery plan v1 has never been printed.")
    assert "print the approved version" in result.next_action


@pytest.mark.parametrize("state", [PlanPrint.State.QUEUED, PlanPrint.State.RUNNING, PlanPrint.State.FAILED])
def test_a_print_not_done_is_no_printed_copy(cast: Cast, state: str):
    version = approved(plan(cast.org, cast.owner), cast.owner, cast.official, [critical_asset(cast.org, "EHR")])
    a_print(version, cast.owner, state)
    result = disaster_recovery_plan(cast.org, timezone.localdate())
    assert result.reason.endswith("Disaster recovery plan v1 has never been printed.")
    a_print(version, cast.owner)
    assert "never been printed" not in disaster_recovery_plan(cast.org, timezone.localdate()).reason


def test_the_check_reads_a_flat_number_of_queries(cast: Cast, django_assert_max_num_queries):
    assets = [critical_asset(cast.org, f"Asset {n}") for n in range(12)]
    for n in range(4):
        approved(plan(cast.org, cast.owner, f"DR {n}"), cast.owner, cast.official, assets[n * 3 : n * 3 + 3])
    with django_assert_max_num_queries(6):
        assert disaster_recovery_plan(cast.org, timezone.localdate()).status == Status.MET
