"""Acknowledgement pages over HTTP: who reaches what, writing and publishing a document, the status list with its
filters and flat query counts, paper records, a person's own page, sanitized text, and isolation between
organizations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, AckRequest, AudienceKind
from safeguard.training.services.acknowledgements import acknowledgement_record
from tests.access_factories import person
from tests.conftest import Cast, client_for
from tests.test_risk_sanctions_support import approved
from tests.test_training_acks_support import (
    actor,
    audit_count,
    document,
    draft,
    last_event,
    member,
    nurse,
    published,
    scan,
)

Method = Acknowledgement.Method


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"training:{name}", args=[org, *args])


READERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("manager", 200),
    ("reviewer", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
]
WRITERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("manager", 403),
    ("auditor", 403),
    ("workforce", 403),
    ("outsider", 404),
]


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_program_viewers_read_documents_and_their_status(cast: Cast, who: str, expected: int) -> None:
    version = published(cast, document(cast))
    client = client_for(member(cast, who))
    before = audit_count()

    codes = [
        client.get(url("ack_document_list")).status_code,
        client.get(url("ack_document_detail", version.document.public_id)).status_code,
        client.get(url("ack_version_detail", version.public_id)).status_code,
    ]

    assert codes == [expected] * 3
    assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_only_program_managers_open_the_forms(cast: Cast, who: str, expected: int) -> None:
    doc = document(cast)
    current = published(cast, document(cast, "Other"))
    version = draft(cast, doc)
    client = client_for(member(cast, who))

    codes = [
        client.get(url("ack_document_create")).status_code,
        client.get(url("ack_document_edit", doc.public_id)).status_code,
        client.get(url("ack_version_create", doc.public_id)).status_code,
        client.get(url("ack_version_edit", version.public_id)).status_code,
        client.get(url("ack_paper_record", current.public_id)).status_code,
    ]

    assert codes == [expected] * 5


def document_form(**values: object) -> dict[str, object]:
    return {"title": "Incident reporting", "kind": "policy", "audience": "everyone", "due_days": 30, **values}


@pytest.mark.parametrize(
    ("who", "expected"), [("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_denied_writes_change_nothing(cast: Cast, who: str, expected: int) -> None:
    nurse_ = nurse(cast)
    doc = document(cast)
    current = published(cast, document(cast, "Other"))
    version = draft(cast, doc)
    client = client_for(member(cast, who))
    before = audit_count()

    responses = [
        client.post(url("ack_document_create"), document_form()),
        client.post(url("ack_document_edit", doc.public_id), document_form(title="Renamed")),
        client.post(url("ack_document_retire", doc.public_id)),
        client.post(url("ack_version_create", current.document.public_id), {"body": "New text"}),
        client.post(url("ack_version_edit", version.public_id), {"body": "Changed"}),
        client.post(url("ack_version_publish", version.public_id)),
        client.post(
            url("ack_paper_record", current.public_id),
            {"person": "N-1", "acknowledged_on": timezone.localdate(), "evidence_file": scan()},
        ),
        client.post(url("ack_sanction_sync")),
    ]

    assert [r.status_code for r in responses] == [expected] * 8
    doc.refresh_from_db()
    version.refresh_from_db()
    assert (doc.title, doc.retired_at, AckDocument.objects.count()) == ("Acceptable use policy", None, 2)
    assert (version.body, version.status, AckDocumentVersion.objects.count()) == (
        "Use work systems for work.",
        AckDocumentVersion.Status.DRAFT,
        2,
    )
    assert not Acknowledgement.objects.filter(person=nurse_).exists()
    assert audit_count() == before


def test_records_of_another_organization_are_not_found(cast: Cast) -> None:
    theirs = published(cast, document(cast, org=cast.other_org))
    their_draft = draft(cast, document(cast, "Their draft", org=cast.other_org))
    client = client_for(cast.owner)
    before = audit_count()

    codes = [
        client.get(url("ack_document_detail", theirs.document.public_id)).status_code,
        client.get(url("ack_document_edit", theirs.document.public_id)).status_code,
        client.post(url("ack_document_retire", theirs.document.public_id)).status_code,
        client.get(url("ack_version_create", their_draft.document.public_id)).status_code,
        client.get(url("ack_version_detail", theirs.public_id)).status_code,
        client.post(url("ack_version_edit", their_draft.public_id), {"body": "Mine now"}).status_code,
        client.post(url("ack_version_publish", their_draft.public_id)).status_code,
        client.get(url("ack_paper_record", theirs.public_id)).status_code,
        client_for(cast.workforce).get(url("my_ack", theirs.public_id)).status_code,
    ]

    assert codes == [404] * 9
    assert audit_count() == before
    their_draft.refresh_from_db()
    assert their_draft.status == AckDocumentVersion.Status.DRAFT


# ---- writing, publishing, status -----------------------------------------------------------------------------------


def test_a_manager_adds_writes_and_publishes_a_document(cast: Cast) -> None:
    nurse(cast)
    person(cast.org, "B-1", department="Billing")
    client = client_for(cast.official)

    created = client.post(
        url("ack_document_create"),
        document_form(audience="department", audience_values="Nursing\n nursing, Billing", due_days=14),
    )
    doc = AckDocument.objects.get(title="Incident reporting")
    assert created["Location"] == url("ack_version_create", doc.public_id)
    assert doc.audience_values == ["Nursing", "Billing"]
    written = client.post(
        url("ack_version_create", doc.public_id), {"body": "Report it within an hour.", "summary": ""}
    )
    version = doc.versions.get()
    assert written["Location"] == url("ack_version_detail", version.public_id)
    published_ = client.post(url("ack_version_publish", version.public_id), follow=True)

    assert "Published version 1: 2 people were asked to acknowledge it." in published_.content.decode()
    assert AckRequest.objects.filter(version=version).count() == 2


def test_bad_input_shows_the_services_message(cast: Cast) -> None:
    document(cast, "Incident reporting")
    client = client_for(cast.official)
    before = audit_count()

    taken = client.post(url("ack_document_create"), document_form(title="incident REPORTING"))
    valueless = client.post(url("ack_document_create"), document_form(title="New", audience="department"))

    assert "Another document is already titled “incident REPORTING”" in taken.content.decode()
    assert "Name at least one department." in valueless.content.decode()
    assert (AckDocument.objects.count(), audit_count()) == (1, before)


def test_the_status_list_shows_counts_and_filters(cast: Cast) -> None:
    nurse_ = nurse(cast)
    person(cast.org, "N-2", name="Omar Late")
    person(cast.org, "B-1", name="Bea Biller", department="Billing")
    version = published(cast, document(cast), today=timezone.localdate() - timedelta(days=40))
    acknowledgement_record(
        organization=cast.org, actor=actor(None), version=version, person=nurse_, method=Method.EMAIL_LINK
    )
    client = client_for(cast.auditor)

    everyone = client.get(url("ack_document_detail", version.document.public_id))
    overdue = client.get(url("ack_document_detail", version.document.public_id), {"ack_state": "overdue"})
    nursing = client.get(url("ack_version_detail", version.public_id), {"department": "Nursing"})

    counts = everyone.context["counts"]
    assert (counts.total, counts.acknowledged, counts.overdue, counts.percent) == (3, 1, 2, 33)
    assert "1 of 3" in everyone.content.decode()
    assert [p.employee_id for p in overdue.context["page"].object_list] == ["B-1", "N-2"]
    assert [p.employee_id for p in nursing.context["page"].object_list] == ["N-2", "N-1"]  # by family name


def test_status_pages_make_the_same_number_of_queries_for_3_or_30_people(cast: Cast) -> None:
    doc = document(cast)
    for n in range(3):
        person(cast.org, f"A-{n}", department=f"Dept {n}")
    version = published(cast, doc)
    client = client_for(cast.owner)
    client.get(url("ack_document_detail", doc.public_id))  # warm up: sessions, the audit chain head

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("ack_document_detail", doc.public_id)).status_code == 200
            assert client.get(url("ack_version_detail", version.public_id)).status_code == 200
            assert client.get(url("ack_document_list")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(3, 30):
        who = person(cast.org, f"A-{n}", department=f"Dept {n}")
        if n % 2:
            acknowledgement_record(
                organization=cast.org, actor=actor(None), version=version, person=who, method=Method.EMAIL_LINK
            )
        published(cast, document(cast, f"Doc {n}"))

    assert queries() == few


def test_a_signed_paper_page_is_recorded_with_its_scan(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    client = client_for(cast.official)

    response = client.post(
        url("ack_paper_record", version.public_id),
        {"person": "nurse@clinic.test", "acknowledged_on": timezone.localdate(), "evidence_file": scan()},
    )

    assert response.status_code == 302
    done = Acknowledgement.objects.get(person=nurse_)
    assert (done.method, done.recorded_by, done.evidence is not None) == (Method.PAPER, cast.official, True)
    assert last_event("training.acknowledgement.recorded").changes["method"] == [None, "paper"]
    again = client.post(
        url("ack_paper_record", version.public_id),
        {"person": "N-1", "acknowledged_on": timezone.localdate(), "evidence_file": scan()},
    )
    assert "Nora Nurse already acknowledged version 1" in again.content.decode()
    unknown = client.post(
        url("ack_paper_record", version.public_id),
        {"person": "nobody", "acknowledged_on": timezone.localdate(), "evidence_file": scan()},
    )
    assert "Nobody on the roster has the employee id or work email" in unknown.content.decode()
    assert Acknowledgement.objects.count() == 1


def test_the_page_offers_to_publish_a_sanction_policy_approved_before(cast: Cast) -> None:
    approved(cast)
    AckRequest.objects.all().delete()
    AckDocumentVersion.objects.all().delete()
    client = client_for(cast.official)

    assert "Publish the approved sanction policy" in client.get(url("ack_document_list")).content.decode()
    client.post(url("ack_sanction_sync"))

    assert AckDocumentVersion.objects.get().status == AckDocumentVersion.Status.PUBLISHED
    assert "Publish the approved sanction policy" not in client.get(url("ack_document_list")).content.decode()


# ---- a person's own page -------------------------------------------------------------------------------------------


def test_a_person_reads_and_acknowledges_their_document(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    client = client_for(cast.workforce)

    listed = client.get(url("my_acks"))
    page = client.get(url("my_ack", version.public_id))
    unticked = client.post(url("my_ack", version.public_id), {})
    assert not Acknowledgement.objects.exists()
    ticked = client.post(
        url("my_ack", version.public_id), {"confirm": "on"}, HTTP_USER_AGENT="Safari", REMOTE_ADDR="198.51.100.7"
    )

    assert url("my_ack", version.public_id) in listed.content.decode()
    assert "Use work systems for work." in page.content.decode()
    assert "Tick the box to confirm you have read and understood the document." in unticked.content.decode()
    assert ticked.status_code == 302
    done = Acknowledgement.objects.get(person=nurse_)
    assert (done.method, done.ip, done.user_agent, done.recorded_by) == (
        Method.IN_APP,
        "198.51.100.7",
        "Safari",
        cast.workforce,
    )
    assert "You acknowledged this version on" in client.get(url("my_ack", version.public_id)).content.decode()


def test_a_person_reaches_only_the_current_documents_addressed_to_them(cast: Cast) -> None:
    nurse(cast)
    doc = document(cast)
    old = published(cast, doc)
    published(cast, doc, "Second text")
    billing = published(cast, document(cast, "Billing rules", audience=AudienceKind.DEPARTMENT, values=["Billing"]))
    pending_draft = draft(cast, document(cast, "Not yet"))
    client = client_for(cast.workforce)

    codes = [client.get(url("my_ack", v.public_id)).status_code for v in (old, billing, pending_draft)]
    stranger = client_for(cast.owner).get(url("my_ack", billing.public_id))  # the owner is not on the roster

    assert codes == [404, 404, 404]
    assert stranger.status_code == 404


def test_document_text_is_sanitized(cast: Cast) -> None:
    nurse(cast)
    version = published(cast, document(cast), "Read this.\n\n<script>alert(1)</script>\n\n[click](javascript:alert(2))")

    html = client_for(cast.workforce).get(url("my_ack", version.public_id)).content.decode()
    program = client_for(cast.owner).get(url("ack_version_detail", version.public_id)).content.decode()

    for shown in (html, program):
        assert "<script>alert(1)" not in shown
        assert 'href="javascript' not in shown
        assert "Read this." in shown


def test_an_earlier_version_keeps_its_own_list(cast: Cast) -> None:
    nurse_ = nurse(cast)
    person(cast.org, "N-2", name="Omar Late")
    doc = document(cast)
    first = published(cast, doc)
    acknowledgement_record(
        organization=cast.org, actor=actor(None), version=first, person=nurse_, method=Method.EMAIL_LINK
    )
    published(cast, doc, "Second text")
    person(cast.org, "N-3", name="Ida Later")  # joined after the first version was replaced
    client = client_for(cast.owner)

    earlier = client.get(url("ack_version_detail", first.public_id))
    missed = client.get(url("ack_version_detail", first.public_id), {"ack_state": "missed"})

    counts = earlier.context["counts"]
    assert (counts.total, counts.acknowledged, counts.missed, counts.pending) == (2, 1, 1, 0)
    assert [p.employee_id for p in missed.context["page"].object_list] == ["N-2"]
    assert [value for value, _ in earlier.context["filters"].fields["ack_state"].choices] == [
        "",
        "acknowledged",
        "missed",
    ]
    current = client.get(url("ack_document_detail", doc.public_id)).context["counts"]
    assert (current.total, current.acknowledged) == (3, 0)
