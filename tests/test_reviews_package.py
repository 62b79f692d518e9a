"""The evidence package of a closed review: a PDF and a workbook, each stored as evidence linked to the campaign
with its SHA-256; what each holds; the cap past which the PDF summarises; failures and the rebuild."""

from __future__ import annotations

import hashlib
from io import BytesIO
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.html import escape
from openpyxl import load_workbook

from safeguard.access.models import ReviewCampaign, ReviewItem
from safeguard.access.reports import package, review_pdf, review_xlsx
from safeguard.access.reports.evidence_links import CAMPAIGN_TYPE
from safeguard.access.services import decisions as services
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast
from tests.test_reviews_decisions_support import (
    Status,
    actor,
    campaign,
    decide_all,
    items,
    manager,
    people,
    system,
)


def closed_review(cast: Cast, *, count: int = 4, findings: int = 1) -> ReviewCampaign:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    items(review, system(cast.org), boss, count, findings=findings, people=people(cast.org, count))
    decide_all(review, comment="Still on the ward")
    first = ReviewItem.objects.filter(campaign=review).order_by("username")[0]
    ReviewItem.objects.filter(pk=first.pk).update(decision=ReviewItem.Decision.REVOKE, comment="=HYPERLINK(1)")
    services.reviewer_attest(organization=cast.org, actor=actor(boss), campaign=review)
    ReviewCampaign.objects.filter(pk=review.pk).update(
        status=Status.CLOSED, closed_at=timezone.now(), closed_by=cast.official
    )
    review.refresh_from_db()
    return review


