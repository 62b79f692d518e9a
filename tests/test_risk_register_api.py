"""The register over the API: the list and its filters, one risk, treatment by PATCH, close and reopen."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern

from safeguard.risk.api import urls_register
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import Asset, AssetKind, ReanalysisTrigger, Risk, RiskAnalysis, Treatment
from tests.conftest import Cast
from tests.risk_records import risk_records
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_register_support import TODAY, api, make_acceptance, make_action, make_risk


@pytest.fixture
def risks(cast: Cast) -> list[Risk]:
    ransomware = make_risk(cast.org, 1, "Ransomware", inherent=(5, 5), residual=(3, 4), owner=cast.official)
    make_action(ransomware, cast.official, days=-2, title="Patch")
    laptop = make_risk(cast.org, 2, "Stolen laptop", inherent=(3, 4), treatment=Treatment.MITIGATE)
    paper = make_risk(cast.org, 3, "Paper charts", inherent=(2, 2), treatment=Treatment.ACCEPT)
    make_acceptance(paper, cast.official)
    make_risk(cast.other_org, 1, "Theirs")
    return [ransomware, laptop, paper]


def refs(response: object) -> list[str]:
    return [row["reference"] for row in response.json()["results"]]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_register_matrix(cast: Cast, risks: list[Risk], who: str, expected: int) -> None:
    response = client_as(cast, who).get(api("risk_register"))
    assert response.status_code == expected
    if expected == 200:
        assert refs(response) == ["R-0001", "R-0002", "R-0003"]


def test_register_rows_carry_ratings_counts_and_acceptance(cast: Cast, risks: list[Risk]) -> None:
    rows = api_client(cast.owner).get(api("risk_register")).json()["results"]

    first = rows[0]
    assert (first["inherent_level"], first["inherent_score"], first["residual_level"]) == ("critical", 25, "high")
    assert (first["open_actions"], first["overdue_actions"]) == (1, 1)
    assert first["owner"]["email"] == cast.official.email
    assert rows[2]["accepted_until"] is not None and rows[1]["accepted_until"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"treatment": "none"}, ["R-0001"]),
        ({"treatment": "mitigate"}, ["R-0002"]),
        ({"level": "high", "rated": "inherent"}, ["R-0002"]),
        ({"overdue": "yes"}, ["R-0001"]),
        ({"q": "paper"}, ["R-0003"]),
        ({"sort": "inherent"}, ["R-0001", "R-0002", "R-0003"]),
    ],
)
def test_register_filters(cast: Cast, risks: list[Risk], query: dict[str, str], expected: list[str]) -> None:
    assert refs(api_client(cast.owner).get(api("risk_register"), query)) == expected


def test_register_filters_by_owner_and_asset_and_refuses_unknown_ones(cast: Cast, risks: list[Risk]) -> None:
    asset = Asset.objects.create(organization=cast.org, name="EHR", kind=AssetKind.APPLICATION)
    risks[1].assets.add(asset)
    client = api_client(cast.owner)

    assert refs(client.get(api("risk_register"), {"owner": str(cast.official.public_id)})) == ["R-0001"]
    assert refs(client.get(api("risk_register"), {"asset": str(asset.public_id)})) == ["R-0002"]
    unknown = client.get(api("risk_register"), {"asset": str(cast.org.public_id)})
    assert unknown.status_code == 400 and list(error_of(unknown)["fields"]) == ["asset"]
    stranger = client.get(api("risk_register"), {"owner": str(cast.outsider.public_id)})
    assert stranger.status_code == 400 and list(error_of(stranger)["fields"]) == ["owner"]
    malformed = client.get(api("risk_register"), {"status": "maybe", "overdue": "perhaps"})
    assert malformed.status_code == 400 and set(error_of(malformed)["fields"]) == {"status", "overdue"}


def test_register_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = api_client(cast.owner)

    def add(numbers: range) -> None:
        for number in numbers:
            risk = make_risk(cast.org, number, inherent=(2, 3), owner=cast.official)
            make_action(risk, cast.official)

    add(range(1, 4))
    with CaptureQueriesContext(connection) as few:
        assert client.get(api("risk_register")).status_code == 200
    add(range(4, 31))
    with CaptureQueriesContext(connection) as many:
        assert client.get(api("risk_register")).status_code == 200

    assert len(many) == len(few)


def test_detail_has_actions_and_acceptances(cast: Cast, risks: list[Risk]) -> None:
    body = api_client(cast.auditor).get(api("risk_detail", risks[0].public_id)).json()
    assert body["reference"] == "R-0001" and [a["title"] for a in body["actions"]] == ["Patch"]
    assert body["actions"][0]["overdue"] is True
    paper = api_client(cast.auditor).get(api("risk_detail", risks[2].public_id)).json()
    assert [a["state"] for a in paper["acceptances"]] == ["in_force"]


def test_on_its_expiry_day_an_acceptance_is_expired_and_no_longer_accepts_the_risk(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, inherent=(2, 2), treatment=Treatment.ACCEPT)
    make_acceptance(risk, cast.official, expires_on=TODAY)
    client = api_client(cast.owner)

    [row] = client.get(api("risk_register")).json()["results"]
    detail = client.get(api("risk_detail", risk.public_id)).json()

    assert row["accepted_until"] is None
    assert [a["state"] for a in detail["acceptances"]] == ["expired"]


def test_register_api_reads_never_select_an_analysis_signed_document(cast: Cast) -> None:
    analysis = RiskAnalysis.objects.create(
        organization=cast.org,
        title="Approved",
        status=RiskAnalysis.Status.APPROVED,
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.owner,
        approved_content={"risks": ["every risk of the analysis"]},
    )
    risk = make_risk(cast.org, 1, inherent=(4, 4), analysis=analysis)
    trigger = ReanalysisTrigger.objects.create(
        organization=cast.org,
        kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE,
        reason="New EHR",
        analysis=analysis,
        resolved_by=analysis,
    )
    client = api_client(cast.owner)
    urls = (
        api("risk_register"),
        f"{api('risk_register')}?analysis={analysis.public_id}",
        api("risk_detail", risk.public_id),
        api("risk_triggers"),
        api("risk_trigger", trigger.public_id),
    )

    for url in urls:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert not [query["sql"] for query in queries if "approved_content" in query["sql"]], url


def test_another_organizations_risk_is_404(cast: Cast, risks: list[Risk]) -> None:
    theirs = Risk.objects.get(organization=cast.other_org)
    assert api_client(cast.owner).get(api("risk_detail", theirs.public_id)).status_code == 404
    assert api_client(cast.outsider).get(api("risk_detail", risks[0].public_id, org="other")).status_code == 404


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_patch_treatment_matrix(cast: Cast, risks: list[Risk], who: str, expected: int) -> None:
    before = audit_count()
    body = {"treatment": "transfer", "owner": cast.workforce.email, "note": "Cyber insurance"}

    response = client_as(cast, who).patch(api("risk_detail", risks[0].public_id), body, format="json")

    assert response.status_code == expected
    risks[0].refresh_from_db()
    if expected == 200:
        assert response.json()["treatment"] == "transfer" and risks[0].owner == cast.workforce
    else:
        assert risks[0].treatment == Treatment.NONE and audit_count() == before


def test_patch_owner_alone_keeps_the_treatment(cast: Cast, risks: list[Risk]) -> None:
    response = api_client(cast.owner).patch(
        api("risk_detail", risks[1].public_id), {"owner": str(cast.owner.public_id)}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["treatment"], response.json()["owner"]["email"]) == ("mitigate", cast.owner.email)


def test_patch_accept_without_a_signed_acceptance_is_refused(cast: Cast, risks: list[Risk]) -> None:
    response = api_client(cast.owner).patch(
        api("risk_detail", risks[1].public_id), {"treatment": "accept", "owner": cast.owner.email}, format="json"
    )
    assert response.status_code == 400 and list(error_of(response)["fields"]) == ["treatment"]


def test_close_refused_with_open_actions_then_closed_and_reopened(cast: Cast, risks: list[Risk]) -> None:
    client = api_client(cast.official)

    refused = client.post(api("risk_close", risks[0].public_id), {}, format="json")
    assert refused.status_code == 400 and "Decide how R-0001" in error_of(refused)["message"]

    closed = client.post(api("risk_close", risks[1].public_id), {"note": "Laptops retired"}, format="json")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    reopened = client.post(api("risk_reopen", risks[1].public_id), {}, format="json")
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


@pytest.mark.parametrize(("who", "expected"), [("workforce", 403), ("auditor", 403), ("outsider", 404)])
def test_close_and_reopen_are_for_managers(cast: Cast, risks: list[Risk], who: str, expected: int) -> None:
    before = audit_count()
    client = client_as(cast, who)
    assert client.post(api("risk_close", risks[1].public_id), {}, format="json").status_code == expected
    assert client.post(api("risk_reopen", risks[1].public_id), {}, format="json").status_code == expected
    assert Risk.objects.get(pk=risks[1].pk).status == Risk.Status.OPEN and audit_count() == before


def test_every_register_route_reads_for_the_owner(cast: Cast) -> None:
    records = risk_records(cast.org, cast.owner)
    client = api_client(cast.owner)
    answers = {}
    for route in urls_register.urlpatterns:
        assert isinstance(route, URLPattern)
        params = [records[name] for name in route.pattern.converters]
        answers[route.name] = client.get(api(str(route.name), *params)).status_code
    post_only = {"risk_close", "risk_reopen", "risk_action_complete", "risk_action_cancel", "risk_acceptance_withdraw"}
    assert {name for name, status in answers.items() if status == 405} == post_only
    assert {status for name, status in answers.items() if name not in post_only} == {200}
