"""The criticality analysis and contingency settings over the API: role matrices, isolation, rules refused in the
error envelope, pagination and flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.contingency.models import AssetDependency, ContingencySettings, CriticalityApproval, RecoveryProfile
from tests.conftest import Cast
from tests.contingency_criticality_factories import needs, plain_asset, profile, profiled
from tests.test_api_support import api_client, audit_count, client_as, error_of

pytestmark = pytest.mark.django_db

BASE = "/api/v1/orgs/clinic/contingency/criticality/"
SETTINGS = "/api/v1/orgs/clinic/contingency/settings/"
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def body(asset_id: object, **overrides: object) -> dict[str, object]:
    return {
        "asset": str(asset_id),
        "tier": 1,
        "business_functions": "Charting",
        "mtd_minutes": 480,
        "rto_minutes": 240,
        "rpo_minutes": 60,
        **overrides,
    }


@pytest.mark.parametrize(("who", "expected"), READERS)
@pytest.mark.parametrize("path", ["profiles/", "dependencies/", "recovery-order/", "graph.svg", "approvals/"])
def test_read_matrix(cast: Cast, who: str, expected: int, path: str) -> None:
    needs(profiled(cast.org, "EHR"), profiled(cast.org, "DB"))
    profiled(cast.other_org, "Theirs")
    response = client_as(cast, who).get(BASE + path)
    assert response.status_code == expected
    if expected == 200 and path == "profiles/":
        assert [row["asset"]["name"] for row in response.json()["results"]] == ["DB", "EHR"]


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_settings_read_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_as(cast, who).get(SETTINGS)
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["restore_cadence_tier4"] == "annual"


def test_create_profile(cast: Cast) -> None:
    ehr = plain_asset(cast.org, "EHR")
    response = api_client(cast.owner).post(BASE + "profiles/", body(ehr.public_id), format="json")
    assert response.status_code == 201
    data = response.json()
    assert (data["asset"]["name"], data["rto_minutes"], data["in_scope"]) == ("EHR", 240, True)
    assert RecoveryProfile.objects.get(asset=ehr).public_id.hex == data["public_id"].replace("-", "")


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE)
def test_create_profile_denied(cast: Cast, who: str, expected: int) -> None:
    ehr = plain_asset(cast.org, "EHR")
    before = audit_count()
    response = client_as(cast, who).post(BASE + "profiles/", body(ehr.public_id), format="json")
    assert response.status_code == expected
    assert not RecoveryProfile.objects.exists()
    assert audit_count() == before


def test_create_profile_rule_errors_name_the_field(cast: Cast) -> None:
    ehr = plain_asset(cast.org, "EHR")
    response = api_client(cast.owner).post(BASE + "profiles/", body(ehr.public_id, rto_minutes=481), format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert "rto_minutes" in error["fields"]
    assert "maximum tolerable downtime" in error["message"]


def test_create_profile_for_other_organizations_asset_is_refused(cast: Cast) -> None:
    theirs = plain_asset(cast.other_org, "Theirs")
    response = api_client(cast.owner).post(BASE + "profiles/", body(theirs.public_id), format="json")
    assert response.status_code == 400
    assert "asset" in error_of(response)["fields"]
    assert not RecoveryProfile.objects.exists()


def test_profile_detail_patch_put_delete(cast: Cast) -> None:
    made = profile(plain_asset(cast.org, "EHR"), tier=2, rto=240, mtd=1440)
    client = api_client(cast.owner)
    url = f"{BASE}profiles/{made.public_id}/"
    assert client.get(url).json()["tier"] == 2
    assert client.patch(url, {"rto_minutes": 30}, format="json").json()["rto_minutes"] == 30
    made.refresh_from_db()
    assert (made.tier, made.rto_minutes) == (2, 30)
    replaced = client.put(
        url,
        {"tier": 3, "mtd_minutes": 60, "rto_minutes": 60, "rpo_minutes": 5, "business_functions": "X"},
        format="json",
    )
    assert replaced.status_code == 200
    assert (replaced.json()["tier"], replaced.json()["notes"]) == (3, "")
    assert client.delete(url).status_code == 204
    assert not RecoveryProfile.objects.exists()


def test_other_organizations_profile_is_404_for_every_method(cast: Cast) -> None:
    theirs = profile(plain_asset(cast.other_org, "Theirs"))
    client = api_client(cast.owner)
    url = f"{BASE}profiles/{theirs.public_id}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"tier": 1}, format="json").status_code == 404
    assert client.delete(url).status_code == 404
    assert RecoveryProfile.objects.filter(pk=theirs.pk, tier=2).exists()


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE)
def test_profile_change_denied(cast: Cast, who: str, expected: int) -> None:
    made = profile(plain_asset(cast.org, "EHR"), tier=2)
    url = f"{BASE}profiles/{made.public_id}/"
    assert client_as(cast, who).patch(url, {"tier": 1}, format="json").status_code == expected
    assert client_as(cast, who).delete(url).status_code == expected
    made.refresh_from_db()
    assert made.tier == 2


def test_profile_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)
    profiled(cast.org, "A0")
    with CaptureQueriesContext(connection) as few:
        client.get(BASE + "profiles/")
    for index in range(1, 25):
        profiled(cast.org, f"A{index}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(BASE + "profiles/")
    assert response.json()["count"] == 25
    assert len(many.captured_queries) == len(few.captured_queries)


def test_dependency_create_list_and_delete(cast: Cast) -> None:
    ehr, db = profiled(cast.org, "EHR"), profiled(cast.org, "DB")
    client = api_client(cast.owner)
    made = client.post(
        BASE + "dependencies/",
        {"asset": str(ehr.public_id), "depends_on": str(db.public_id), "note": "records"},
        format="json",
    )
    assert made.status_code == 201
    assert made.json()["depends_on"]["name"] == "DB"
    rows = client.get(BASE + "dependencies/", {"asset": str(db.public_id)}).json()["results"]
    assert [(r["asset"]["name"], r["depends_on"]["name"], r["note"]) for r in rows] == [("EHR", "DB", "records")]
    assert client.delete(f"{BASE}dependencies/{ehr.public_id}/{db.public_id}/").status_code == 204
    assert not AssetDependency.objects.exists()


def test_dependency_cycle_is_refused_with_the_path(cast: Cast) -> None:
    ehr, db = profiled(cast.org, "EHR"), profiled(cast.org, "DB")
    needs(ehr, db)
    response = api_client(cast.owner).post(
        BASE + "dependencies/", {"asset": str(db.public_id), "depends_on": str(ehr.public_id)}, format="json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert "EHR needs DB already" in error["message"]
    assert "depends_on" in error["fields"]


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE)
def test_dependency_writes_denied(cast: Cast, who: str, expected: int) -> None:
    ehr, db = profiled(cast.org, "EHR"), profiled(cast.org, "DB")
    existing = needs(ehr, plain_asset(cast.org, "Net"))
    client = client_as(cast, who)
    created = client.post(
        BASE + "dependencies/", {"asset": str(ehr.public_id), "depends_on": str(db.public_id)}, format="json"
    )
    deleted = client.delete(f"{BASE}dependencies/{ehr.public_id}/{existing.depends_on.public_id}/")
    assert (created.status_code, deleted.status_code) == (expected, expected)
    assert list(AssetDependency.objects.all()) == [existing]


def test_other_organizations_dependency_is_404(cast: Cast) -> None:
    theirs = needs(profiled(cast.other_org, "A"), profiled(cast.other_org, "B"))
    response = api_client(cast.owner).delete(
        f"{BASE}dependencies/{theirs.asset.public_id}/{theirs.depends_on.public_id}/"
    )
    assert response.status_code == 404
    assert AssetDependency.objects.count() == 1


def test_recovery_order(cast: Cast) -> None:
    ehr, db = profiled(cast.org, "EHR", tier=1, rto=60), plain_asset(cast.org, "DB")
    needs(ehr, db)
    a, b = profiled(cast.org, "A"), profiled(cast.org, "B")
    needs(a, b)
    needs(b, a)
    data = api_client(cast.auditor).get(BASE + "recovery-order/").json()
    assert [(s["position"], s["asset"]["name"], s["tier"], s["covered"]) for s in data["steps"]] == [
        (1, "DB", None, False),
        (2, "EHR", 1, True),
    ]
    assert data["steps"][0]["asset"]["public_id"] == str(db.public_id)
    assert data["steps"][1]["waits_for"] == ["DB"]
    assert data["cycles"] == [["A", "B"]]


def test_graph_is_svg(cast: Cast) -> None:
    needs(profiled(cast.org, "EHR", tier=1), profiled(cast.org, "DB", tier=2))
    response = api_client(cast.auditor).get(BASE + "graph.svg", HTTP_ACCEPT="image/*")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert svg.startswith("<svg") and "DB before EHR" in svg


def test_approve_and_list_and_read_what_was_signed(cast: Cast) -> None:
    ehr = profiled(cast.org, "EHR")
    client = api_client(cast.official)
    made = client.post(BASE + "approvals/", {"statement": "Reviewed with the CMO."}, format="json")
    assert made.status_code == 201
    data = made.json()
    assert data["statement"] == "Reviewed with the CMO."
    assert list(data["content"]["profiles"]) == [str(ehr.public_id)]
    rows = api_client(cast.auditor).get(BASE + "approvals/").json()["results"]
    assert [r["public_id"] for r in rows] == [data["public_id"]]
    assert "content" not in rows[0]
    one = api_client(cast.auditor).get(f"{BASE}approvals/{data['public_id']}/").json()
    assert one["content_sha256"] == data["content_sha256"]


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE)
def test_approve_denied(cast: Cast, who: str, expected: int) -> None:
    profiled(cast.org, "EHR")
    before = audit_count()
    assert client_as(cast, who).post(BASE + "approvals/", {}, format="json").status_code == expected
    assert not CriticalityApproval.objects.exists()
    assert audit_count() == before


def test_approve_with_nothing_in_scope_is_400(cast: Cast) -> None:
    response = api_client(cast.owner).post(BASE + "approvals/", {}, format="json")
    assert response.status_code == 400
    assert "nothing to approve" in error_of(response)["message"]


def test_other_organizations_approval_is_404(cast: Cast) -> None:
    profiled(cast.other_org, "Theirs")
    theirs = (
        api_client(cast.outsider)
        .post("/api/v1/orgs/other/contingency/criticality/approvals/", {}, format="json")
        .json()
    )
    assert api_client(cast.owner).get(f"{BASE}approvals/{theirs['public_id']}/").status_code == 404


def test_settings_patch_put_and_validation(cast: Cast) -> None:
    client = api_client(cast.owner)
    assert client.patch(SETTINGS, {"backup_grace_hours": 12}, format="json").json()["backup_grace_hours"] == 12
    full = {
        "restore_cadence_tier1": "monthly",
        "restore_cadence_tier2": "quarterly",
        "restore_cadence_tier3": "annual",
        "restore_cadence_tier4": "annual",
        "backup_grace_hours": 0,
        "show_72_hour_target": False,
        "import_time_zone": "America/Denver",
    }
    assert client.put(SETTINGS, full, format="json").json() == full
    bad = client.patch(SETTINGS, {"restore_cadence_tier1": "once"}, format="json")
    assert bad.status_code == 400
    assert "restore_cadence_tier1" in error_of(bad)["fields"]
    assert ContingencySettings.objects.get(organization=cast.org).restore_cadence_tier1 == "monthly"


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE)
def test_settings_change_denied(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    assert client_as(cast, who).patch(SETTINGS, {"backup_grace_hours": 1}, format="json").status_code == expected
    assert not ContingencySettings.objects.filter(backup_grace_hours=1).exists()
    assert audit_count() == before
