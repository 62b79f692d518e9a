"""Acknowledgements over the API: the role matrix (nothing written on denial), isolation between organizations,
documents, versions and publishing, the status list (filters, flat queries), paper records, and the caller's own
documents."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.services.evidence import evidence_upload
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, AckRequest
from safeguard.training.services.acknowledgements import acknowledgement_record
from tests.access_factories import person
from tests.conftest import Cast
from tests.test_api_support import audit_count, client_as, error_of
from tests.test_training_acks_support import document, draft, nurse, published, scan

ORG = "/api/v1/orgs/clinic/training"


def signed_page(cast: Cast) -> str:
    evidence = evidence_upload(
        organization=cast.org,
        actor=Actor(user=cast.official),
        title="Signed page",
        upload=scan(),
        effective_date=timezone.localdate(),
    )
    return str(evidence.public_id)


def writes(cast: Cast) -> list[tuple[str, str, dict[str, Any]]]:
    doc = document(cast)
    version = draft(cast, doc)
    current = published(cast, document(cast, "Other"))
    return [
        ("post", f"{ORG}/documents/", {"title": "New", "kind": "policy"}),
        ("patch", f"{ORG}/documents/{doc.public_id}/", {"title": "Renamed"}),
        ("post", f"{ORG}/documents/{doc.public_id}/retire/", {}),
        ("post", f"{ORG}/documents/{current.document.public_id}/versions/", {"body": "Text"}),
        ("patch", f"{ORG}/document-versions/{version.public_id}/", {"body": "Changed"}),
        ("post", f"{ORG}/document-versions/{version.public_id}/publish/", {}),
        (
            "post",
            f"{ORG}/document-versions/{current.public_id}/acknowledgements/",
            {"person": "N-1", "acknowledged_at": timezone.now().isoformat(), "evidence": signed_page(cast)},
        ),
    ]


@pytest.mark.parametrize(
    ("who", "expected"), [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_denied_writes_change_nothing(cast: Cast, who: str, expected: int) -> None:
    nurse(cast)
    calls = writes(cast)
    client = client_as(cast, who)
    before = (
        audit_count(),
        AckDocument.objects.count(),
        AckDocumentVersion.objects.count(),
        AckRequest.objects.count(),
    )

    codes = [getattr(client, method)(path, data, format="json").status_code for method, path, data in calls]

    assert codes == [expected] * len(calls)
    after = (audit_count(), AckDocument.objects.count(), AckDocumentVersion.objects.count(), AckRequest.objects.count())
    assert after == before
    assert not Acknowledgement.objects.exists()
    assert set(AckDocument.objects.values_list("title", flat=True)) == {"Acceptable use policy", "Other"}


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_program_viewers_read(cast: Cast, who: str, expected: int) -> None:
    version = published(cast, document(cast))
    client = client_as(cast, who)
    doc = version.document.public_id

    codes = [
        client.get(path).status_code
        for path in (
            f"{ORG}/documents/",
            f"{ORG}/documents/{doc}/",
            f"{ORG}/documents/{doc}/versions/",
            f"{ORG}/document-versions/{version.public_id}/",
            f"{ORG}/document-versions/{version.public_id}/status/",
        )
    ]

    assert codes == [expected] * 5


def test_another_organizations_records_are_not_found(cast: Cast) -> None:
    theirs = published(cast, document(cast, org=cast.other_org))
    their_draft = draft(cast, document(cast, "Theirs", org=cast.other_org))
    client = client_as(cast, "owner")
    before = audit_count()

    codes = [
        client.get(f"{ORG}/documents/{theirs.document.public_id}/").status_code,
        client.patch(f"{ORG}/documents/{theirs.document.public_id}/", {"title": "x"}, format="json").status_code,
        client.post(f"{ORG}/documents/{theirs.document.public_id}/retire/").status_code,
        client.get(f"{ORG}/documents/{theirs.document.public_id}/versions/").status_code,
        client.get(f"{ORG}/document-versions/{theirs.public_id}/").status_code,
        client.post(f"{ORG}/document-versions/{their_draft.public_id}/publish/").status_code,
        client.get(f"{ORG}/document-versions/{theirs.public_id}/status/").status_code,
        client.post(f"{ORG}/document-versions/{theirs.public_id}/acknowledgements/", {}, format="json").status_code,
        client_as(cast, "workforce")
        .post(f"{ORG}/me/acknowledgements/{theirs.public_id}/", {"confirm": True})
        .status_code,
    ]

    assert codes == [404] * 9
    assert audit_count() == before
    assert [d["title"] for d in client.get(f"{ORG}/documents/").json()["results"]] == []


def test_a_manager_writes_and_publishes_a_document(cast: Cast) -> None:
    nurse(cast)
    client = client_as(cast, "owner")

    created = client.post(
        f"{ORG}/documents/",
        {"title": "Lost device", "kind": "quick_reference", "audience": "department", "audience_values": ["Nursing"]},
        format="json",
    )
    doc = created.json()["public_id"]
    written = client.post(f"{ORG}/documents/{doc}/versions/", {"body": "Call the help desk."}, format="json")
    version = written.json()["public_id"]
    publish = client.post(f"{ORG}/document-versions/{version}/publish/")

    assert (created.status_code, written.status_code, publish.status_code) == (201, 201, 200)
    assert created.json()["audience_values"] == ["Nursing"]
    assert publish.json()["requested"] == 1 and publish.json()["superseded_number"] is None
    assert publish.json()["version"]["status"] == "published"
    listed = client.get(f"{ORG}/documents/").json()["results"][0]
    assert (listed["current_version_id"], listed["asked"], listed["acknowledged"]) == (version, 1, None)


def test_refusals_name_the_field(cast: Cast) -> None:
    doc = document(cast)
    published(cast, doc)
    client = client_as(cast, "owner")

    kind = client.post(f"{ORG}/documents/", {"title": "S", "kind": "sanction_policy"}, format="json")
    frozen = client.patch(
        f"{ORG}/document-versions/{doc.versions.get().public_id}/", {"body": "Changed"}, format="json"
    )

    assert kind.status_code == 400 and error_of(kind)["fields"] == {"kind": [error_of(kind)["message"]]}
    assert frozen.status_code == 400
    assert "only a draft can be edited" in error_of(frozen)["message"]


def test_the_status_list_filters_and_keeps_a_flat_query_count(cast: Cast) -> None:
    version = published(cast, document(cast))
    client = client_as(cast, "auditor")
    path = f"{ORG}/document-versions/{version.public_id}/status/"
    for n in range(3):
        person(cast.org, f"A-{n}")
    client.get(path)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path, {"ack_state": "pending"}).status_code == 200
        return len(captured)

    few = queries()
    for n in range(3, 30):
        who = person(cast.org, f"A-{n}", department="Billing" if n % 2 else "Nursing")
        acknowledgement_record(
            organization=cast.org,
            actor=Actor(user=None),
            version=version,
            person=who,
            method=Acknowledgement.Method.EMAIL_LINK,
        )
    assert queries() == few

    billing = client.get(path, {"ack_state": "acknowledged", "department": "billing"}).json()
    assert billing["count"] == 14
    row = billing["results"][0]
    assert (row["ack_state"], row["method"], row["person"]["department"]) == ("acknowledged", "email_link", "Billing")
    assert client.get(path, {"ack_state": "later"}).status_code == 400


def test_a_paper_record_names_the_person_and_the_evidence(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    client = client_as(cast, "owner")
    path = f"{ORG}/document-versions/{version.public_id}/acknowledgements/"
    values = {"person": "N-1", "acknowledged_at": timezone.now().isoformat(), "evidence": signed_page(cast)}

    made = client.post(path, values, format="json")
    again = client.post(path, values, format="json")
    nobody = client.post(path, {**values, "person": "Z-9"}, format="json")

    assert made.status_code == 201
    assert (made.json()["method"], made.json()["person"]["employee_id"]) == ("paper", "N-1")
    assert made.json()["evidence_id"] == values["evidence"]
    assert again.status_code == 400 and error_of(again)["fields"] == {"person": [error_of(again)["message"]]}
    assert nobody.status_code == 400 and "Nobody on the roster" in error_of(nobody)["message"]
    assert Acknowledgement.objects.get().person == nurse_


def test_the_caller_lists_and_acknowledges_their_own_documents(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast), today=timezone.localdate())
    client = client_as(cast, "workforce")

    listed = client.get(f"{ORG}/me/acknowledgements/")
    unconfirmed = client.post(f"{ORG}/me/acknowledgements/{version.public_id}/", {"confirm": False}, format="json")
    done = client.post(f"{ORG}/me/acknowledgements/{version.public_id}/", {"confirm": True}, format="json")
    again = client.post(f"{ORG}/me/acknowledgements/{version.public_id}/", {"confirm": True}, format="json")

    assert listed.status_code == 200
    assert [(r["title"], r["ack_state"]) for r in listed.json()["results"]] == [("Acceptable use policy", "pending")]
    assert unconfirmed.status_code == 400
    assert done.status_code == 200 and done.json()["method"] == "in_app"
    assert again.json()["public_id"] == done.json()["public_id"]
    assert Acknowledgement.objects.get().person == nurse_
    assert client.get(f"{ORG}/me/acknowledgements/").json()["results"][0]["ack_state"] == "acknowledged"


def test_a_member_not_on_the_roster_has_no_documents(cast: Cast) -> None:
    version = published(cast, document(cast))
    client = client_as(cast, "auditor")

    assert client.get(f"{ORG}/me/acknowledgements/").json()["results"] == []
    assert client.post(f"{ORG}/me/acknowledgements/{version.public_id}/", {"confirm": True}).status_code == 404
    assert client_as(cast, "anonymous").get(f"{ORG}/me/acknowledgements/").status_code == 401
