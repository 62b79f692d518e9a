"""Data-flow services: a flow joins two different assets of the organization, once per kind of ePHI."""

from __future__ import annotations

import pytest

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset, AssetKind, DataFlow, Transport
from safeguard.risk.services.flows import flow_create, flow_delete, flow_errors, flow_keys, flow_update
from tests.conftest import Cast


def asset(cast: Cast, name: str, org: Organization | None = None) -> Asset:
    return Asset.objects.create(organization=org or cast.org, name=name, kind=AssetKind.APPLICATION)


def flow(cast: Cast, source: Asset, destination: Asset, ephi: str = "Lab results", **values: object) -> DataFlow:
    fields: dict[str, object] = {"transport": Transport.HL7, "encrypted_in_transit": True, **values}
    return flow_create(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        source=source,
        destination=destination,
        ephi=ephi,
        **fields,  # type: ignore[arg-type]
    )


def refused(field: str, call: object, *args: object, **kwargs: object) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        call(*args, **kwargs)  # type: ignore[operator]
    assert caught.value.field == field
    return caught.value


@pytest.fixture
def ehr_and_lab(cast: Cast) -> tuple[Asset, Asset]:
    return asset(cast, "EHR"), asset(cast, "Lab")


def test_create_records_the_flow_with_an_audit_event(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_and_lab

    created = flow(cast, ehr, lab, " Lab orders ", encrypted_in_transit=False)

    assert created.ephi == "Lab orders"
    assert created.encrypted_in_transit is False
    event = AuditEvent.objects.get(action="risk.flow.created")
    assert event.changes["ephi"] == [None, "Lab orders"]
    assert event.changes["encrypted_in_transit"] == [None, False]


def test_a_flow_from_an_asset_to_itself_is_refused(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    ehr, _ = ehr_and_lab

    error = refused("destination", flow, cast, ehr, ehr)

    assert "different" in error.message
    assert not DataFlow.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("end", ["source", "destination"])
def test_a_flow_to_or_from_another_organizations_asset_is_refused(cast: Cast, end: str) -> None:
    ours, theirs = asset(cast, "EHR"), asset(cast, "Their EHR", org=cast.other_org)
    ends = {"source": ours, "destination": ours, end: theirs}

    error = refused(end, flow, cast, ends["source"], ends["destination"])

    assert "this organization's inventory" in error.message
    assert not DataFlow.objects.exists()


def test_the_same_ephi_between_the_same_assets_is_refused_whatever_its_case(
    cast: Cast, ehr_and_lab: tuple[Asset, Asset]
) -> None:
    ehr, lab = ehr_and_lab
    flow(cast, ehr, lab, "Lab results")

    error = refused("ephi", flow, cast, ehr, lab, "LAB RESULTS")

    assert "already exists" in error.message
    assert DataFlow.objects.count() == 1


def test_the_same_ephi_the_other_way_or_other_ephi_is_a_different_flow(
    cast: Cast, ehr_and_lab: tuple[Asset, Asset]
) -> None:
    ehr, lab = ehr_and_lab
    flow(cast, ehr, lab, "Lab results")

    flow(cast, lab, ehr, "Lab results")
    flow(cast, ehr, lab, "Lab orders")

    assert DataFlow.objects.count() == 3


def test_a_missing_ephi_unknown_transport_and_unset_encryption_are_each_named(
    cast: Cast, ehr_and_lab: tuple[Asset, Asset]
) -> None:
    ehr, lab = ehr_and_lab

    errors = flow_errors(
        {"source": ehr, "destination": lab, "ephi": " ", "transport": "pigeon", "encrypted_in_transit": None},
        cast.org,
        taken=flow_keys(cast.org),
    )

    assert set(errors) == {"ephi", "transport", "encrypted_in_transit"}


def test_an_import_shares_its_running_set_of_flows(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_and_lab
    taken: set[tuple[int, int, str]] = set()
    flow(cast, ehr, lab, "Claims", taken=taken)

    refused("ephi", flow, cast, ehr, lab, "claims", taken=taken)

    assert (ehr.pk, lab.pk, "claims") in taken


def test_update_changes_the_flow_and_audits_only_what_changed(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_and_lab
    existing = flow(cast, ehr, lab)

    updated = flow_update(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        flow=existing,
        encrypted_in_transit=False,
        ephi="Lab results",
    )

    assert updated.encrypted_in_transit is False
    assert AuditEvent.objects.get(action="risk.flow.updated").changes == {"encrypted_in_transit": [True, False]}


def test_update_may_keep_its_own_key_but_not_take_anothers(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_and_lab
    flow(cast, ehr, lab, "Orders")
    results = flow(cast, ehr, lab, "Results")

    flow_update(organization=cast.org, actor=Actor(user=cast.owner), flow=results, ephi="RESULTS")
    refused("ephi", flow_update, organization=cast.org, actor=Actor(user=cast.owner), flow=results, ephi="orders")

    results.refresh_from_db()
    assert results.ephi == "RESULTS"


def test_update_refuses_turning_a_flow_into_a_loop(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_and_lab
    existing = flow(cast, ehr, lab)
    before = AuditEvent.objects.count()

    refused(
        "destination", flow_update, organization=cast.org, actor=Actor(user=cast.owner), flow=existing, destination=ehr
    )

    existing.refresh_from_db()
    assert existing.destination == lab
    assert AuditEvent.objects.count() == before


def test_update_refuses_unknown_fields(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    existing = flow(cast, *ehr_and_lab)

    with pytest.raises(ServiceError, match="Unknown fields: public_id"):
        flow_update(organization=cast.org, actor=Actor(user=cast.owner), flow=existing, public_id="x")


def test_delete_removes_the_flow_and_the_audit_trail_keeps_what_it_was(
    cast: Cast, ehr_and_lab: tuple[Asset, Asset]
) -> None:
    existing = flow(cast, *ehr_and_lab)

    flow_delete(organization=cast.org, actor=Actor(user=cast.owner), flow=existing)

    assert not DataFlow.objects.exists()
    event = AuditEvent.objects.get(action="risk.flow.deleted")
    assert event.object_id == str(existing.public_id)
    assert event.changes["ephi"] == ["Lab results", None]


def test_deleting_a_flow_twice_is_refused_the_second_time(cast: Cast, ehr_and_lab: tuple[Asset, Asset]) -> None:
    existing = flow(cast, *ehr_and_lab)
    flow_delete(organization=cast.org, actor=Actor(user=cast.owner), flow=existing)

    with pytest.raises(ServiceError, match="no longer exists"):
        flow_delete(organization=cast.org, actor=Actor(user=cast.owner), flow=existing)

    assert AuditEvent.objects.filter(action="risk.flow.deleted").count() == 1
