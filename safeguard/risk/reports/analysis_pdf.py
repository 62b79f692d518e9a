"""The Risk Analysis Report: the analysis document rendered through a Django template and printed by WeasyPrint.

Pictures (heat maps, the data-flow diagram) are embedded as data: URLs, and the URL fetcher refuses every other
scheme, so rendering never reaches the network or the file system whatever the records contain. The document
itself travels inside the PDF as an attached file in canonical JSON: its SHA-256 is the hash the approval
signature carries, so an auditor can check the report against the signature with standard tools.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils import timezone

from safeguard.risk.content import analysis_content
from safeguard.risk.models import RiskAnalysis
from safeguard.risk.reports.analysis_context import ATTACHMENT_NAME, canonical_json, report_context

if TYPE_CHECKING:
    from weasyprint.urls import URLFetcher

TEMPLATE = "risk/reports/analysis_report.html"
CONTENT_TYPE = "application/pdf"

Progress = Callable[[int], None]


def is_approved(analysis: RiskAnalysis) -> bool:
    """Approved means signed with the signed copy kept; anything less prints as a draft."""
    return analysis.approval_id is not None and analysis.approved_content is not None


def url_fetcher() -> URLFetcher:
    """Fetches data: URLs only; anything else (http, file, …) fails and is left out of the PDF."""
    # WeasyPrint is imported where it is used: it is slow to import and only the report worker needs it.
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",))


def analysis_report_html(analysis: RiskAnalysis, document: dict[str, Any] | None = None) -> str:
    """The report as HTML; `document` defaults to the analysis's own (the signed copy once approved)."""
    document = analysis_content(analysis) if document is None else document
    return render_to_string(TEMPLATE, report_context(analysis, document, approved=is_approved(analysis)))


def analysis_pdf(analysis: RiskAnalysis, *, on_progress: Progress | None = None) -> bytes:
    """The report as PDF bytes. `on_progress` hears the percentage done after each stage."""
    from weasyprint import HTML, Attachment

    report = on_progress or _ignore
    document = analysis_content(analysis)
    report(10)
    html = analysis_report_html(analysis, document)
    report(30)
    fetcher = url_fetcher()
    rendered = HTML(string=html, base_url=None, url_fetcher=fetcher).render()
    report(60)
    now = timezone.now()
    attachment = Attachment(
        string=canonical_json(document),
        name=ATTACHMENT_NAME,
        description="The analysis document in canonical JSON; its SHA-256 is the signed content hash.",
        url_fetcher=fetcher,
        created=now,
        modified=now,
    )
    pdf: bytes = rendered.write_pdf(attachments=[attachment])
    report(90)
    return pdf


def _ignore(percent: int) -> None:
    del percent
