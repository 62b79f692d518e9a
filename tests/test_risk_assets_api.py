"""Assets over the API: list with filters, create, read, change (and retire); owners by id or email."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.models import AuditEvent, Organization
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import AnalysisScopeItem, Asset, AssetKind, DataFlow, ReanalysisTrigger, RiskAnalysis
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of

BASE = "/api/v1/orgs/clinic/assets/"
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def asset(cast: Cast, name: str = "EHR", org: Organization | None = None, **values: object) -> Asset:
    fields: dict[str, object] = {"kind": AssetKind.APPLICATION, **values}
    return Asset.objects.create(organization=org or cast.org, name=name, **fields)


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    asset(cast, "EHR")
    asset(cast, "Theirs", org=cast.other_org)

    response = client_as(cast, who).get(BASE)

    assert response.status_code == expected
    if expected == 200:
        assert [row["name"] for row in response.json()["results"]] == ["EHR"]


def test_list_shows_owner_and_flow_count(cast: Cast) -> None:
    ehr = asset(cast, "EHR", owner=cast.official)
    lab = asset(cast, "Lab")
    DataFlow.objects.create(
        organization=cast.org, source=ehr, destination=lab, ephi="Orders", transport="hl7", encrypted_in_transit=True
    )

    rows = api_client(cast.owner).get(BASE).json()["results"]

    assert rows[0]["owner"]["email"] == cast.official.email
    assert [(row["name"], row["flow_count"]) for row in rows] == [("EHR", 1), ("Lab", 1)]
    assert rows[1]["owner"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [({"kind": "server"}, ["Lab"]), ({"status": "retired"}, ["Old PACS"]), ({"q": "EPIC"}, ["EHR"])],
)
def test_list_filters(cast: Cast, query: dict[str, str], expected: list[str]) -> None:
    asset(cast, "EHR", business_associate="Epic")
    asset(cast, "Lab", kind=AssetKind.SERVER)
    asset(cast, "Old PACS", status=Asset.Status.RETIRED)

    rows = api_client(cast.owner).get(BASE, query).json()["results"]

    assert [row["name"] for row in rows] == expected


def test_a_bad_filter_names_the_field(cast: Cast) -> None:
    response = api_client(cast.owner).get(BASE, {"kind": "spaceship"})

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["kind"]


def test_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = api_client(cast.owner)
    for n in range(3):
        asset(cast, f"Asset {n:02}", owner=cast.official)
    with CaptureQueriesContext(connection) as few:
        assert client.get(BASE).status_code == 200
    for n in range(3, 30):
        asset(cast, f"Asset {n:02}", owner=[cast.owner, cast.workforce][n % 2])
    with CaptureQueriesContext(connection) as many:
        assert client.get(BASE).status_code == 200

    assert len(many) == len(few)


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    body = {"name": "Patient portal", "kind": "application", "owner": cast.official.email}

    response = client_as(cast, who).post(BASE, body, format="json")

    assert response.status_code == expected
    made = Asset.objects.filter(name="Patient portal")
    if expected == 201:
        assert made.get().owner == cast.official
        assert response.json()["owner"]["email"] == cast.official.email
        assert response.json()["status"] == "in_service"
        assert AuditEvent.objects.filter(action="risk.asset.created").count() == 1
    else:
        assert not made.exists()
        assert audit_count() == before


def test_the_owner_may_be_named_by_public_id(cast: Cast) -> None:
    body = {"name": "EHR", "kind": "application", "owner": str(cast.workforce.public_id)}

    response = api_client(cast.owner).post(BASE, body, format="json")

    assert response.status_code == 201
    assert Asset.objects.get().owner == cast.workforce


@pytest.mark.parametrize("owner", ["auditor@firm.test", "owner@other.test", "nobody@clinic.test"])
def test_the_owner_must_be_a_current_member_other_than_an_auditor(cast: Cast, owner: str) -> None:
    response = api_client(cast.owner).post(BASE, {"name": "EHR", "kind": "application", "owner": owner}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["owner"]
    assert not Asset.objects.exists()


def test_a_duplicate_name_is_refused_on_the_name_field(cast: Cast) -> None:
    asset(cast, "EHR")

    response = api_client(cast.owner).post(BASE, {"name": "ehr", "kind": "server"}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"name": ["An asset named 'ehr' already exists."]}


def test_a_malformed_body_names_every_field(cast: Cast) -> None:
    response = api_client(cast.owner).post(BASE, {"kind": "spaceship", "volume_band": "lots"}, format="json")

    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"name", "kind", "volume_band"}


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    ehr = asset(cast, "EHR")

    response = client_as(cast, who).get(f"{BASE}{ehr.public_id}/")

    assert response.status_code == expected
    if expected == 200:
        assert response.json()["public_id"] == str(ehr.public_id)


def test_another_organizations_asset_is_not_found(cast: Cast) -> None:
    theirs = asset(cast, "Theirs", org=cast.other_org)
    ours = asset(cast, "Ours")

    assert api_client(cast.owner).get(f"{BASE}{theirs.public_id}/").status_code == 404
    patched = api_client(cast.owner).patch(f"{BASE}{theirs.public_id}/", {"hosting": "x"}, format="json")
    assert patched.status_code == 404
    outsider = api_client(cast.outsider)
    assert outsider.get(f"/api/v1/orgs/other/assets/{ours.public_id}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.hosting == ""


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED_WRITE])
def test_change_matrix(cast: Cast, who: str, expected: int) -> None:
    ehr = asset(cast, "EHR")
    before = audit_count()

    response = client_as(cast, who).patch(f"{BASE}{ehr.public_id}/", {"hosting": "Vendor cloud"}, format="json")

    assert response.status_code == expected
    ehr.refresh_from_db()
    if expected == 200:
        assert ehr.hosting == "Vendor cloud"
        assert AuditEvent.objects.get(action="risk.asset.updated").changes == {"hosting": ["", "Vendor cloud"]}
    else:
        assert ehr.hosting == ""
        assert audit_count() == before


def test_patch_can_clear_the_owner_and_retire_the_asset(cast: Cast) -> None:
    ehr = asset(cast, "EHR", owner=cast.official)

    response = api_client(cast.owner).patch(
        f"{BASE}{ehr.public_id}/", {"owner": None, "status": "retired"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["owner"] is None
    assert response.json()["retired_at"] is not None
    ehr.refresh_from_db()
    assert (ehr.owner, ehr.status) == (None, Asset.Status.RETIRED)


def test_a_material_change_after_approval_records_a_trigger(cast: Cast) -> None:
    ehr = asset(cast, "EHR", status=Asset.Status.IN_SERVICE)
    analysis = RiskAnalysis.objects.create(
        organization=cast.org,
        title="2026 analysis",
        status=RiskAnalysis.Status.APPROVED,
        approved_at=timezone.now() - timedelta(days=2),
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.official,
    )
    AnalysisScopeItem.objects.create(analysis=analysis, asset=ehr, name="EHR", kind="application", status="in_service")

    response = api_client(cast.owner).patch(f"{BASE}{ehr.public_id}/", {"business_associate": "NewCo"}, format="json")

    assert response.status_code == 200
    assert ReanalysisTrigger.objects.get().kind == ReanalysisTrigger.Kind.ASSET_CHANGED
