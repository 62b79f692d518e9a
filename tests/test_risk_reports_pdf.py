"""The Risk Analysis Report: what it prints, in which order, for a draft and for an approved analysis, and that
the PDF carries the document whose hash the approval signed."""

from __future__ import annotations

import hashlib
import re
import zlib
from typing import Any

import pytest
from weasyprint import HTML

from safeguard.core.services.signatures import content_hash
from safeguard.risk.content import analysis_content
from safeguard.risk.models import Asset, AssetKind, DataFlow, Risk, RiskAnalysis, Transport
from safeguard.risk.reports import analysis_context
from safeguard.risk.reports.analysis_context import canonical_json
from safeguard.risk.reports.analysis_pdf import analysis_pdf, analysis_report_html, url_fetcher
from tests.conftest import Cast
from tests.test_risk_reports_support import add_risks, approve, make_analysis

SECTIONS = [
    "1 Scope and inventory",
    "2 Data flows",
    "3 Methodology and rating method",
    "4 Threats and vulnerabilities",
    "5 Risk ratings",
    "6 Risk management plan",
    "7 Risk acceptances",
    "8 Approval and verification",
]


def embedded_file(pdf: bytes) -> bytes:
    """The attached file's bytes: the one EmbeddedFile stream, deflated."""
    start = pdf.index(b"/Type /EmbeddedFile")
    found = re.search(rb"/Length (\d+)", pdf[start:])
    assert found is not None
    body = pdf.index(b"stream\n", start) + len(b"stream\n")
    return zlib.decompress(pdf[body : body + int(found.group(1))])


def page_texts(html: str) -> list[str]:
    """The text WeasyPrint lays out on each page, margin boxes (running header, page numbers) included."""
    pages = []
    for page in HTML(string=html, url_fetcher=url_fetcher()).render().pages:
        found: list[str] = []
        stack: list[Any] = [page._page_box]
        while stack:
            box = stack.pop(0)
            if getattr(box, "text", None):
                found.append(box.text)
            stack[0:0] = list(getattr(box, "children", None) or [])
        pages.append(" ".join(found))
    return pages


