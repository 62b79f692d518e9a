"""Sanctions over the API: policy versions, approval and review; the confidential log, its audited reads, the
signed reviews of the log, and who may reach what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Signature
from safeguard.core.roles import Role
from safeguard.core.services.evidence import evidence_upload
from safeguard.risk.models import SanctionLevel, SanctionPolicy, SanctionRecord
from safeguard.risk.services.sanctions import sanction_log_review
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_sanctions_support import (
    NOTES,
    PERSON,
    TODAY,
    VIOLATION,
    actor,
    approved,
    draft,
    leaked,
    member,
    orm_sanction,
    pdf,
    sanction,
)

BASE = "/api/v1/orgs/clinic/"
POLICIES = f"{BASE}sanction-policies/"
SANCTIONS = f"{BASE}sanctions/"
Status = SanctionPolicy.Status


def body(cast: Cast, **values: object) -> dict[str, object]:
    return {
        "person_name": PERSON,
        "person": cast.workforce.email,
        "occurred_on": (TODAY - timedelta(days=5)).isoformat(),
        "decided_on": TODAY.isoformat(),
        "violation": VIOLATION,
        "policy_breached": "Minimum necessary access",
        "level": "written_warning",
        "decided_by": str(cast.official.public_id),
        "notes": NOTES,
        **values,
    }


def client_for_role(cast: Cast, who: str) -> APIClient:
    if who == "privacy":
        return api_client(member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER))
    if who == "manager":
        return api_client(member(cast.org, "manager@clinic.test", Role.MANAGER))
    return client_as(cast, who)


# ---- the log: authorization -------------------------------------------------------------------------------------

LOG_READERS = [("owner", 200), ("privacy", 200), ("manager", 403), ("auditor", 403), ("workforce", 403)]
DENIED = [("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


@pytest.mark.parametrize(("who", "expected"), [*LOG_READERS, ("outsider", 404), ("anonymous", 401)])
def test_log_reads_matrix(cast: Cast, who: str, expected: int) -> None:
    record = sanction(cast)
    client = client_for_role(cast, who)
    before = audit_count()

    listed = client.get(SANCTIONS)
    one = client.get(f"{SANCTIONS}{record.public_id}/")

    assert (listed.status_code, one.status_code) == (expected, expected)
    if expected == 200:
        assert listed.json()["results"][0]["violation"] == VIOLATION
        assert one.json()["person_name"] == PERSON
        assert audit_count() == before + 2
    else:
        assert audit_count() == before
        assert VIOLATION not in listed.content.decode() + one.content.decode()


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), ("privacy", 201), *DENIED])
def test_record_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()

    response = client_for_role(cast, who).post(SANCTIONS, body(cast), format="json")

    assert response.status_code == expected
    if expected == 201:
        record = SanctionRecord.objects.get()
        assert response.json()["public_id"] == str(record.public_id)
        assert response.json()["person"]["email"] == cast.workforce.email
        assert AuditEvent.objects.filter(action="risk.sanction.recorded").count() == 1
        assert leaked(VIOLATION, PERSON, NOTES) == []
    else:
        assert not SanctionRecord.objects.exists()
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED])
def test_change_matrix(cast: Cast, who: str, expected: int) -> None:
    record = sanction(cast)
    before = audit_count()

    response = client_for_role(cast, who).patch(
        f"{SANCTIONS}{record.public_id}/",
        {"level": "suspension", "violation": "Exported a patient list"},
        format="json",
    )

    assert response.status_code == expected
    record.refresh_from_db()
    if expected == 200:
        assert record.level == SanctionLevel.SUSPENSION
        event = AuditEvent.objects.get(action="risk.sanction.updated")
        assert event.changes == {
            "level": ["(confidential)", "(confidential)"],
            "violation": ["(confidential)", "(confidential)"],
        }
        assert leaked("Exported a patient list", VIOLATION) == []
    else:
        assert record.level == SanctionLevel.WRITTEN_WARNING
        assert audit_count() == before


def test_another_organizations_sanction_is_not_found(cast: Cast) -> None:
    theirs = sanction(cast, org=cast.other_org)
    client = api_client(cast.owner)
    before = audit_count()

    assert client.get(f"{SANCTIONS}{theirs.public_id}/").status_code == 404
    assert client.patch(f"{SANCTIONS}{theirs.public_id}/", {"level": "coaching"}, format="json").status_code == 404
    assert [r["public_id"] for r in client.get(SANCTIONS).json()["results"]] == []
    assert audit_count() == before + 1  # the (empty) list read only
    theirs.refresh_from_db()
    assert theirs.level == SanctionLevel.WRITTEN_WARNING


# ---- the log: reads audited, filters, shapes --------------------------------------------------------------------


def test_a_list_read_is_one_audit_event_with_its_filters_and_page(cast: Cast) -> None:
    shown = orm_sanction(cast, TODAY, level=SanctionLevel.SUSPENSION)
    orm_sanction(cast, TODAY, level=SanctionLevel.COACHING)

    response = api_client(cast.owner).get(SANCTIONS, {"level": "suspension", "year": str(TODAY.year)})

    assert [r["public_id"] for r in response.json()["results"]] == [str(shown.public_id)]
    event = AuditEvent.objects.get(action="risk.sanctions.listed")
    assert event.changes == {
        "filters": [None, {"level": "suspension", "year": TODAY.year, "page": 1}],
        "shown": [None, [str(shown.public_id)]],
    }
    assert event.object_repr == "Sanctions log"


def test_a_detail_read_is_audited_once(cast: Cast) -> None:
    record = sanction(cast)
    api_client(cast.official).get(f"{SANCTIONS}{record.public_id}/")
    event = AuditEvent.objects.get(action="risk.sanction.viewed")
    assert (event.actor, event.object_id, event.object_repr) == (
        cast.official,
        str(record.public_id),
        f"Sanction {record.public_id}",
    )


def test_a_change_answers_with_the_whole_record_and_is_audited_as_a_read_too(cast: Cast) -> None:
    record = sanction(cast)
    response = api_client(cast.official).patch(f"{SANCTIONS}{record.public_id}/", {"notes": "Met HR"}, format="json")
    assert response.status_code == 200
    assert response.json()["violation"] == record.violation  # a field the request did not send
    events = AuditEvent.objects.filter(object_id=str(record.public_id)).order_by("pk")
    actions = list(events.values_list("action", flat=True))
    assert actions[-2:] == ["risk.sanction.updated", "risk.sanction.viewed"]


def test_the_year_filter_uses_the_decision_date(cast: Cast) -> None:
    orm_sanction(cast, add_years(TODAY, -1), person_name="Last year")
    orm_sanction(cast, TODAY, person_name="This year")
    rows = api_client(cast.owner).get(SANCTIONS, {"year": TODAY.year - 1}).json()["results"]
    assert [r["person_name"] for r in rows] == ["Last year"]


def test_bad_filters_are_refused_and_not_audited(cast: Cast) -> None:
    response = api_client(cast.owner).get(SANCTIONS, {"level": "flogging", "year": "soon"})
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"level", "year"}
    assert not AuditEvent.objects.filter(action="risk.sanctions.listed").exists()


def test_the_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = api_client(cast.owner)
    for _ in range(3):
        orm_sanction(cast, TODAY, person=cast.workforce)
    client.get(SANCTIONS)  # the first audited read also starts the organization's audit chain
    with CaptureQueriesContext(connection) as few:
        assert client.get(SANCTIONS).status_code == 200
    for _ in range(27):
        orm_sanction(cast, TODAY, person=cast.workforce, decided_by=cast.owner)
    with CaptureQueriesContext(connection) as many:
        assert client.get(SANCTIONS).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"decided_by": "owner@other.test"}, "decided_by"),
        ({"person": "nobody@clinic.test"}, "person"),
        ({"decided_on": (TODAY + timedelta(days=1)).isoformat()}, "decided_on"),
        ({"occurred_on": TODAY.isoformat(), "decided_on": (TODAY - timedelta(days=1)).isoformat()}, "occurred_on"),
        ({"level": "flogging"}, "level"),
        ({"violation": ""}, "violation"),
    ],
)
def test_a_refused_record_names_the_field(cast: Cast, values: dict[str, str], field: str) -> None:
    response = api_client(cast.owner).post(SANCTIONS, body(cast, **values), format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]
    assert not SanctionRecord.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_link_to_a_member_can_be_removed(cast: Cast) -> None:
    record = sanction(cast, person=cast.workforce)
    response = api_client(cast.owner).patch(f"{SANCTIONS}{record.public_id}/", {"person": None}, format="json")
    assert response.status_code == 200
    assert response.json()["person"] is None


# ---- the policy --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("manager", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_policy_reads_matrix(cast: Cast, who: str, expected: int) -> None:
    policy = approved(cast, "Coaching first.")
    client = client_for_role(cast, who)

    listed = client.get(POLICIES)
    one = client.get(f"{POLICIES}{policy.public_id}/")

    assert (listed.status_code, one.status_code) == (expected, expected)
    if expected == 200:
        assert listed.json()["results"][0]["version"] == 1
        assert one.json()["body"] == "Coaching first."
        assert [s["meaning"] for s in one.json()["signatures"]] == ["approved"]


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), ("privacy", 201), *DENIED])
def test_policy_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()

    response = client_for_role(cast, who).post(POLICIES, {"body": "Written warnings first."}, format="json")

    assert response.status_code == expected
    if expected == 201:
        assert response.json()["status"] == "draft" and response.json()["version"] == 1
    else:
        assert not SanctionPolicy.objects.exists()
        assert audit_count() == before


def test_a_draft_with_an_uploaded_document(cast: Cast) -> None:
    response = api_client(cast.owner).post(
        POLICIES, {"body": "Text", "title": "Sanctions", "document_file": pdf()}, format="multipart"
    )
    assert response.status_code == 201
    policy = SanctionPolicy.objects.get()
    assert response.json()["document_id"] == str(policy.document.public_id)  # type: ignore[union-attr]


def test_a_draft_names_existing_evidence_by_id(cast: Cast) -> None:
    evidence = evidence_upload(
        organization=cast.org, actor=actor(cast.owner), title="Signed", upload=pdf(), effective_date=TODAY
    )
    theirs = evidence_upload(
        organization=cast.other_org, actor=actor(cast.outsider), title="Theirs", upload=pdf(), effective_date=TODAY
    )
    client = api_client(cast.owner)

    ok = client.post(POLICIES, {"body": "Text", "document_id": str(evidence.public_id)}, format="json")
    refused = client.post(POLICIES, {"body": "Text", "document_id": str(theirs.public_id)}, format="json")

    assert ok.json()["document_id"] == str(evidence.public_id)
    assert refused.status_code == 400
    assert list(error_of(refused)["fields"]) == ["document_id"]


def test_an_empty_body_is_refused(cast: Cast) -> None:
    response = api_client(cast.owner).post(POLICIES, {"body": ""}, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["body"]


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("privacy", 200), *DENIED])
def test_policy_change_matrix(cast: Cast, who: str, expected: int) -> None:
    policy = draft(cast, "Old")
    before = audit_count()

    response = client_for_role(cast, who).patch(f"{POLICIES}{policy.public_id}/", {"body": "New"}, format="json")

    assert response.status_code == expected
    policy.refresh_from_db()
    assert policy.body == ("New" if expected == 200 else "Old")
    if expected != 200:
        assert audit_count() == before


def test_an_approved_version_cannot_be_changed(cast: Cast) -> None:
    policy = approved(cast, "Frozen")
    response = api_client(cast.owner).patch(f"{POLICIES}{policy.public_id}/", {"body": "New"}, format="json")
    assert response.status_code == 400
    assert "only a draft can be edited" in error_of(response)["message"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("privacy", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_approve_matrix(cast: Cast, who: str, expected: int) -> None:
    policy = draft(cast)
    before = audit_count()

    response = client_for_role(cast, who).post(
        f"{POLICIES}{policy.public_id}/approve/", {"statement": "Approved."}, format="json"
    )

    assert response.status_code == expected
    policy.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == "approved"
        assert response.json()["approval"]["signer"]["email"] == cast.owner.email
        assert response.json()["approved_at"] == response.json()["last_reviewed_at"]
    else:
        assert policy.status == Status.DRAFT
        assert audit_count() == before


def test_approving_supersedes_and_refuses_a_second_approval(cast: Cast) -> None:
    first = approved(cast)
    second = draft(cast, "Revised")
    client = api_client(cast.official)

    assert client.post(f"{POLICIES}{second.public_id}/approve/", {"statement": "Ok"}, format="json").status_code == 200
    again = client.post(f"{POLICIES}{second.public_id}/approve/", {"statement": "Ok"}, format="json")

    first.refresh_from_db()
    assert first.status == Status.SUPERSEDED
    assert again.status_code == 400 and "not a draft" in error_of(again)["message"]


def test_approval_needs_a_statement(cast: Cast) -> None:
    policy = draft(cast)
    response = api_client(cast.owner).post(f"{POLICIES}{policy.public_id}/approve/", {}, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["statement"]


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("privacy", 403), ("auditor", 403), ("outsider", 404)])
def test_review_matrix(cast: Cast, who: str, expected: int) -> None:
    policy = approved(cast)
    before = Signature.objects.count()

    response = client_for_role(cast, who).post(
        f"{POLICIES}{policy.public_id}/review/", {"statement": "Reviewed."}, format="json"
    )

    assert response.status_code == expected
    if expected == 200:
        assert [s["meaning"] for s in response.json()["signatures"]] == ["reviewed", "approved"]
    else:
        assert Signature.objects.count() == before


def test_reviewing_a_draft_is_refused(cast: Cast) -> None:
    policy = draft(cast)
    response = api_client(cast.owner).post(f"{POLICIES}{policy.public_id}/review/", {"statement": "x"}, format="json")
    assert response.status_code == 400


def test_another_organizations_policy_is_not_found(cast: Cast) -> None:
    theirs = draft(cast, org=cast.other_org)
    client = api_client(cast.owner)
    assert client.get(f"{POLICIES}{theirs.public_id}/").status_code == 404
    assert client.post(f"{POLICIES}{theirs.public_id}/approve/", {"statement": "x"}, format="json").status_code == 404
    assert client.get(POLICIES).json()["results"] == []


def test_the_policy_list_query_count_does_not_grow_with_versions(cast: Cast) -> None:
    client = api_client(cast.auditor)
    for _ in range(3):
        approved(cast)
    with CaptureQueriesContext(connection) as few:
        assert client.get(POLICIES).status_code == 200
    for _ in range(27):
        approved(cast)
    with CaptureQueriesContext(connection) as many:
        assert client.get(POLICIES).status_code == 200
    assert len(many) == len(few)


# ---- the schema --------------------------------------------------------------------------------------------------


def test_every_sanctions_route_is_documented_under_the_sanctions_tag() -> None:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    org = "/api/v1/orgs/{org_slug}"
    expected = {
        f"{org}/sanction-policies/": {"get", "post"},
        f"{org}/sanction-policies/{{policy_id}}/": {"get", "patch"},
        f"{org}/sanction-policies/{{policy_id}}/approve/": {"post"},
        f"{org}/sanction-policies/{{policy_id}}/review/": {"post"},
        f"{org}/sanctions/": {"get", "post"},
        f"{org}/sanctions/{{sanction_id}}/": {"get", "patch"},
        f"{org}/sanctions/log-reviews/": {"get", "post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
        for method in methods:
            assert paths[path][method]["tags"] == ["sanctions"], f"{method} {path}"
            assert paths[path][method]["summary"], f"{method} {path}"


# ---- signed reviews of the log ---------------------------------------------------------------------------------

LOG_REVIEWS = f"{BASE}sanctions/log-reviews/"
REVIEW = "Reviewed the log for 2025: complete."


def log_review(cast: Cast, statement: str = REVIEW) -> Signature:
    return sanction_log_review(organization=cast.org, actor=actor(cast.official), statement=statement)


@pytest.mark.parametrize(("who", "expected"), [*LOG_READERS, ("outsider", 404), ("anonymous", 401)])
def test_log_review_list_matrix(cast: Cast, who: str, expected: int) -> None:
    log_review(cast)
    sanction_log_review(organization=cast.other_org, actor=actor(cast.outsider), statement="Theirs.")
    response = client_for_role(cast, who).get(LOG_REVIEWS)
    assert response.status_code == expected
    if expected == 200:
        [row] = response.json()["results"]
        assert (row["statement"], row["meaning"], row["signer"]["email"]) == (REVIEW, "reviewed", cast.official.email)
    else:
        assert REVIEW not in response.content.decode()


def test_log_reviews_are_listed_newest_first_without_policy_signatures(cast: Cast) -> None:
    approved(cast)
    log_review(cast, "First review.")
    log_review(cast, "Second review.")
    rows = api_client(cast.owner).get(LOG_REVIEWS).json()["results"]
    assert [row["statement"] for row in rows] == ["Second review.", "First review."]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 201), ("privacy", 403), ("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)],
)
def test_log_review_sign_matrix(cast: Cast, who: str, expected: int) -> None:
    sanction(cast)
    before = audit_count()
    response = client_for_role(cast, who).post(LOG_REVIEWS, {"statement": REVIEW}, format="json")
    assert response.status_code == expected
    reviews = Signature.objects.filter(organization=cast.org, meaning=Signature.Meaning.REVIEWED)
    if expected == 201:
        signed = response.json()
        assert (signed["statement"], signed["signer"]["email"], signed["meaning"]) == (
            REVIEW,
            cast.owner.email,
            "reviewed",
        )
        assert reviews.get().content_sha256 == signed["content_sha256"]
        assert VIOLATION not in response.content.decode()
    else:
        assert not reviews.exists()
        assert audit_count() == before


def test_a_log_review_needs_a_statement(cast: Cast) -> None:
    before = audit_count()
    response = api_client(cast.official).post(LOG_REVIEWS, {"statement": "  "}, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["statement"]
    assert not Signature.objects.exists()
    assert audit_count() == before


def test_another_organizations_log_reviews_are_not_reached(cast: Cast) -> None:
    log_review(cast)
    outsider = api_client(cast.outsider)
    assert outsider.get("/api/v1/orgs/other/sanctions/log-reviews/").json()["results"] == []
    assert outsider.post(LOG_REVIEWS, {"statement": "Sneaky."}, format="json").status_code == 404
    assert list(Signature.objects.values_list("statement", flat=True)) == [REVIEW]


def test_the_log_review_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)
    for index in range(3):
        log_review(cast, f"Review {index}.")
    with CaptureQueriesContext(connection) as few:
        client.get(LOG_REVIEWS)
    for index in range(3, 30):
        log_review(cast, f"Review {index}.")
    with CaptureQueriesContext(connection) as many:
        client.get(LOG_REVIEWS)
    assert len(many) == len(few)
