"""The evidence package of a closed review: the workbook and the PDF, each stored as evidence linked to the
campaign (so it is in the evidence list, with its SHA-256, retention and audited downloads).

The build renders both files outside any transaction, then stores them in one; a package already stored is
left alone, so a task delivered twice stores one package. A failure is written on the campaign in a sentence,
and someone who manages the program can ask for the build again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from safeguard.access.models import ReviewCampaign
from safeguard.access.reports import review_pdf, review_xlsx
from safeguard.access.reports.evidence_links import CAMPAIGN_TYPE
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Evidence, EvidenceVersion
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_upload, human_size

logger = logging.getLogger(__name__)
TITLE_LIMIT = 200


@dataclass(frozen=True)
class PackageFile:
    name: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def package_render(campaign: ReviewCampaign) -> tuple[PackageFile, PackageFile]:
    """The workbook first: the PDF prints its hash."""
    stem = f"access-review-{slugify(campaign.title)[:60] or 'campaign'}-{timezone.localdate():%Y-%m-%d}"
    workbook = PackageFile(f"{stem}.xlsx", review_xlsx.CONTENT_TYPE, review_xlsx.review_workbook(campaign))
    pdf = PackageFile(
        f"{stem}.pdf", review_pdf.CONTENT_TYPE, review_pdf.review_pdf(campaign, workbook_sha256=workbook.sha256)
    )
    return pdf, workbook


def package_build(*, campaign_id: int) -> ReviewCampaign | None:
    """Render and store the package of a closed campaign that has none; returns the campaign, or None when there
    was nothing to do."""
    campaign = (
        ReviewCampaign.objects.select_related("organization", "started_by", "closed_by").filter(pk=campaign_id).first()
    )
    if campaign is None or campaign.status != ReviewCampaign.Status.CLOSED or campaign.package_evidence_id:
        return None
    try:
        files = package_render(campaign)
    except (OSError, ValueError) as exc:
        logger.warning("access review %s: package could not be built", campaign.public_id, exc_info=True)
        return _fail(campaign, f"The evidence package could not be built: {exc}")
    too_big = [f for f in files if len(f.data) > settings.EVIDENCE_MAX_BYTES]
    if too_big:
        return _fail(
            campaign,
            f"The evidence package's {too_big[0].name} is {human_size(len(too_big[0].data))}, over the evidence "
            f"limit of {human_size(settings.EVIDENCE_MAX_BYTES)}; raise the limit and build the package again.",
        )
    try:
        return _store(campaign, files)
    except ServiceError as exc:
        return _fail(campaign, f"The evidence package could not be stored: {exc.message}")


def _store(campaign: ReviewCampaign, files: tuple[PackageFile, PackageFile]) -> ReviewCampaign | None:
    organization = campaign.organization
    actor = Actor(user=campaign.closed_by)
    effective = timezone.localdate(campaign.closed_at) if campaign.closed_at else timezone.localdate()
    with transaction.atomic():
        locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
        if locked.package_evidence_id:
            return None
        stored = [
            evidence_upload(
                organization=organization,
                actor=actor,
                title=_title(campaign, file),
                description=_description(campaign, file),
                upload=SimpleUploadedFile(file.name, file.data, content_type=file.content_type),
                effective_date=effective,
                link_to=(CAMPAIGN_TYPE, str(campaign.public_id)),
            )
            for file in files
        ]
        locked.package_evidence = stored[0]
        locked.failure = ""
        locked.save(update_fields=["package_evidence", "failure"])
        audit_record(
            actor=actor,
            action="access.review.package_built",
            organization=organization,
            target=locked,
            changes={
                "pdf_sha256": [None, files[0].sha256],
                "xlsx_sha256": [None, files[1].sha256],
                "package_evidence": [None, str(stored[0].public_id)],
            },
        )
    return locked


def _title(campaign: ReviewCampaign, file: PackageFile) -> str:
    kind = "PDF" if file.content_type == review_pdf.CONTENT_TYPE else "workbook"
    suffix = f" ({kind})"
    return f"Access review evidence: {campaign.title}"[: TITLE_LIMIT - len(suffix)] + suffix


def _description(campaign: ReviewCampaign, file: PackageFile) -> str:
    return (
        f"Evidence package of the access review “{campaign.title}” (roster as of {campaign.roster_as_of:%Y-%m-%d}), "
        f"built when it closed: {file.name}."
    )


def _fail(campaign: ReviewCampaign, failure: str) -> ReviewCampaign:
    ReviewCampaign.objects.filter(pk=campaign.pk).update(failure=failure[:2000])
    campaign.refresh_from_db()
    return campaign


def package_files(campaign: ReviewCampaign) -> QuerySet[Evidence]:
    """Evidence linked to the campaign (the package, and anything linked by hand), each with its versions
    newest first: two queries."""
    linked = Evidence.objects.filter(
        organization_id=campaign.organization_id,
        is_deleted=False,
        links__target_type=CAMPAIGN_TYPE,
        links__target_id=str(campaign.public_id),
    )
    versions = EvidenceVersion.objects.order_by("-number")
    return linked.prefetch_related(Prefetch("versions", queryset=versions)).order_by("created_at", "pk")
