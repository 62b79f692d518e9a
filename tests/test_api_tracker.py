"""The tracker over the API: requirements with verdicts, attestations (with evidence), addressable decisions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, Signature
from safeguard.core.roles import Role
from safeguard.core.services.evidence import evidence_upload
from safeguard.tracker.evaluation import tracker_evaluate
from safeguard.tracker.models import AddressableDecision, Attestation
from safeguard.tracker.services import attestation_record, decision_record
from tests.conftest import Cast, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of

ORG = "/api/v1/orgs/clinic/"
REQUIREMENTS = f"{ORG}requirements/"
ATTESTATIONS = f"{ORG}attestations/"
DECISIONS = f"{ORG}decisions/"
AUDIT_LOGS = "164.312(b)"  # a standard without specifications
ENCRYPTION = "164.312(a)(2)(iv)"  # an addressable specification
RISK_ANALYSIS = "164.308(a)(1)(ii)(A)"  # a required specification
READ_MATRIX = [("owner", 200), ("workforce", 403), ("auditor", 200), ("outsider", 404), ("anonymous", 401)]
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def in_a_year() -> str:
    return (timezone.localdate() + timedelta(days=365)).isoformat()


def attested(cast: Cast, citation: str = AUDIT_LOGS) -> Attestation:
    return attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation=citation,
        statement="Audit logging is on for the EHR and file servers.",
        expires_on=timezone.localdate() + timedelta(days=200),
        evidence_file=SimpleUploadedFile("logging.txt", b"audit log settings", content_type="text/plain"),
    )


def decided(cast: Cast) -> AddressableDecision:
    return decision_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation=ENCRYPTION,
        decision=AddressableDecision.Decision.IMPLEMENTED,
        rationale="Full-disk encryption on every laptop.",
        review_on=timezone.localdate() + timedelta(days=365),
    )


def some_evidence(cast: Cast, organization: object = None, title: str = "Log settings") -> Evidence:
    return evidence_upload(
        organization=organization or cast.org,  # type: ignore[arg-type]
        actor=Actor(user=cast.owner),
        title=title,
        upload=SimpleUploadedFile("settings.txt", b"audit=on", content_type="text/plain"),
        effective_date=date(2025, 2, 1),
    )


# ---- requirements -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
def test_requirements_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_as(cast, who).get(REQUIREMENTS)
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["count"] == 68
        assert len(body["results"]) == 50
        first = body["results"][0]
        assert first["citation"] == "164.308(a)(1)"
        assert (first["verdict"], first["basis"], first["reason"]) == ("unknown", "none", "Not evaluated yet.")
        assert body["results"][1]["parent"] == "164.308(a)(1)"


def test_requirements_show_the_stored_verdicts(cast: Cast) -> None:
    attestation = attested(cast)
    tracker_evaluate(organization=cast.org, actor=Actor.system("test"))
    client = api_client(cast.auditor)
    met = {r["citation"]: r for r in client.get(REQUIREMENTS, {"status": "met"}).json()["results"]}
    assert set(r["verdict"] for r in met.values()) == {"met"}
    logs = met[AUDIT_LOGS]
    assert logs["basis"] == "attestation"
    assert logs["evaluated_at"] is not None
    assert str(attestation.public_id) in [record["id"] for record in logs["records"]]
    unknown = client.get(REQUIREMENTS, {"status": "unknown"}).json()["results"]
    assert AUDIT_LOGS not in [r["citation"] for r in unknown]
    technical = client.get(REQUIREMENTS, {"safeguard": "technical"}).json()
    assert technical["count"] == 12
    open_technical = client.get(REQUIREMENTS, {"safeguard": "technical", "status": "open"}).json()
    assert AUDIT_LOGS not in [r["citation"] for r in open_technical["results"]]


def test_requirements_bad_filter_is_400(cast: Cast) -> None:
    response = api_client(cast.owner).get(REQUIREMENTS, {"status": "great", "safeguard": "moral"})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"status", "safeguard"}


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
def test_requirement_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_as(cast, who).get(f"{REQUIREMENTS}164.308(a)(1)/")
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["parent"] is None
        assert body["children"] == [f"164.308(a)(1)(ii)({x})" for x in "ABCD"]


def test_requirement_detail_accepts_percent_encoded_parentheses(cast: Cast) -> None:
    response = api_client(cast.owner).get(f"{REQUIREMENTS}164.308%28a%29%281%29%28ii%29%28A%29/")
    assert response.status_code == 200
    assert response.json()["citation"] == RISK_ANALYSIS
    assert response.json()["parent"] == "164.308(a)(1)"


def test_unknown_citation_is_404_naming_it(cast: Cast) -> None:
    response = api_client(cast.owner).get(f"{REQUIREMENTS}164.999(z)/")
    assert response.status_code == 404
    assert "164.999(z)" in str(error_of(response)["message"])


def test_requirements_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(REQUIREMENTS).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    for citation in (AUDIT_LOGS, RISK_ANALYSIS, "164.312(d)"):
        attested(cast, citation)
    tracker_evaluate(organization=cast.org, actor=Actor.system("test"))
    assert count() == before


# ---- attestations -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
def test_attestation_list_matrix(cast: Cast, who: str, expected: int) -> None:
    attested(cast)
    response = client_as(cast, who).get(ATTESTATIONS)
    assert response.status_code == expected
    if expected == 200:
        assert [r["citation"] for r in response.json()["results"]] == [AUDIT_LOGS]


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_attestation_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    body = {"citation": AUDIT_LOGS, "statement": "Logging is on.", "expires_on": in_a_year()}
    response = client_as(cast, who).post(ATTESTATIONS, body, format="json")
    assert response.status_code == expected
    if expected == 201:
        attestation = Attestation.objects.get()
        assert response.json()["public_id"] == str(attestation.public_id)
        assert attestation.attested_by == cast.owner
        assert AuditEvent.objects.filter(action="attestation.recorded").count() == 1
    else:
        assert not Attestation.objects.exists()
        assert audit_count() == before


def test_attestation_with_an_uploaded_file(cast: Cast) -> None:
    body = {
        "citation": AUDIT_LOGS,
        "statement": "Logging is on.",
        "expires_on": in_a_year(),
        "evidence_file": SimpleUploadedFile("siem.png", b"\x89PNG\r\n\x1a\n....", content_type="image/png"),
        "evidence_title": "SIEM screenshot",
    }
    response = api_client(cast.owner).post(ATTESTATIONS, body, format="multipart")
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    assert evidence.title == "SIEM screenshot"
    assert response.json()["evidence"] == [{"public_id": str(evidence.public_id), "title": "SIEM screenshot"}]


def test_attestation_linking_existing_evidence(cast: Cast) -> None:
    evidence = some_evidence(cast)
    body = {"citation": AUDIT_LOGS, "statement": "On.", "expires_on": in_a_year(), "evidence_id": evidence.public_id}
    response = api_client(cast.owner).post(ATTESTATIONS, body, format="json")
    assert response.status_code == 201
    attestation = Attestation.objects.get()
    assert EvidenceLink.objects.filter(evidence=evidence, target_id=str(attestation.public_id)).exists()
    assert response.json()["evidence"][0]["public_id"] == str(evidence.public_id)


def test_attestation_with_foreign_evidence_creates_nothing(cast: Cast) -> None:
    foreign = some_evidence(cast, organization=cast.other_org, title="Theirs")
    before = audit_count()
    body = {"citation": AUDIT_LOGS, "statement": "On.", "expires_on": in_a_year(), "evidence_id": foreign.public_id}
    response = api_client(cast.owner).post(ATTESTATIONS, body, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["evidence_id"]
    assert not Attestation.objects.exists()
    assert audit_count() == before


def test_attestation_malformed_body_names_the_fields(cast: Cast) -> None:
    body = {"citation": AUDIT_LOGS, "expires_on": "next year"}
    response = api_client(cast.owner).post(ATTESTATIONS, body, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"statement", "expires_on"}
    assert error["fields"]["expires_on"]


def test_attestation_file_and_evidence_id_together_are_refused(cast: Cast) -> None:
    evidence = some_evidence(cast)
    body = {
        "citation": AUDIT_LOGS,
        "statement": "On.",
        "expires_on": in_a_year(),
        "evidence_id": str(evidence.public_id),
        "evidence_file": SimpleUploadedFile("a.txt", b"x", content_type="text/plain"),
    }
    response = api_client(cast.owner).post(ATTESTATIONS, body, format="multipart")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["evidence_id"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"citation": "164.999(z)", "expires_on": "2030-01-01"}, "citation"),
        ({"citation": AUDIT_LOGS, "expires_on": "2020-01-01"}, "expires_on"),
        ({"citation": "164.308(a)(1)", "expires_on": "2030-01-01"}, "citation"),  # a standard with specifications
    ],
)
def test_attestation_refused_by_the_service(cast: Cast, body: dict[str, str], field: str) -> None:
    response = api_client(cast.owner).post(ATTESTATIONS, {**body, "statement": "On."}, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert not Attestation.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED_WRITE])
def test_attestation_withdraw_matrix(cast: Cast, who: str, expected: int) -> None:
    attestation = attested(cast)
    before = audit_count()
    response = client_as(cast, who).post(f"{ATTESTATIONS}{attestation.public_id}/withdraw/")
    assert response.status_code == expected
    attestation.refresh_from_db()
    if expected == 200:
        assert attestation.withdrawn_at is not None
        assert response.json()["withdrawn_at"] is not None
    else:
        assert attestation.withdrawn_at is None
        assert audit_count() == before


def test_withdrawing_twice_is_refused(cast: Cast) -> None:
    attestation = attested(cast)
    client = api_client(cast.owner)
    assert client.post(f"{ATTESTATIONS}{attestation.public_id}/withdraw/").status_code == 200
    again = client.post(f"{ATTESTATIONS}{attestation.public_id}/withdraw/")
    assert again.status_code == 400
    assert error_of(again)["message"] == "This attestation is already withdrawn."


def test_other_orgs_attestation_is_404(cast: Cast) -> None:
    attestation = attested(cast)
    for org in ("clinic", "other"):
        url = f"/api/v1/orgs/{org}/attestations/{attestation.public_id}/withdraw/"
        assert api_client(cast.outsider).post(url).status_code == 404
    attestation.refresh_from_db()
    assert attestation.withdrawn_at is None


def test_attestation_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)

    def count_for(n: int) -> int:
        for _ in range(Attestation.objects.count(), n):
            attestation = attested(cast)
            EvidenceLink.objects.create(
                evidence=some_evidence(cast), target_type="tracker.attestation", target_id=str(attestation.public_id)
            )
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(ATTESTATIONS).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)


# ---- addressable decisions ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READ_MATRIX)
def test_decision_list_matrix(cast: Cast, who: str, expected: int) -> None:
    decided(cast)
    response = client_as(cast, who).get(DECISIONS)
    assert response.status_code == expected
    if expected == 200:
        row = response.json()["results"][0]
        assert (row["citation"], row["decision"], row["signed_by"]) == (ENCRYPTION, "implemented", None)


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_decision_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    body = {"citation": ENCRYPTION, "decision": "implemented", "rationale": "FDE everywhere.", "review_on": in_a_year()}
    response = client_as(cast, who).post(DECISIONS, body, format="json")
    assert response.status_code == expected
    if expected == 201:
        decision = AddressableDecision.objects.get()
        assert decision.created_by == cast.owner
        event = AuditEvent.objects.get(action="decision.recorded")
        assert (event.organization, event.actor, event.object_id) == (cast.org, cast.owner, str(decision.public_id))
        assert event.changes["decision"] == [None, "implemented"]
    else:
        assert not AddressableDecision.objects.exists()
        assert audit_count() == before


def test_decision_on_a_required_specification_is_refused(cast: Cast) -> None:
    body = {"citation": RISK_ANALYSIS, "decision": "implemented", "rationale": "x", "review_on": in_a_year()}
    response = api_client(cast.owner).post(DECISIONS, body, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["citation"]


def test_decision_malformed_body_names_the_fields(cast: Cast) -> None:
    response = api_client(cast.owner).post(DECISIONS, {"decision": "maybe", "review_on": "later"}, format="json")
    assert response.status_code == 400
    fields = error_of(response)["fields"]
    assert set(fields) == {"citation", "decision", "rationale", "review_on"}


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("official", 200), *DENIED_WRITE])
def test_decision_sign_matrix(cast: Cast, who: str, expected: int) -> None:
    decision = decided(cast)
    before = audit_count()
    response = client_as(cast, who).post(f"{DECISIONS}{decision.public_id}/sign/")
    assert response.status_code == expected
    decision.refresh_from_db()
    if expected == 200:
        assert decision.signature is not None
        assert response.json()["signed_by"]["email"] == decision.signature.signer.email
    else:
        assert decision.signature is None
        assert not Signature.objects.exists()
        assert audit_count() == before


def test_privacy_officer_may_record_but_not_sign(cast: Cast) -> None:
    officer = make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user
    decision = decided(cast)
    assert api_client(officer).post(f"{DECISIONS}{decision.public_id}/sign/").status_code == 403
    assert not Signature.objects.exists()


def test_signing_twice_is_refused(cast: Cast) -> None:
    decision = decided(cast)
    client = api_client(cast.owner)
    assert client.post(f"{DECISIONS}{decision.public_id}/sign/").status_code == 200
    again = client.post(f"{DECISIONS}{decision.public_id}/sign/")
    assert again.status_code == 400
    assert error_of(again)["message"] == "This decision is already signed."
    assert Signature.objects.count() == 1


def test_decision_filters(cast: Cast) -> None:
    first = decided(cast)
    decided(cast)  # supersedes the first
    client = api_client(cast.owner)
    current = client.get(DECISIONS, {"current": "true"}).json()["results"]
    assert first.public_id not in [r["public_id"] for r in current]
    assert len(current) == 1
    superseded = client.get(DECISIONS, {"current": "false"}).json()["results"]
    assert [r["public_id"] for r in superseded] == [str(first.public_id)]
    assert client.get(DECISIONS).json()["count"] == 2
    assert client.get(DECISIONS, {"citation": RISK_ANALYSIS}).json()["count"] == 0


def test_other_orgs_decision_is_404(cast: Cast) -> None:
    decision = decided(cast)
    for org in ("clinic", "other"):
        assert (
            api_client(cast.outsider).post(f"/api/v1/orgs/{org}/decisions/{decision.public_id}/sign/").status_code
            == 404
        )
    decision.refresh_from_db()
    assert decision.signature is None


def test_decision_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)

    def count_for(n: int) -> int:
        for _ in range(AddressableDecision.objects.count(), n):
            decided(cast)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(DECISIONS).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)
