"""Data flows over the API: list with filters, create (assets by public id), read, change, delete; the diagram."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import AuditEvent, Organization
from safeguard.risk.models import Asset, AssetKind, DataFlow, Transport
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of

BASE = "/api/v1/orgs/clinic/data-flows/"
DIAGRAM = f"{BASE}diagram.svg"
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def asset(cast: Cast, name: str, org: Organization | None = None) -> Asset:
    return Asset.objects.create(organization=org or cast.org, name=name, kind=AssetKind.APPLICATION)


def flow(
    source: Asset, destination: Asset, ephi: str = "Lab results", encrypted: bool = True, **values: object
) -> DataFlow:
    fields: dict[str, object] = {"transport": Transport.HL7, **values}
    return DataFlow.objects.create(
        organization=source.organization,
        source=source,
        destination=destination,
        ephi=ephi,
        encrypted_in_transit=encrypted,
        **fields,
    )


def body(source: Asset, destination: Asset, **values: object) -> dict[str, object]:
    return {
        "source": str(source.public_id),
        "destination": str(destination.public_id),
        "ephi": "Claims (837)",
        "transport": "sftp",
        "encrypted_in_transit": True,
        **values,
    }


@pytest.fixture
def ehr_lab(cast: Cast) -> tuple[Asset, Asset]:
    return asset(cast, "EHR"), asset(cast, "Lab")


def ephis(response: object) -> list[str]:
    return [row["ephi"] for row in response.json()["results"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_list_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    flow(*ehr_lab)
    flow(asset(cast, "A", org=cast.other_org), asset(cast, "B", org=cast.other_org), "Theirs")

    response = client_as(cast, who).get(BASE)

    assert response.status_code == expected
    if expected == 200:
        row = response.json()["results"][0]
        assert ephis(response) == ["Lab results"]
        assert (row["source"]["name"], row["destination"]["name"], row["transport"]) == ("EHR", "Lab", "hl7")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"encrypted": "false"}, ["Claims"]),
        ({"encrypted": "true"}, ["Orders", "Results"]),
        ({"transport": "sftp"}, ["Claims"]),
        ({}, ["Claims", "Orders", "Results"]),
    ],
)
def test_list_filters(cast: Cast, ehr_lab: tuple[Asset, Asset], query: dict[str, str], expected: list[str]) -> None:
    ehr, lab = ehr_lab
    flow(ehr, lab, "Orders")
    flow(lab, ehr, "Results")
    flow(asset(cast, "Billing"), asset(cast, "Clearinghouse"), "Claims", encrypted=False, transport="sftp")

    assert sorted(ephis(api_client(cast.owner).get(BASE, query))) == expected


def test_list_filters_by_asset_in_either_direction(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_lab
    flow(ehr, lab, "Orders")
    flow(lab, ehr, "Results")
    flow(asset(cast, "Billing"), asset(cast, "Clearinghouse"), "Claims")

    response = api_client(cast.owner).get(BASE, {"asset": str(lab.public_id)})

    assert ephis(response) == ["Orders", "Results"]


def test_filtering_by_another_organizations_asset_is_refused(cast: Cast) -> None:
    theirs = asset(cast, "Theirs", org=cast.other_org)

    response = api_client(cast.owner).get(BASE, {"asset": str(theirs.public_id)})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["asset"]


def test_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    hub = asset(cast, "Hub")
    client = api_client(cast.owner)
    for n in range(3):
        flow(asset(cast, f"Peer {n:02}"), hub, f"Data {n}")
    with CaptureQueriesContext(connection) as few:
        assert client.get(BASE).status_code == 200
    for n in range(3, 30):
        flow(asset(cast, f"Peer {n:02}"), hub, f"Data {n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(BASE).status_code == 200

    assert len(many) == len(few)


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_create_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    before = audit_count()

    response = client_as(cast, who).post(BASE, body(*ehr_lab), format="json")

    assert response.status_code == expected
    if expected == 201:
        made = DataFlow.objects.get()
        assert response.json()["public_id"] == str(made.public_id)
        assert (made.source.name, made.destination.name, made.ephi) == ("EHR", "Lab", "Claims (837)")
        assert AuditEvent.objects.filter(action="risk.flow.created").count() == 1
    else:
        assert not DataFlow.objects.exists()
        assert audit_count() == before


@pytest.mark.parametrize("end", ["source", "destination"])
def test_an_asset_of_another_organization_is_refused_on_its_field(cast: Cast, end: str) -> None:
    ours, theirs = asset(cast, "EHR"), asset(cast, "Theirs", org=cast.other_org)
    ends = {"source": ours, "destination": ours, end: theirs}

    response = api_client(cast.owner).post(BASE, body(ends["source"], ends["destination"]), format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [end]
    assert not DataFlow.objects.exists()


def test_an_unknown_asset_is_refused_on_its_field(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    payload = {**body(*ehr_lab), "destination": str(uuid.uuid4())}

    response = api_client(cast.owner).post(BASE, payload, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["destination"]


def test_a_loop_and_a_duplicate_are_refused_on_their_fields(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_lab
    flow(ehr, lab, "Claims (837)")
    client = api_client(cast.owner)

    loop = client.post(BASE, body(ehr, ehr), format="json")
    duplicate = client.post(BASE, body(ehr, lab, ephi="CLAIMS (837)"), format="json")

    assert list(error_of(loop)["fields"]) == ["destination"]
    assert list(error_of(duplicate)["fields"]) == ["ephi"]
    assert DataFlow.objects.count() == 1


def test_a_malformed_body_names_every_field(cast: Cast) -> None:
    response = api_client(cast.owner).post(BASE, {"source": "x", "transport": "pigeon"}, format="json")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"source", "destination", "ephi", "transport", "encrypted_in_transit"}


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_detail_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    existing = flow(*ehr_lab)

    response = client_as(cast, who).get(f"{BASE}{existing.public_id}/")

    assert response.status_code == expected


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED_WRITE])
def test_change_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    existing = flow(*ehr_lab)
    before = audit_count()

    response = client_as(cast, who).patch(
        f"{BASE}{existing.public_id}/", {"encrypted_in_transit": False}, format="json"
    )

    assert response.status_code == expected
    existing.refresh_from_db()
    if expected == 200:
        assert existing.encrypted_in_transit is False
        assert response.json()["encrypted_in_transit"] is False
    else:
        assert existing.encrypted_in_transit is True
        assert audit_count() == before


def test_patch_can_move_a_flow_to_another_asset(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    existing = flow(*ehr_lab)
    billing = asset(cast, "Billing")

    response = api_client(cast.owner).patch(
        f"{BASE}{existing.public_id}/", {"destination": str(billing.public_id)}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["destination"]["name"] == "Billing"


@pytest.mark.parametrize(("who", "expected"), [("owner", 204), *DENIED_WRITE])
def test_delete_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    existing = flow(*ehr_lab)
    before = audit_count()

    response = client_as(cast, who).delete(f"{BASE}{existing.public_id}/")

    assert response.status_code == expected
    if expected == 204:
        assert not DataFlow.objects.exists()
        assert AuditEvent.objects.filter(action="risk.flow.deleted").count() == 1
    else:
        assert DataFlow.objects.exists()
        assert audit_count() == before


def test_another_organizations_flow_is_not_found(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    theirs = flow(asset(cast, "A", org=cast.other_org), asset(cast, "B", org=cast.other_org), "Theirs")
    ours = flow(*ehr_lab)
    client = api_client(cast.owner)

    assert client.get(f"{BASE}{theirs.public_id}/").status_code == 404
    assert client.patch(f"{BASE}{theirs.public_id}/", {"ephi": "x"}, format="json").status_code == 404
    assert client.delete(f"{BASE}{theirs.public_id}/").status_code == 404
    other = api_client(cast.outsider)
    assert other.delete(f"/api/v1/orgs/other/data-flows/{ours.public_id}/").status_code == 404
    assert DataFlow.objects.count() == 2


# --- the diagram ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_diagram_matrix(cast: Cast, ehr_lab: tuple[Asset, Asset], who: str, expected: int) -> None:
    flow(*ehr_lab, encrypted=False)

    response = client_as(cast, who).get(DIAGRAM)

    assert response.status_code == expected
    if expected == 200:
        assert response["Content-Type"] == "image/svg+xml"
        assert "Lab results (not encrypted)" in response.content.decode()
    else:
        assert response["Content-Type"] == "application/json"
        error_of(response)


def test_the_diagram_is_svg_whatever_the_client_accepts(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    flow(*ehr_lab)

    response = api_client(cast.owner).get(DIAGRAM, HTTP_ACCEPT="image/svg+xml")

    assert response.status_code == 200
    assert response.content.decode().startswith("<svg")


def test_the_diagram_of_one_asset_and_its_errors(cast: Cast, ehr_lab: tuple[Asset, Asset]) -> None:
    ehr, lab = ehr_lab
    flow(ehr, lab, "Orders")
    flow(asset(cast, "Billing"), asset(cast, "Clearinghouse"), "Claims")
    theirs = asset(cast, "Theirs", org=cast.other_org)
    client = api_client(cast.owner)

    narrowed = client.get(DIAGRAM, {"asset": str(lab.public_id)}).content.decode()
    malformed = client.get(DIAGRAM, {"asset": "nope"})

    assert "Orders" in narrowed and "Claims" not in narrowed
    assert list(error_of(malformed)["fields"]) == ["asset"]
    assert client.get(DIAGRAM, {"asset": str(theirs.public_id)}).status_code == 404
