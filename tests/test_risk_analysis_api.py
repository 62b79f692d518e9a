"""Risk analyses over the API: start, read, change, submit, return, approve; risks in an analysis (the signed copy
once approved) and re-assessment; the authorization matrix, isolation and flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import Signature
from safeguard.core.services.signatures import content_hash
from safeguard.risk.models import Risk, RiskAnalysis, Threat, ThreatSource
from safeguard.risk.services.analyses import analysis_approve, analysis_submit
from safeguard.risk.services.risks import risk_assess
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_analysis_support import actor, approved, asset, in_review, record, start

BASE = "/api/v1/orgs/clinic/analyses/"
OTHER = "/api/v1/orgs/other/analyses/"
Status = RiskAnalysis.Status
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def path(analysis: RiskAnalysis, tail: str = "") -> str:
    return f"{BASE}{analysis.public_id}/{tail}"


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_list_and_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    analysis = start(cast)
    client = client_as(cast, who)
    listed = client.get(BASE)
    assert listed.status_code == expected
    assert client.get(path(analysis)).status_code == expected
    if expected == 200:
        assert [row["title"] for row in listed.json()["results"]] == ["2026 risk analysis"]


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_start_matrix(cast: Cast, who: str, expected: int) -> None:
    asset(cast, "EHR server")
    before = audit_count()
    response = client_as(cast, who).post(BASE, {"title": "2026"}, format="json")
    assert response.status_code == expected
    if expected == 201:
        body = response.json()
        assert (body["status"], body["scope_count"], body["risk_count"]) == ("draft", 1, 0)
        assert body["method"]["profile"] == "5x5"
    else:
        assert not RiskAnalysis.objects.exists()
        assert audit_count() == before


def test_start_while_one_is_open_is_a_400_naming_it(cast: Cast) -> None:
    start(cast, "Open one")
    response = api_client(cast.owner).post(BASE, {"title": "2026"}, format="json")
    assert response.status_code == 400
    assert "Finish or approve “Open one” first" in error_of(response)["fields"]["title"][0]


def test_detail_counts_levels_and_unrated(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis, "A", likelihood=5, impact=5)
    record(cast, analysis, "B", likelihood=None)
    body = api_client(cast.auditor).get(path(analysis)).json()
    assert body["levels"] == {"critical": 1, "unrated": 1}
    assert (body["risk_count"], body["unrated"]) == (2, ["R-0002"])


def test_patch_changes_a_draft_only(cast: Cast) -> None:
    analysis = start(cast)
    client = api_client(cast.owner)
    assert client.patch(path(analysis), {"title": "Renamed"}, format="json").json()["title"] == "Renamed"
    record(cast, analysis)
    client.post(path(analysis, "submit/"))
    refused = client.patch(path(analysis), {"title": "Again"}, format="json")
    assert refused.status_code == 400
    assert "Only an analysis that is draft can be changed" in error_of(refused)["message"]


def test_submit_refusals_and_return(cast: Cast) -> None:
    analysis = start(cast)
    client = api_client(cast.official)
    empty = client.post(path(analysis, "submit/"))
    assert empty.status_code == 400 and "Record at least one risk" in error_of(empty)["message"]
    record(cast, analysis)
    assert client.post(path(analysis, "submit/")).json()["status"] == "in_review"

    no_reason = client.post(path(analysis, "return/"), {}, format="json")
    assert list(error_of(no_reason)["fields"]) == ["reason"]
    assert client.post(path(analysis, "return/"), {"reason": "Again."}, format="json").json()["status"] == "draft"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("official", 200), ("owner", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_approve_matrix(cast: Cast, who: str, expected: int) -> None:
    analysis = in_review(cast)
    before = audit_count()
    response = client_as(cast, who).post(path(analysis, "approve/"), {"statement": "I approve."}, format="json")
    assert response.status_code == expected
    analysis.refresh_from_db()
    if expected == 200:
        assert response.json()["approval"]["signer"]["email"] == cast.official.email
        assert analysis.approved_content is not None
        assert content_hash(analysis.approved_content) == response.json()["approval"]["content_sha256"]
    else:
        assert analysis.status == Status.IN_REVIEW
        assert not Signature.objects.exists()
        assert audit_count() == before
    if who == "owner":
        assert "security official" in error_of(response)["message"]


def test_approve_refuses_a_draft(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis)
    response = api_client(cast.official).post(path(analysis, "approve/"), {}, format="json")
    assert response.status_code == 400
    assert "Only an analysis that is in review can be approved" in error_of(response)["message"]


def test_workflow_posts_on_another_organizations_analysis_are_404(cast: Cast) -> None:
    analysis = in_review(cast)
    client = api_client(cast.outsider)
    for tail in ("submit/", "return/", "approve/", "risks/"):
        assert client.post(f"{OTHER}{analysis.public_id}/{tail}", {}, format="json").status_code == 404
    assert RiskAnalysis.objects.get().status == Status.IN_REVIEW


# --- risks --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_create_risk_matrix(cast: Cast, who: str, expected: int) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    before = audit_count()
    body = {"title": "Ransomware", "asset_ids": [str(server.public_id)], "likelihood": 4, "impact": 5}
    response = client_as(cast, who).post(path(analysis, "risks/"), body, format="json")
    assert response.status_code == expected
    if expected == 201:
        created = response.json()
        assert (created["reference"], created["inherent_level"]) == ("R-0001", "critical")
        assert created["assets"] == [{"public_id": str(server.public_id), "name": "EHR server"}]
    else:
        assert not Risk.objects.exists()
        assert audit_count() == before


def test_create_risk_errors_use_the_api_field_names(cast: Cast) -> None:
    analysis = start(cast)
    outside = asset(cast, "Added later")
    client = api_client(cast.owner)

    off_scale = client.post(path(analysis, "risks/"), {"title": "X", "likelihood": 7}, format="json")
    assert error_of(off_scale)["fields"] == {"likelihood": ["likelihood 7 is outside the 5×5 matrix (1–5)."]}
    not_scoped = client.post(
        path(analysis, "risks/"), {"title": "X", "asset_ids": [str(outside.public_id)]}, format="json"
    )
    assert list(error_of(not_scoped)["fields"]) == ["asset_ids"]
    theirs = Threat.objects.create(organization=cast.other_org, name="T", source_type=ThreatSource.ACCIDENTAL)
    foreign = client.post(path(analysis, "risks/"), {"title": "X", "threat_id": str(theirs.public_id)}, format="json")
    assert list(error_of(foreign)["fields"]) == ["threat_id"]
    unknown_owner = client.post(path(analysis, "risks/"), {"title": "X", "owner": "owner@other.test"}, format="json")
    assert list(error_of(unknown_owner)["fields"]) == ["owner"]
    assert not Risk.objects.exists()


def test_risks_list_filters_and_warns(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis, "High", likelihood=3, impact=4)
    record(cast, analysis, "Worse after", likelihood=1, impact=1, residual_likelihood=2, residual_impact=2)
    client = api_client(cast.auditor)
    rows = client.get(path(analysis, "risks/")).json()["results"]
    assert [row["title"] for row in rows] == ["High", "Worse after"]
    assert rows[1]["warnings"] and not rows[0]["warnings"]
    assert [r["title"] for r in client.get(path(analysis, "risks/"), {"level": "high"}).json()["results"]] == ["High"]
    assert client.get(path(analysis, "risks/"), {"treatment": "sometime"}).status_code == 400


def test_risks_list_query_count_is_flat(cast: Cast) -> None:
    threat = Threat.objects.create(organization=cast.org, name="Ransomware", source_type=ThreatSource.ADVERSARIAL)
    servers = [asset(cast, f"Server {index}") for index in range(4)]
    analysis = start(cast)
    client = api_client(cast.auditor)
    for index in range(3):
        record(cast, analysis, f"R{index}", assets=servers[:2], threat=threat, requirements=["164.312(a)(1)"])
    with CaptureQueriesContext(connection) as few:
        client.get(path(analysis, "risks/"))
    for index in range(3, 30):
        record(cast, analysis, f"R{index}", assets=servers, threat=threat, owner=cast.official)
    with CaptureQueriesContext(connection) as many:
        client.get(path(analysis, "risks/"))
    assert len(many) == len(few)


def test_analysis_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.auditor)
    approved(cast, "A0")
    with CaptureQueriesContext(connection) as few:
        client.get(BASE)
    for index in range(1, 10):
        approved(cast, f"A{index}")
    with CaptureQueriesContext(connection) as many:
        client.get(BASE)
    assert len(many) == len(few)


@pytest.mark.parametrize(("who", "expected"), [("official", 200), *DENIED_WRITE])
def test_assessment_matrix(cast: Cast, who: str, expected: int) -> None:
    risk = record(cast, start(cast))
    before = audit_count()
    body = {"likelihood": 1, "impact": 1}
    org = "other" if who == "outsider" else "clinic"
    response = client_as(cast, who).patch(f"/api/v1/orgs/{org}/risks/{risk.public_id}/assessment/", body, format="json")
    assert response.status_code == expected
    risk.refresh_from_db()
    if expected == 200:
        assert response.json()["inherent_score"] == 1 == risk.inherent_score
    else:
        assert risk.inherent_score == 12
        assert audit_count() == before


def test_assessment_of_an_approved_analysis_risk_is_refused(cast: Cast) -> None:
    risk = Risk.objects.get(analysis=approved(cast))
    client = api_client(cast.owner)
    response = client.patch(f"/api/v1/orgs/clinic/risks/{risk.public_id}/assessment/", {"impact": 1}, format="json")
    assert response.status_code == 400
    assert "start a new analysis to re-rate it" in error_of(response)["message"]
    owner_change = client.patch(
        f"/api/v1/orgs/clinic/risks/{risk.public_id}/assessment/", {"owner": cast.owner.email}, format="json"
    )
    assert list(error_of(owner_change)["fields"]) == ["owner"]


# --- an approved analysis serves its signed copy ---------------------------------------------------------------------


def carried_and_reassessed(cast: Cast) -> tuple[RiskAnalysis, RiskAnalysis, Risk]:
    """An approved analysis whose only risk was then carried into a new analysis and re-assessed there."""
    server = asset(cast, "EHR server")
    first = start(cast, "2025 analysis")
    record(cast, first, "Ransomware", assets=[server], owner=cast.official, requirements=["164.312(a)(1)"])
    analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=first)
    analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=first, statement="I approve.")
    second = start(cast, "2026 analysis")
    risk = Risk.objects.get()
    risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, title="Re-assessed", likelihood=1)
    return first, second, risk


def test_an_approved_analysis_lists_its_risks_as_signed(cast: Cast) -> None:
    first, _second, risk = carried_and_reassessed(cast)
    client = api_client(cast.auditor)

    [row] = client.get(path(first, "risks/")).json()["results"]

    assert (row["public_id"], row["reference"], row["title"]) == (str(risk.public_id), "R-0001", "Ransomware")
    assert (row["analysis_id"], row["likelihood"], row["impact"]) == (str(first.public_id), 3, 4)
    assert (row["inherent_score"], row["inherent_level"], row["status"]) == (12, "high", "open")
    assert row["assets"] == [{"public_id": None, "name": "EHR server"}]
    assert row["owner"] == {"public_id": None, "email": cast.official.email, "name": ""}
    assert (row["threat"], row["updated_at"], row["requirements"]) == (None, None, ["164.312(a)(1)"])


def test_the_signed_copy_has_the_shape_of_a_live_risk_and_is_filtered_alike(cast: Cast) -> None:
    first, second, _risk = carried_and_reassessed(cast)
    client = api_client(cast.auditor)

    [signed] = client.get(path(first, "risks/")).json()["results"]
    [live] = client.get(path(second, "risks/")).json()["results"]

    assert set(signed) == set(live)
    assert (live["title"], live["likelihood"], live["analysis_id"]) == ("Re-assessed", 1, str(second.public_id))
    assert live["assets"][0]["public_id"] is not None and live["updated_at"] is not None
    assert client.get(path(first, "risks/"), {"level": "high"}).json()["count"] == 1
    assert client.get(path(first, "risks/"), {"level": "low"}).json()["count"] == 0
    assert client.get(path(first, "risks/"), {"treatment": "none"}).json()["count"] == 1
    assert client.get(path(first, "risks/"), {"treatment": "accept"}).json()["count"] == 0


def test_the_signed_copy_warns_like_a_live_risk(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis, "Worse after", likelihood=1, impact=1, residual_likelihood=2, residual_impact=2)
    analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=analysis)
    analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=analysis, statement="I approve.")

    [row] = api_client(cast.auditor).get(path(analysis, "risks/")).json()["results"]

    assert row["warnings"] == [
        "R-0001: the residual score (4) is higher than the inherent score (1); planned controls should not make "
        "the risk worse."
    ]


def test_the_signed_copy_pages_in_a_flat_number_of_queries(cast: Cast) -> None:
    few_analysis = start(cast, "Few")
    for index in range(3):
        record(cast, few_analysis, f"R{index}")
    analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=few_analysis)
    analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=few_analysis, statement="Yes.")
    many_analysis = start(cast, "Many")
    for index in range(3, 30):
        record(cast, many_analysis, f"R{index}")
    analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=many_analysis)
    analysis_approve(organization=cast.org, actor=actor(cast.official), analysis=many_analysis, statement="Yes.")
    client = api_client(cast.auditor)

    with CaptureQueriesContext(connection) as few:
        assert client.get(path(few_analysis, "risks/")).json()["count"] == 3
    with CaptureQueriesContext(connection) as many:
        assert client.get(path(many_analysis, "risks/")).json()["count"] == 30
    assert len(many) == len(few)
