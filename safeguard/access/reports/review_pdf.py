"""An access review as a PDF, rendered from a Django template by WeasyPrint.

The PDF is the readable record; the workbook is the complete one. Up to a cap, the PDF lists every item per
system, revocations and accounts with findings first; past the cap it says how many it left out and that the
workbook (whose SHA-256 the PDF prints) holds them all. The URL fetcher refuses every scheme but data:, so
rendering never reaches the network or the file system whatever the records contain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import timezone

from safeguard.access.models import Finding, ReviewCampaign, ReviewItem, System
from safeguard.access.reports import review_data as data

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

TEMPLATE = "access/review_package_pdf.html"
CONTENT_TYPE = "application/pdf"
# A PDF of a few thousand table rows renders in well under a minute; past that, the workbook is the list.
ITEM_LIMIT = 3000
MIN_ITEMS_PER_SYSTEM = 25
FINDINGS_PER_KIND = 200
REVOCATION_LIMIT = 1000
Decision = ReviewItem.Decision


@dataclass(frozen=True)
class SystemSection:
    name: str
    total: int
    items: list[ReviewItem]

    @property
    def left_out(self) -> int:
        return self.total - len(self.items)


def url_fetcher() -> URLFetcher:
    # WeasyPrint is imported where it is used: it is slow to import and only the background build needs it.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def review_html(campaign: ReviewCampaign, *, workbook_sha256: str, today: date | None = None) -> str:
    return render_to_string(TEMPLATE, review_context(campaign, workbook_sha256=workbook_sha256, today=today))


def review_pdf(campaign: ReviewCampaign, *, workbook_sha256: str, today: date | None = None) -> bytes:
    from weasyprint import HTML

    html = review_html(campaign, workbook_sha256=workbook_sha256, today=today)
    pdf: bytes = HTML(string=html, base_url=None, url_fetcher=url_fetcher()).write_pdf()
    return pdf


def review_context(campaign: ReviewCampaign, *, workbook_sha256: str, today: date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    sections = system_sections(campaign)
    return {
        "campaign": campaign,
        "organization": campaign.organization.name,
        "scope": data.scope_label(campaign),
        "frozen_sha256": data.frozen_sha256(campaign),
        "snapshots": data.frozen_snapshots(campaign),
        "skipped": [str(name) for name in (campaign.frozen or {}).get("skipped", [])],
        "tally": data.tally(campaign, today),
        "findings": finding_sections(campaign),
        "sections": sections,
        "per_system_limit": _per_system_limit(len(sections)) if sections else 0,
        "summarised": any(section.left_out for section in sections),
        "revocations": revocations(campaign),
        "revocation_limit": REVOCATION_LIMIT,
        "attestations": list(data.attestations(campaign)),
        "workbook_sha256": workbook_sha256,
        "generated_at": timezone.localtime(),
        "today": today,
    }


def _per_system_limit(systems: int) -> int:
    return max(MIN_ITEMS_PER_SYSTEM, ITEM_LIMIT // max(systems, 1))


def system_sections(campaign: ReviewCampaign) -> list[SystemSection]:
    """Per system: its item count and the items listed, revocations and findings first (two queries a system)."""
    totals = dict(
        ReviewItem.objects.filter(campaign=campaign)
        .values("system_id")
        .annotate(n=Count("pk"))
        .values_list("system_id", "n")
    )
    systems = System.objects.filter(pk__in=list(totals)).select_related("asset").order_by("asset__name", "pk")
    limit = _per_system_limit(len(totals))
    sections = []
    for system in systems:
        listed = list(
            data.item_rows(campaign)
            .filter(system=system)
            # "revoke" sorts after "keep", and undecided ("") first of all: revocations, then the rest.
            .order_by("-decision", "-finding_count", "username", "pk")[:limit]
        )
        sections.append(SystemSection(name=system.asset.name, total=totals[system.pk], items=listed))
    return sections


def finding_sections(campaign: ReviewCampaign) -> list[dict[str, Any]]:
    sections = []
    for kind, label, count in data.finding_counts(campaign):
        shown = list(
            Finding.objects.filter(campaign=campaign, kind=kind)
            .select_related("item__system__asset")
            .order_by("item__system__asset__name", "item__username", "pk")[:FINDINGS_PER_KIND]
        )
        sections.append({"kind": kind, "label": label, "count": count, "shown": shown, "left_out": count - len(shown)})
    return sections


def revocations(campaign: ReviewCampaign) -> dict[str, Any]:
    rows = data.item_rows(campaign).filter(decision=Decision.REVOKE)
    total = rows.count()
    return {"total": total, "shown": list(rows[:REVOCATION_LIMIT]), "left_out": max(total - REVOCATION_LIMIT, 0)}