def sheet_rows(data: bytes, sheet: str) -> list[dict[str, Any]]:
    values = list(load_workbook(BytesIO(data))[sheet].iter_rows(values_only=True))
    header = [str(name) for name in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def stored_bytes(evidence: Evidence) -> bytes:
    version = evidence.versions.get()
    with version.file.open("rb") as handle:
        return handle.read()


def test_the_package_stores_a_pdf_and_a_workbook_as_hashed_evidence_linked_to_the_review(cast: Cast) -> None:
    review = closed_review(cast)

    package.package_build(campaign_id=review.pk)

    review.refresh_from_db()
    files = list(package.package_files(review))
    assert [f.versions.all()[0].content_type for f in files] == [review_pdf.CONTENT_TYPE, review_xlsx.CONTENT_TYPE]
    assert review.package_evidence == files[0]
    for evidence in files:
        version = evidence.versions.get()
        content = stored_bytes(evidence)
        assert version.sha256 == hashlib.sha256(content).hexdigest()
        assert version.size == len(content)
        assert evidence.created_by == cast.official
        assert EvidenceLink.objects.filter(
            evidence=evidence, target_type=CAMPAIGN_TYPE, target_id=str(review.public_id)
        ).exists()
    assert stored_bytes(files[0]).startswith(b"%PDF-")
    assert files[0].title == "Access review evidence: Q3 access review (PDF)"
    built = AuditEvent.objects.get(action="access.review.package_built")
    assert built.changes["pdf_sha256"][1] == files[0].versions.get().sha256
    assert built.changes["xlsx_sha256"][1] == files[1].versions.get().sha256


def test_the_workbook_has_a_row_per_item_and_neutralises_formulas(cast: Cast) -> None:
    review = closed_review(cast, count=7, findings=2)

    data = review_xlsx.review_workbook(review)

    book = load_workbook(BytesIO(data))
    assert book.sheetnames == ["Summary", "Items", "Findings", "Attestations"]
    rows = sheet_rows(data, "Items")
    assert len(rows) == ReviewItem.objects.filter(campaign=review).count() == 7
    assert [header for header, _width in review_xlsx.ITEM_COLUMNS] == list(rows[0])
    revoked = [row for row in rows if row["Decision"] == "Revoke"]
    assert len(revoked) == 1
    assert revoked[0]["Comment"] == "'=HYPERLINK(1)"
    assert revoked[0]["Reviewer"] == "boss@clinic.test"
    assert sum(1 for row in rows if row["Findings"] == "Inactive beyond the limit") == 2
    findings = sheet_rows(data, "Findings")
    assert len(findings) == 2
    attestations = sheet_rows(data, "Attestations")
    assert len(attestations) == 1
    assert attestations[0]["Signature SHA-256"] == review.attestations.get().signature.content_sha256
    summary = {row["Fact"]: row["Value"] for row in sheet_rows(data, "Summary")}
    assert (summary["Items"], summary["Kept"], summary["Revoked"]) == (7, 6, 1)
    assert summary["Snapshot: EHR"] == "0" * 64


def test_the_workbook_reads_in_the_same_queries_for_5_and_50_items(cast: Cast) -> None:
    counts = []
    for size in (5, 50):
        boss = manager(cast.org, f"boss{size}")
        review = campaign(cast.org, cast.official, title=f"Review {size}")
        items(review, system(cast.org, f"System {size}"), boss, size, findings=size // 5)
        with CaptureQueriesContext(connection) as queries:
            review_xlsx.review_workbook(review)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_pdf_shows_scope_snapshots_findings_decisions_revocations_and_attestations(cast: Cast) -> None:
    review = closed_review(cast)
    ReviewCampaign.objects.filter(pk=review.pk).update(frozen={"skipped": ["Fax server"]})
    ReviewItem.objects.filter(campaign=review, decision=ReviewItem.Decision.KEEP).filter(
        pk=ReviewItem.objects.filter(campaign=review, decision=ReviewItem.Decision.KEEP).values("pk")[:1]
    ).update(person=None, person_snapshot={"owner": "Dana Reyes (E-7)"})
    review.refresh_from_db()

    html = review_pdf.review_html(review, workbook_sha256="ab" * 32)

    attestation = review.attestations.get()
    assert "All systems" in html
    assert review.roster_as_of.strftime("%Y-%m-%d") in html
    assert "0" * 64 in html  # the snapshot file's hash
    assert "ab" * 32 in html
    assert "Inactive beyond the limit: 1" in html
    assert escape("=HYPERLINK(1)") in html
    assert attestation.signature.content_sha256 in html
    assert "boss@clinic.test" in html
    assert "This PDF lists at most" not in html
    assert "so not reviewed: Fax server." in html
    assert "Owner: Dana Reyes (E-7)" in html


def test_the_pdf_summarises_past_its_cap_and_says_so(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(review_pdf, "ITEM_LIMIT", 3)
    monkeypatch.setattr(review_pdf, "MIN_ITEMS_PER_SYSTEM", 3)
    review = closed_review(cast, count=5)

    context = review_pdf.review_context(review, workbook_sha256="0" * 64)
    html = review_pdf.review_html(review, workbook_sha256="0" * 64)

    section = context["sections"][0]
    assert (section.total, len(section.items), section.left_out) == (5, 3, 2)
    assert section.items[0].decision == ReviewItem.Decision.REVOKE  # revocations come first
    assert "This PDF lists at most 3 items per system" in html
    assert "3 of 5 listed; 2 more" in html


def test_building_twice_stores_one_package(cast: Cast) -> None:
    review = closed_review(cast)
    package.package_build(campaign_id=review.pk)
    assert package.package_build(campaign_id=review.pk) is None
    assert Evidence.objects.count() == 2


def test_an_open_review_gets_no_package(cast: Cast) -> None:
    review = campaign(cast.org, cast.official)
    assert package.package_build(campaign_id=review.pk) is None
    assert not Evidence.objects.exists()


def test_a_package_over_the_evidence_limit_fails_with_a_reason_and_can_be_built_again(
    cast: Cast, settings, django_capture_on_commit_callbacks
) -> None:
    review = closed_review(cast)
    settings.EVIDENCE_MAX_BYTES = 1000

    package.package_build(campaign_id=review.pk)

    review.refresh_from_db()
    assert review.package_evidence is None
    assert review.failure.startswith("The evidence package's access-review-q3-access-review-")
    assert "over the evidence limit of 1000 bytes" in review.failure
    assert not Evidence.objects.exists()

    settings.EVIDENCE_MAX_BYTES = 25 * 1024 * 1024
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_package_request(organization=cast.org, actor=actor(cast.official), campaign=review)

    review.refresh_from_db()
    assert (review.failure, review.package_evidence is not None) == ("", True)
    assert AuditEvent.objects.filter(action="access.review.package_requested").count() == 1
    with pytest.raises(ServiceError, match="The evidence package is already built."):
        services.campaign_package_request(organization=cast.org, actor=actor(cast.official), campaign=review)
