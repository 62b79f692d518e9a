"""Evidence in the tracker: attestation evidence stays inside its organization everywhere it is read, evidence
linked to a requirement shows on its page, and a replaced decision is named in the audit trail."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, Organization
from safeguard.core.services.evidence import evidence_link, evidence_upload
from safeguard.tracker.evaluation import tracker_evaluate
from safeguard.tracker.models import AddressableDecision, Attestation, Verdict
from safeguard.tracker.queries import attestation_evidence
from safeguard.tracker.services import attestation_record, decision_record, decision_sign
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client

TODAY = timezone.localdate()
WORKSTATION_USE = "164.310(b)"  # a standard without specifications, no automated check
ENCRYPTION = "164.312(a)(2)(iv)"  # addressable


def page_url(citation: str, slug: str = "clinic") -> str:
    return reverse("tracker:requirement", args=[slug, citation])


def evidence_in(cast: Cast, organization: Organization, title: str) -> Evidence:
    return evidence_upload(
        organization=organization,
        actor=Actor(user=cast.owner),
        title=title,
        effective_date=date(2025, 1, 1),
        upload=SimpleUploadedFile("e.txt", title.encode(), content_type="text/plain"),
    )


def attested(cast: Cast) -> Attestation:
    return attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation=WORKSTATION_USE,
        statement="Workstation use policy issued.",
        expires_on=TODAY + timedelta(days=120),
        evidence_file=SimpleUploadedFile("policy.txt", b"policy", content_type="text/plain"),
        evidence_title="Own policy",
    )


def foreign_link_to(cast: Cast, attestation: Attestation) -> Evidence:
    """A link row naming this organization's attestation from another organization's evidence.

    The link service refuses such a link; rows like it can still come from older data or imports.
    """
    foreign = evidence_in(cast, cast.other_org, "Foreign secret")
    EvidenceLink.objects.create(
        evidence=foreign, target_type="tracker.attestation", target_id=str(attestation.public_id)
    )
    return foreign


# One org-scoped query for attestation evidence ---------------------------------------------------------------


def test_attestation_evidence_ignores_other_organizations_and_deleted_evidence(cast: Cast) -> None:
    attestation = attested(cast)
    foreign_link_to(cast, attestation)
    gone = evidence_in(cast, cast.org, "Deleted copy")
    evidence_link(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        evidence=gone,
        target=("tracker.attestation", str(attestation.public_id)),
    )
    Evidence.objects.filter(pk=gone.pk).update(is_deleted=True)

    found = attestation_evidence(cast.org, [attestation.public_id])

    assert [e.title for e in found[str(attestation.public_id)]] == ["Own policy"]


def test_evaluation_does_not_count_another_organizations_evidence(cast: Cast) -> None:
    attestation = attested(cast)
    foreign = foreign_link_to(cast, attestation)

    tracker_evaluate(organization=cast.org, actor=Actor.system("test"))

    verdict = Verdict.objects.get(organization=cast.org, requirement__citation=WORKSTATION_USE)
    ids = [record["id"] for record in verdict.records]
    assert str(attestation.public_id) in ids
    assert str(foreign.public_id) not in ids
    assert "Foreign secret" not in str(verdict.records)


def test_requirement_page_and_api_show_only_the_organizations_evidence(cast: Cast) -> None:
    attestation = attested(cast)
    foreign_link_to(cast, attestation)

    body = client_for(cast.owner).get(page_url(WORKSTATION_USE)).content.decode()
    listed = api_client(cast.owner).get("/api/v1/orgs/clinic/attestations/").json()["results"]

    assert "Own policy" in body and "Foreign secret" not in body
    assert [e["title"] for e in listed[0]["evidence"]] == ["Own policy"]


# Evidence linked to a requirement -----------------------------------------------------------------------------


def test_requirement_page_lists_evidence_linked_to_it(cast: Cast) -> None:
    mine = evidence_in(cast, cast.org, "Workstation policy v3")
    evidence_link(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        evidence=mine,
        target=("catalog.requirement", WORKSTATION_USE),
    )
    deleted = evidence_in(cast, cast.org, "Withdrawn policy")
    EvidenceLink.objects.create(evidence=deleted, target_type="catalog.requirement", target_id=WORKSTATION_USE)
    Evidence.objects.filter(pk=deleted.pk).update(is_deleted=True)
    theirs = evidence_in(cast, cast.other_org, "Other practice policy")
    evidence_link(
        organization=cast.other_org,
        actor=Actor(user=cast.outsider),
        evidence=theirs,
        target=("catalog.requirement", WORKSTATION_USE),
    )

    body = client_for(cast.auditor).get(page_url(WORKSTATION_USE)).content.decode()

    section = body.split('id="evidence-heading"')[1].split("</section>")[0]
    detail = reverse("core:evidence_detail", args=["clinic", mine.public_id])
    assert f'<a href="{detail}">Workstation policy v3</a>' in section
    assert f"{mine.retain_until:%Y-%m-%d}" in section
    assert "Withdrawn policy" not in section
    assert "Other practice policy" not in section
    other = client_for(cast.outsider).get(page_url(WORKSTATION_USE, "other")).content.decode()
    assert "Other practice policy" in other and "Workstation policy v3" not in other


def test_requirement_page_without_linked_evidence_says_so(cast: Cast) -> None:
    body = client_for(cast.owner).get(page_url(WORKSTATION_USE)).content.decode()
    assert "No evidence is linked to this requirement directly" in body


def test_linked_evidence_paginates_fifty_per_page(cast: Cast) -> None:
    for n in range(51):
        evidence = Evidence.objects.create(
            organization=cast.org,
            title=f"Item {n:03}",
            effective_date=TODAY,
            retain_until=TODAY + timedelta(days=2200),
            created_by=cast.owner,
        )
        EvidenceLink.objects.create(evidence=evidence, target_type="catalog.requirement", target_id=WORKSTATION_USE)
    client = client_for(cast.owner)

    first = client.get(page_url(WORKSTATION_USE))
    second = client.get(page_url(WORKSTATION_USE), {"evidence": 2})

    assert len(first.context["evidence_page"].object_list) == 50
    assert [e.title for e in second.context["evidence_page"].object_list] == ["Item 000"]
    assert "?evidence=2" in first.content.decode()


# A replaced decision is named in the audit trail ----------------------------------------------------------------


def decide(cast: Cast, rationale: str) -> AddressableDecision:
    return decision_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation=ENCRYPTION,
        decision="implemented",
        rationale=rationale,
        review_on=TODAY + timedelta(days=365),
    )


def test_first_decision_supersedes_nothing(cast: Cast) -> None:
    decide(cast, "First.")
    event = AuditEvent.objects.get(action="decision.recorded")
    assert "supersedes" not in event.changes


@pytest.mark.parametrize("signed", [True, False])
def test_a_new_decision_names_the_one_it_replaces_and_whether_it_was_signed(cast: Cast, signed: bool) -> None:
    first = decide(cast, "First.")
    if signed:
        decision_sign(organization=cast.org, actor=Actor(user=cast.official), decision=first)

    second = decide(cast, "Second.")

    event = AuditEvent.objects.get(action="decision.recorded", object_id=str(second.public_id))
    assert event.changes["supersedes"] == [None, [{"public_id": str(first.public_id), "signed": signed}]]
    first.refresh_from_db()
    assert first.superseded_at is not None
