"""Asset services: the inventory's rules, and the re-analysis triggers an asset raises after an approved analysis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Obligation
from safeguard.core.services.errors import ServiceError
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import AnalysisScopeItem, Asset, AssetKind, ReanalysisTrigger, RiskAnalysis, VolumeBand
from safeguard.risk.services.assets import AssetContext, asset_create, asset_errors, asset_update
from tests.conftest import Cast, make_member

Kind = ReanalysisTrigger.Kind


def add(cast: Cast, name: str = "EHR", **values: object) -> Asset:
    fields: dict[str, object] = {"kind": AssetKind.APPLICATION, **values}
    return asset_create(organization=cast.org, actor=Actor(user=cast.owner), name=name, **fields)  # type: ignore[arg-type]


def change(cast: Cast, asset: Asset, **values: Any) -> Asset:
    """As the pages and the API call it: the asset's name always goes along, changed or not."""
    values.setdefault("name", asset.name)
    return asset_update(organization=cast.org, actor=Actor(user=cast.owner), asset=asset, **values)


def approved_analysis(cast: Cast, *scope: Asset) -> RiskAnalysis:
    analysis = RiskAnalysis.objects.create(
        organization=cast.org,
        title="2026 analysis",
        status=RiskAnalysis.Status.APPROVED,
        approved_at=timezone.now() - timedelta(days=1),
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.official,
    )
    for asset in scope:
        AnalysisScopeItem.objects.create(
            analysis=analysis, asset=asset, name=asset.name, kind=asset.kind, status=asset.status
        )
    return analysis


def refused(field: str, call: object, *args: object, **kwargs: object) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.field == field
    return caught.value


# --- creating and changing ----------------------------------------------------------------------------------------


def test_create_records_the_asset_in_service_with_an_audit_event(cast: Cast) -> None:
    asset = add(cast, " EHR ", owner=cast.official, hosting=" Vendor cloud ", volume_band=VolumeBand.UNDER_10K)

    assert asset.name == "EHR"
    assert asset.hosting == "Vendor cloud"
    assert asset.status == Asset.Status.IN_SERVICE
    assert asset.in_service_since is not None
    event = AuditEvent.objects.get(action="risk.asset.created")
    assert event.changes["name"] == [None, "EHR"]
    assert event.changes["owner"][1] is not None


def test_a_planned_asset_has_no_in_service_date(cast: Cast) -> None:
    asset = add(cast, status=Asset.Status.PLANNED)

    assert asset.in_service_since is None


def test_a_duplicate_name_is_refused_whatever_its_case(cast: Cast) -> None:
    add(cast, "EHR")

    error = refused("name", add, cast, "ehr")

    assert "already exists" in error.message
    assert Asset.objects.count() == 1
    assert AuditEvent.objects.filter(action="risk.asset.created").count() == 1


def test_the_same_name_is_free_in_another_organization(cast: Cast) -> None:
    add(cast, "EHR")

    asset_create(organization=cast.other_org, actor=Actor(user=cast.outsider), name="EHR", kind=AssetKind.SERVER)

    assert Asset.objects.filter(name="EHR").count() == 2


def test_renaming_onto_another_assets_name_is_refused_but_keeping_ones_own_is_not(cast: Cast) -> None:
    add(cast, "EHR")
    billing = add(cast, "Billing")

    refused("name", change, cast, billing, name="EHR")
    change(cast, billing, name="BILLING")

    billing.refresh_from_db()
    assert billing.name == "BILLING"


def test_an_unknown_kind_is_refused(cast: Cast) -> None:
    error = refused("kind", add, cast, kind="spaceship")

    assert "'spaceship' is not one of" in error.message
    assert not Asset.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_unknown_volume_band_or_status_is_refused(cast: Cast) -> None:
    refused("volume_band", add, cast, volume_band="lots")
    refused("status", add, cast, status="broken")

    assert not Asset.objects.exists()


def test_a_missing_name_is_refused(cast: Cast) -> None:
    refused("name", add, cast, "   ")


@pytest.mark.parametrize("who", ["auditor", "outsider"])
def test_the_owner_must_be_a_current_member_other_than_an_auditor(cast: Cast, who: str) -> None:
    error = refused("owner", add, cast, owner=getattr(cast, who))

    assert "current member" in error.message
    assert not Asset.objects.exists()


def test_a_former_member_cannot_become_an_owner(cast: Cast) -> None:
    leaver = make_member(cast.org, "leaver@clinic.test", "workforce", is_active=False)

    refused("owner", add, cast, owner=leaver.user)


def test_errors_report_every_problem_by_field(cast: Cast) -> None:
    errors = asset_errors(
        {"name": "", "kind": "x", "hosting": "h" * 201, "owner": cast.auditor}, AssetContext.load(cast.org)
    )

    assert set(errors) == {"name", "kind", "hosting", "owner"}


def test_update_refuses_fields_that_are_not_editable(cast: Cast) -> None:
    asset = add(cast)

    with pytest.raises(ServiceError, match="Unknown fields: created_at, public_id"):
        change(cast, asset, public_id="x", created_at=None)


def test_a_partial_update_needs_only_the_fields_it_changes(cast: Cast) -> None:
    asset = add(cast, hosting="Room 1")

    asset_update(organization=cast.org, actor=Actor(user=cast.owner), asset=asset, hosting="Room 2")

    asset.refresh_from_db()
    assert asset.hosting == "Room 2"


