"""The scope of an analysis over the API: list it, add an asset to a draft's scope, take one out; who may do what,
isolation between organizations, and a flat query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.risk.models import AnalysisScopeItem, Asset, RiskAnalysis
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_analysis_support import asset, in_review, record, start

BASE = "/api/v1/orgs/clinic/analyses/"
DENIED_READ = [("workforce", 403), ("outsider", 404), ("anonymous", 401)]
DENIED_WRITE = [("auditor", 403), *DENIED_READ]


def scope(analysis: RiskAnalysis, asset_row: Asset | None = None, org: str = "clinic") -> str:
    tail = f"{asset_row.public_id}/" if asset_row is not None else ""
    return f"/api/v1/orgs/{org}/analyses/{analysis.public_id}/scope/{tail}"


def scoped_names(analysis: RiskAnalysis) -> list[str]:
    return list(analysis.scope_items.order_by("name").values_list("name", flat=True))


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), *DENIED_READ])
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    asset(cast, "EHR server")
    analysis = start(cast)
    response = client_as(cast, who).get(scope(analysis))
    assert response.status_code == expected
    if expected == 200:
        [item] = response.json()["results"]
        assert item == {
            "asset_id": str(Asset.objects.get().public_id),
            "name": "EHR server",
            "kind": "server",
            "status": "in_service",
        }


@pytest.mark.parametrize(("who", "expected"), [("official", 201), *DENIED_WRITE])
def test_add_matrix(cast: Cast, who: str, expected: int) -> None:
    analysis = start(cast)
    portal = asset(cast, "New portal", status=Asset.Status.PLANNED)
    before = audit_count()
    response = client_as(cast, who).post(scope(analysis), {"asset_id": str(portal.public_id)}, format="json")
    assert response.status_code == expected
    if expected == 201:
        assert (response.json()["name"], response.json()["status"]) == ("New portal", "planned")
        assert scoped_names(analysis) == ["New portal"]
    else:
        assert scoped_names(analysis) == []
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 204), *DENIED_WRITE])
def test_remove_matrix(cast: Cast, who: str, expected: int) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    before = audit_count()
    response = client_as(cast, who).delete(scope(analysis, server))
    assert response.status_code == expected
    if expected == 204:
        assert scoped_names(analysis) == []
    else:
        assert scoped_names(analysis) == ["EHR server"]
        assert audit_count() == before


def test_add_refusals_name_the_asset_id(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    old_fax = asset(cast, "Old fax", status=Asset.Status.RETIRED)
    theirs = asset(cast, "Their server", other=True)
    analysis = start(cast)
    client = api_client(cast.owner)
    before = audit_count()

    again = client.post(scope(analysis), {"asset_id": str(server.public_id)}, format="json")
    retired = client.post(scope(analysis), {"asset_id": str(old_fax.public_id)}, format="json")
    foreign = client.post(scope(analysis), {"asset_id": str(theirs.public_id)}, format="json")
    missing = client.post(scope(analysis), {}, format="json")

    assert error_of(again)["fields"] == {"asset_id": ["“EHR server” is already in the scope."]}
    assert "retired" in error_of(retired)["fields"]["asset_id"][0]
    assert list(error_of(foreign)["fields"]) == ["asset_id"]
    assert list(error_of(missing)["fields"]) == ["asset_id"]
    assert scoped_names(analysis) == ["EHR server"]
    assert audit_count() == before


def test_an_asset_a_risk_names_stays_in_the_scope(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    record(cast, analysis, assets=[server])

    response = api_client(cast.owner).delete(scope(analysis, server))

    assert response.status_code == 400
    assert "R-0001 names “EHR server”" in error_of(response)["fields"]["asset_id"][0]
    assert scoped_names(analysis) == ["EHR server"]


def test_the_scope_changes_only_in_draft(cast: Cast) -> None:
    analysis = in_review(cast)
    portal = asset(cast, "New portal")
    client = api_client(cast.owner)

    response = client.post(scope(analysis), {"asset_id": str(portal.public_id)}, format="json")

    assert response.status_code == 400
    assert "Only an analysis that is draft can be changed" in error_of(response)["message"]
    assert not AnalysisScopeItem.objects.filter(asset=portal).exists()


def test_removing_an_asset_outside_the_scope_is_a_400(cast: Cast) -> None:
    analysis = start(cast)
    later = asset(cast, "Added later")
    response = api_client(cast.owner).delete(scope(analysis, later))
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"asset_id": ["“Added later” is not in the scope."]}


def test_another_organizations_analysis_or_asset_is_not_found(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    theirs = asset(cast, "Their server", other=True)
    outsider = api_client(cast.outsider)
    before = audit_count()

    assert outsider.get(scope(analysis, org="other")).status_code == 404
    assert (
        outsider.post(scope(analysis, org="other"), {"asset_id": str(theirs.public_id)}, format="json").status_code
        == 404
    )
    assert outsider.delete(scope(analysis, server, org="other")).status_code == 404
    assert api_client(cast.owner).delete(scope(analysis, theirs)).status_code == 404
    assert scoped_names(analysis) == ["EHR server"]
    assert audit_count() == before


def test_list_query_count_is_flat(cast: Cast) -> None:
    for index in range(3):
        asset(cast, f"Server {index}")
    few_analysis = start(cast, "Few")
    RiskAnalysis.objects.update(status=RiskAnalysis.Status.APPROVED)
    for index in range(3, 30):
        asset(cast, f"Server {index}")
    many_analysis = start(cast, "Many")
    client = api_client(cast.auditor)

    with CaptureQueriesContext(connection) as few:
        assert client.get(scope(few_analysis)).json()["count"] == 3
    with CaptureQueriesContext(connection) as many:
        assert client.get(scope(many_analysis)).json()["count"] == 30
    assert len(many) == len(few)
