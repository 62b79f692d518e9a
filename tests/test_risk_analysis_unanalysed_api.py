"""Risks recorded between analyses over the API: list the open ones, record one under the organization's method;
who may do what, isolation between organizations, and a flat query count."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.risk.models import Risk, Threat, ThreatSource
from safeguard.risk.services.method import method_update
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_analysis_support import actor, asset, record, start

PATH = "/api/v1/orgs/clinic/unanalysed-risks/"
OTHER = "/api/v1/orgs/other/unanalysed-risks/"


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    record(cast, None, "Lost phone")
    response = client_as(cast, who).get(PATH)
    assert response.status_code == expected
    if expected == 200:
        assert [row["title"] for row in response.json()["results"]] == ["Lost phone"]


def test_the_list_holds_only_open_risks_in_no_analysis(cast: Cast) -> None:
    record(cast, start(cast), "In the analysis")
    record(cast, None, "Between, high", likelihood=3, impact=4)
    record(cast, None, "Between, unrated", likelihood=None)
    closed = record(cast, None, "Between, closed")
    Risk.objects.filter(pk=closed.pk).update(status=Risk.Status.CLOSED)
    client = api_client(cast.auditor)

    def titles(**params: str) -> list[str]:
        return [row["title"] for row in client.get(PATH, params).json()["results"]]

    assert titles() == ["Between, high", "Between, unrated"]
    assert titles(level="high") == ["Between, high"]
    assert titles(level="unrated") == ["Between, unrated"]
    assert titles(treatment="none") == ["Between, high", "Between, unrated"]
    assert client.get(PATH, {"treatment": "sometime"}).status_code == 400


@pytest.mark.parametrize(
    ("who", "expected"),
    [("official", 201), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_record_matrix(cast: Cast, who: str, expected: int) -> None:
    fax = asset(cast, "Fax machine")
    before = audit_count()
    body = {"title": "Misdirected fax", "asset_ids": [str(fax.public_id)], "likelihood": 4, "impact": 2}
    response = client_as(cast, who).post(PATH, body, format="json")
    assert response.status_code == expected
    if expected == 201:
        created = response.json()
        assert (created["reference"], created["analysis_id"], created["inherent_level"]) == ("R-0001", None, "medium")
        assert created["assets"] == [{"public_id": str(fax.public_id), "name": "Fax machine"}]
        assert Risk.objects.get().analysis is None
    else:
        assert not Risk.objects.exists()
        assert audit_count() == before


def test_recording_rates_by_the_organizations_current_method(cast: Cast) -> None:
    method_update(organization=cast.org, actor=actor(cast.owner), profile="3x3")
    client = api_client(cast.owner)

    off_scale = client.post(PATH, {"title": "X", "likelihood": 4}, format="json")
    on_scale = client.post(PATH, {"title": "Y", "likelihood": 3, "impact": 3}, format="json")

    assert error_of(off_scale)["fields"] == {"likelihood": ["likelihood 4 is outside the 3×3 matrix (1–3)."]}
    assert on_scale.json()["inherent_level"] == "high"


def test_recording_errors_use_the_api_field_names(cast: Cast) -> None:
    theirs = Threat.objects.create(organization=cast.other_org, name="T", source_type=ThreatSource.ACCIDENTAL)
    client = api_client(cast.owner)
    before = audit_count()

    foreign = client.post(PATH, {"title": "X", "threat_id": str(theirs.public_id)}, format="json")
    unknown_owner = client.post(PATH, {"title": "X", "owner": "owner@other.test"}, format="json")
    untitled = client.post(PATH, {"title": " "}, format="json")

    assert list(error_of(foreign)["fields"]) == ["threat_id"]
    assert list(error_of(unknown_owner)["fields"]) == ["owner"]
    assert list(error_of(untitled)["fields"]) == ["title"]
    assert not Risk.objects.exists()
    assert audit_count() == before


def test_another_organizations_risks_stay_apart(cast: Cast) -> None:
    record(cast, None, "Ours")
    outsider = api_client(cast.outsider)
    assert outsider.get(OTHER).json()["results"] == []
    created = outsider.post(OTHER, {"title": "Theirs"}, format="json")
    assert created.status_code == 201
    assert [row["title"] for row in api_client(cast.owner).get(PATH).json()["results"]] == ["Ours"]
    assert Risk.objects.get(title="Theirs").organization == cast.other_org


def test_list_query_count_is_flat(cast: Cast) -> None:
    threat = Threat.objects.create(organization=cast.org, name="Ransomware", source_type=ThreatSource.ADVERSARIAL)
    servers = [asset(cast, f"Server {index}") for index in range(4)]
    client = api_client(cast.auditor)
    for index in range(3):
        record(cast, None, f"R{index}", assets=servers[:2], threat=threat, requirements=["164.312(a)(1)"])
    with CaptureQueriesContext(connection) as few:
        client.get(PATH)
    for index in range(3, 30):
        record(cast, None, f"R{index}", assets=servers, threat=threat, owner=cast.official)
    with CaptureQueriesContext(connection) as many:
        client.get(PATH)
    assert len(many) == len(few)