def test_update_writes_only_the_changed_fields_to_the_audit_trail(cast: Cast) -> None:
    asset = add(cast, hosting="Room 1")

    change(cast, asset, hosting="Room 2", name="EHR")

    event = AuditEvent.objects.get(action="risk.asset.updated")
    assert event.changes == {"hosting": ["Room 1", "Room 2"]}


def test_an_update_that_changes_nothing_writes_nothing(cast: Cast) -> None:
    asset = add(cast, hosting="Room 1")

    change(cast, asset, hosting="Room 1")

    assert not AuditEvent.objects.filter(action="risk.asset.updated").exists()


def test_retiring_records_the_date_and_returning_to_service_clears_it(cast: Cast) -> None:
    asset = add(cast)

    retired = change(cast, asset, status=Asset.Status.RETIRED)
    assert retired.retired_at is not None
    back = change(cast, retired, status=Asset.Status.IN_SERVICE)

    assert back.retired_at is None
    assert back.in_service_since is not None


# --- re-analysis triggers ----------------------------------------------------------------------------------------


def test_no_trigger_before_any_analysis_is_approved(cast: Cast) -> None:
    RiskAnalysis.objects.create(
        organization=cast.org,
        title="Draft",
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.official,
    )

    asset = add(cast)
    change(cast, asset, hosting="New data centre")

    assert not ReanalysisTrigger.objects.exists()
    assert not Obligation.objects.exists()


def test_an_asset_entering_service_after_approval_raises_a_trigger_with_an_obligation(cast: Cast) -> None:
    analysis = approved_analysis(cast)

    asset = add(cast, "Patient portal")

    trigger = ReanalysisTrigger.objects.get()
    assert trigger.kind == Kind.ASSET_ADDED
    assert trigger.asset == asset
    assert trigger.analysis == analysis
    assert "Patient portal" in trigger.reason
    assert trigger.obligation is not None
    assert trigger.obligation.owner == cast.official
    assert trigger.obligation.citation == "164.308(a)(1)(ii)(A)"
    assert AuditEvent.objects.filter(action="risk.reanalysis.flagged").count() == 1


def test_a_planned_asset_raises_nothing_until_it_enters_service(cast: Cast) -> None:
    approved_analysis(cast)
    asset = add(cast, status=Asset.Status.PLANNED)
    assert not ReanalysisTrigger.objects.exists()

    change(cast, asset, status=Asset.Status.IN_SERVICE)

    assert ReanalysisTrigger.objects.get().kind == Kind.ASSET_ADDED


def test_an_import_can_hold_back_the_per_asset_trigger(cast: Cast) -> None:
    approved_analysis(cast)

    asset_create(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        name="EHR",
        kind=AssetKind.APPLICATION,
        flag_reanalysis=False,
    )

    assert not ReanalysisTrigger.objects.exists()


def test_a_material_change_of_an_asset_in_scope_raises_asset_changed(cast: Cast) -> None:
    asset = add(cast, hosting="Server room")
    approved_analysis(cast, asset)

    updated = change(cast, asset, hosting="Vendor cloud", volume_band=VolumeBand.OVER_100K)

    trigger = ReanalysisTrigger.objects.get()
    assert trigger.kind == Kind.ASSET_CHANGED
    assert "hosting" in trigger.reason and "volume band" in trigger.reason
    assert trigger.obligation is not None
    assert trigger.obligation.status == Obligation.Status.OPEN
    assert updated.material_change_at is not None


def test_a_material_change_of_an_asset_outside_the_scope_counts_as_an_addition(cast: Cast) -> None:
    asset = add(cast)
    approved_analysis(cast)  # approved without this asset in its scope

    change(cast, asset, kind=AssetKind.CLOUD_SERVICE)

    assert ReanalysisTrigger.objects.get().kind == Kind.ASSET_ADDED


def test_a_change_that_is_not_material_raises_nothing(cast: Cast) -> None:
    asset = add(cast)
    approved_analysis(cast, asset)

    change(cast, asset, name="EHR (Epic)", description="The clinical record", owner=cast.workforce)

    assert not ReanalysisTrigger.objects.exists()


def test_retiring_an_asset_raises_nothing(cast: Cast) -> None:
    asset = add(cast)
    approved_analysis(cast, asset)

    change(cast, asset, status=Asset.Status.RETIRED)

    assert not ReanalysisTrigger.objects.exists()
    assert not Obligation.objects.exists()


def test_a_second_material_change_does_not_raise_a_second_obligation(cast: Cast) -> None:
    asset = add(cast, hosting="A")
    approved_analysis(cast, asset)

    change(cast, asset, hosting="B")
    change(cast, asset, hosting="C")

    assert ReanalysisTrigger.objects.count() == 1
    assert Obligation.objects.count() == 1


def test_a_refused_change_raises_no_trigger_and_writes_nothing(cast: Cast) -> None:
    add(cast, "Billing")
    asset = add(cast, hosting="A")
    approved_analysis(cast, asset)
    before = AuditEvent.objects.count()

    refused("name", change, cast, asset, name="billing", hosting="B")

    asset.refresh_from_db()
    assert asset.hosting == "A"
    assert not ReanalysisTrigger.objects.exists()
    assert AuditEvent.objects.count() == before