def test_the_pdf_is_built_and_carries_the_document_as_an_attachment(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    heard: list[int] = []

    pdf = analysis_pdf(analysis, on_progress=heard.append)

    assert pdf.startswith(b"%PDF-")
    assert heard == [10, 30, 60, 90]
    assert embedded_file(pdf) == canonical_json(analysis_content(analysis))


def test_an_approved_pdf_attachment_hashes_to_the_signed_content_hash(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    signature = approve(analysis, cast.official)

    attached = embedded_file(analysis_pdf(analysis))

    assert hashlib.sha256(attached).hexdigest() == signature.content_sha256
    assert content_hash(analysis.approved_content or {}) == signature.content_sha256


def test_sections_come_in_order_with_the_cover_first(cast: Cast) -> None:
    html = analysis_report_html(make_analysis(cast.org, cast.official))

    cover = html.index('id="cover"')
    positions = [html.index(f"<h2>{title}</h2>") for title in SECTIONS]
    assert cover < positions[0]
    assert positions == sorted(positions)


def test_a_draft_prints_every_part_of_the_analysis(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=2)

    html = analysis_report_html(analysis)

    # cover
    assert "Riverside Clinic" in html and "2026 analysis" in html and "Not submitted" in html
    # 1 scope, with kinds and status
    assert re.search(r"<td>Fax server</td><td>Server</td><td>In service</td>", html)
    # 2 flows: the unencrypted one is flagged
    assert re.search(r"Referral letters</td><td>Fax</td><td><span class=\"flag\">Not encrypted</span>", html)
    assert "1 flow is not encrypted in transit" in html
    assert html.count("data:image/svg+xml;base64,") == 3  # the diagram and two heat maps
    # 3 methodology, scales with definitions, thresholds, the matrix
    assert "Scope: every asset in the inventory" in html
    assert "Expected monthly or already happening." in html and "Large breach, patient harm" in html
    assert "Risks rated Medium or higher must be mitigated" in html
    assert 'style="background:#b42318;color:#ffffff">25<br><span class="small">Critical</span>' in html
    # 4 threats and vulnerabilities
    assert "<strong>R-0001</strong> Ransomware encrypts records 1" in html
    assert "<td>Ransomware</td><td>Unpatched servers</td><td>Nightly backups<br>Endpoint protection</td>" in html
    # 5 ratings: R-0001 is likelihood 2 × impact 3
    assert "<td>2 · Unlikely</td><td>3 · Moderate</td><td>6 <span" in html
    # 6 plan: treatment, owners, actions with due dates and criteria
    assert "Treatments decided: Mitigate 2." in html
    assert "Patch servers monthly (1)" in html and "Scan shows no critical patch missing." in html
    # 7 acceptances
    assert "Replacement planned next year" in html
    # 8 unsigned
    assert "Draft — not approved" in html and "Not approved. This analysis has not been signed" in html
    assert html.count('<div class="line"></div>') == 4
    assert hashlib.sha256(canonical_json(analysis_content(analysis))).hexdigest() in html


def test_an_approved_report_prints_what_was_signed_even_after_the_register_changed(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=2)
    signature = approve(analysis, cast.official, statement="Reviewed with the practice manager.")
    risk = Risk.objects.get(organization=cast.org, number=1)
    risk.title = "Renamed after approval"
    risk.likelihood = 5
    risk.save()
    add_risks(cast.org, cast.official, analysis, 1)
    analysis.refresh_from_db()

    html = analysis_report_html(analysis)

    assert "Ransomware encrypts records 1" in html
    assert "Renamed after approval" not in html and "R-0003" not in html
    assert "Draft — not approved" not in html and '<div class="watermark"' not in html
    assert "Approved: this report prints the analysis exactly as it was signed" in html
    assert "So &lt;so@clinic.test&gt;" in html and "Security official" in html
    assert "Reviewed with the practice manager." in html
    assert signature.content_sha256 in html
    assert "Matches the signed hash." in html


def test_an_altered_signed_copy_is_shown_not_to_match_its_signature(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official)
    approve(analysis, cast.official)
    content = dict(analysis.approved_content or {})
    content["risks"] = content["risks"][1:]
    RiskAnalysis.objects.filter(pk=analysis.pk).update(approved_content=content)
    analysis.refresh_from_db()

    html = analysis_report_html(analysis)

    assert "Does not match the signed hash" in html


def test_heat_maps_count_the_documents_ratings_not_the_registers(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=2)
    approve(analysis, cast.official)
    Risk.objects.filter(organization=cast.org).update(likelihood=5, impact=5, residual_likelihood=5)
    drawn: dict[str, dict[tuple[int, int], int]] = {}

    def record(counts: dict[tuple[int, int], int], method: dict[str, Any], *, title: str) -> str:
        drawn[title] = counts
        return "<svg/>"

    monkeypatch.setattr(analysis_context, "heat_map_svg", record)
    analysis_report_html(analysis)

    # R-0001 was rated 2 × 3 (residual 1 × 3), R-0002 3 × 5 (residual 2 × 5) when approved.
    assert drawn == {"Inherent risk": {(2, 3): 1, (3, 5): 1}, "Residual risk": {(1, 3): 1, (2, 5): 1}}


def test_the_diagram_is_drawn_from_the_documents_scope_and_flows(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=0)
    ehr = Asset.objects.get(organization=cast.org, name="EHR")
    billing = Asset.objects.create(organization=cast.org, name="Billing vendor", kind=AssetKind.CLOUD_SERVICE)
    DataFlow.objects.create(
        organization=cast.org,
        source=ehr,
        destination=billing,
        ephi="Claims",
        transport=Transport.SFTP,
        encrypted_in_transit=True,
    )
    seen: dict[str, Any] = {}

    def record(nodes: list[Any], edges: list[Any], *, max_nodes: int = 150) -> str:
        seen.update(nodes=nodes, edges=edges)
        return "<svg/>"

    monkeypatch.setattr(analysis_context, "flow_diagram_svg", record)
    html = analysis_report_html(analysis)

    nodes = {(node.id, node.name, node.kind) for node in seen["nodes"]}
    assert nodes == {
        ("EHR", "EHR", "application"),
        ("Fax server", "Fax server", "server"),
        ("Lab interface", "Lab interface", "server"),
        ("Billing vendor", "Billing vendor", ""),  # outside the scope, at the far end of a flow
    }
    edges = {(edge.source_id, edge.destination_id, edge.label, edge.encrypted) for edge in seen["edges"]}
    assert ("EHR", "Fax server", "Referral letters", False) in edges
    assert ("EHR", "Billing vendor", "Claims", True) in edges
    assert "outside this analysis's scope: Billing vendor" in html


def test_record_text_is_escaped(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=1)
    Risk.objects.filter(organization=cast.org).update(title='<img src="http://example.test/x.png">')

    html = analysis_report_html(analysis)

    assert '<img src="http://example.test' not in html
    assert "&lt;img src=&quot;http://example.test/x.png&quot;&gt;" in html


@pytest.mark.parametrize("url", ["http://example.test/x.png", "https://example.test/", "file:///etc/hostname"])
def test_the_renderer_fetches_nothing_but_data_urls(url: str) -> None:
    with pytest.raises(ValueError, match="disallowed protocol"):
        url_fetcher().fetch(url)
    assert url_fetcher().fetch("data:text/plain;base64,aGk=").read() == b"hi"


def test_printed_pages_carry_the_running_header_page_numbers_and_repeated_table_headers(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=40)

    pages = page_texts(analysis_report_html(analysis))

    total = len(pages)
    assert all(f"Page {number} of {total}" in text for number, text in enumerate(pages, start=1))
    assert all("Riverside Clinic · 2026 analysis" in text for text in pages[1:])
    assert all("Draft — not approved" in text for text in pages)
    # Only the threats table prints the vulnerability on each row: it runs over several pages, header and all.
    threat_pages = [text for text in pages if "Unpatched servers" in text]
    assert len(threat_pages) >= 2
    assert all("Existing controls" in text for text in threat_pages)
