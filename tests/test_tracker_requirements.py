"""The requirements tree and the drill-down page of one requirement: routing, contents, filters, queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, resolve, reverse
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import Evidence, EvidenceLink, Obligation
from safeguard.tracker import registry
from safeguard.tracker.evaluation import tracker_evaluate
from safeguard.tracker.models import Attestation, Status, Verdict
from safeguard.tracker.registry import CheckResult, RecordRef
from safeguard.tracker.services import attestation_record, decision_record
from tests.conftest import Cast, client_for

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def list_url(slug: str = "clinic") -> str:
    return reverse("tracker:requirements", args=[slug])


def detail_url(citation: str, slug: str = "clinic") -> str:
    return reverse("tracker:requirement", args=[slug, citation])


def evaluate(cast: Cast) -> None:
    tracker_evaluate(organization=cast.org, actor=Actor.system("test"))


def rows_of(body: str) -> list[str]:
    """Citations of the rows in the requirements tables, in page order."""
    marker = '<th scope="row" class="cite"><a href="/o/clinic/requirements/'
    return [part.split("/")[0] for part in body.split(marker)[1:]]


# Routing ----------------------------------------------------------------------------------------------------------


def test_citations_with_parentheses_route_both_ways(cast: Cast) -> None:
    url = detail_url("164.308(a)(1)(ii)(A)")
    assert url == "/o/clinic/requirements/164.308(a)(1)(ii)(A)/"
    match = resolve(url)
    assert (match.view_name, match.kwargs["citation"]) == ("tracker:requirement", "164.308(a)(1)(ii)(A)")
    response = client_for(cast.owner).get(url)
    assert response.status_code == 200
    assert "<h1>164.308(a)(1)(ii)(A) Risk analysis</h1>" in response.content.decode()
    encoded = client_for(cast.owner).get("/o/clinic/requirements/164.308%28a%29%281%29/")
    assert encoded.status_code == 200


@pytest.mark.parametrize("citation", ["164.999(z)", "164.308(a)(1)(ii)(Z)", "nonsense"])
def test_unknown_citation_is_404(cast: Cast, citation: str) -> None:
    assert client_for(cast.owner).get(detail_url(citation)).status_code == 404


# Who sees them ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)]
)
@pytest.mark.parametrize("page", ["list", "detail"])
def test_requirement_pages_access(cast: Cast, who: str, status: int, page: str) -> None:
    url = list_url() if page == "list" else detail_url("164.310(b)")
    assert client_for(getattr(cast, who)).get(url).status_code == status


@pytest.mark.parametrize("page", ["list", "detail"])
def test_requirement_pages_need_sign_in(cast: Cast, page: str) -> None:
    url = list_url() if page == "list" else detail_url("164.310(b)")
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_auditor_sees_no_write_forms(cast: Cast) -> None:
    body = client_for(cast.auditor).get(detail_url("164.312(a)(2)(iii)")).content.decode()
    assert 'id="attest-heading"' not in body and 'id="decide-heading"' not in body
    owner_body = client_for(cast.owner).get(detail_url("164.312(a)(2)(iii)")).content.decode()
    assert 'id="attest-heading"' in owner_body and 'id="decide-heading"' in owner_body


# The tree ---------------------------------------------------------------------------------------------------------


def test_tree_lists_all_68_requirements_in_catalog_order_grouped_by_safeguard(cast: Cast) -> None:
    evaluate(cast)
    body = client_for(cast.owner).get(list_url()).content.decode()
    citations = rows_of(body)
    assert len(citations) == 68
    assert citations[:3] == ["164.308(a)(1)", "164.308(a)(1)(ii)(A)", "164.308(a)(1)(ii)(B)"]
    assert citations[-1] == "164.316(b)(2)(iii)"
    assert body.count('<h2 id="sg-') == 5
    assert 'class="status status-met">Met</span>' in body


def test_tree_rows_show_basis_reason_and_the_proposed_rule_flag(cast: Cast) -> None:
    attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.310(b)",
        statement="Policy issued to all staff.",
        expires_on=TODAY + timedelta(days=100),
    )
    evaluate(cast)
    body = client_for(cast.owner).get(list_url() + "?safeguard=physical").content.decode()
    row = body.split('href="/o/clinic/requirements/164.310(b)/"')[1].split("</tr>")[0]
    assert '<span class="basis basis-attestation">Manual attestation</span>' in row
    assert "Attested by Owner on" in row
    assert (TODAY + timedelta(days=100)).isoformat() in row
    assert "Changes under the 2025 proposed rule" in row
    official = client_for(cast.owner).get(list_url()).content.decode()
    so_row = official.split('href="/o/clinic/requirements/164.308(a)(2)/"')[1].split("</tr>")[0]
    assert '<span class="basis basis-records">Verified by records</span>' in so_row


def test_tree_before_any_evaluation_shows_unknown_everywhere(cast: Cast) -> None:
    body = client_for(cast.owner).get(list_url()).content.decode()
    assert "Not evaluated yet:" in body
    assert body.count("status-unknown") == 68


def test_filter_by_status_keeps_the_standard_for_context(cast: Cast) -> None:
    evaluate(cast)
    body = client_for(cast.owner).get(list_url() + "?status=not_applicable").content.decode()
    citations = rows_of(body)
    # 164.308(a)(4)(ii)(A) (clearinghouse) and the whole group health plan standard.
    assert citations == [
        "164.308(a)(4)",
        "164.308(a)(4)(ii)(A)",
        "164.314(b)(1)",
        "164.314(b)(2)(i)",
        "164.314(b)(2)(ii)",
        "164.314(b)(2)(iii)",
        "164.314(b)(2)(iv)",
    ]
    assert body.count('class="standard context"') == 1  # 164.308(a)(4) is unknown itself
    assert "6 requirements shown" in body


def test_filter_by_safeguard_and_open_status(cast: Cast) -> None:
    evaluate(cast)
    body = client_for(cast.owner).get(list_url() + "?safeguard=documentation&status=open").content.decode()
    assert rows_of(body) == [
        "164.316(a)",
        "164.316(b)(1)",
        "164.316(b)(2)(i)",
        "164.316(b)(2)(ii)",
        "164.316(b)(2)(iii)",
    ]


def test_invalid_filter_is_a_400_with_the_error(cast: Cast) -> None:
    response = client_for(cast.owner).get(list_url() + "?status=excellent")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def count_queries(cast: Cast, url: str) -> int:
    client = client_for(cast.owner)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def grow(cast: Cast, count: int) -> None:
    for i in range(count):
        attestation = attestation_record(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            citation="164.310(b)",
            statement=f"Statement {i}",
            expires_on=TODAY + timedelta(days=30 + i),
            evidence_file=SimpleUploadedFile(f"e{i}.txt", b"evidence %d" % i, content_type="text/plain"),
        )
        if i % 2:
            Attestation.objects.filter(pk=attestation.pk).update(withdrawn_at=timezone.now())
        evidence = Evidence.objects.create(
            organization=cast.org,
            title=f"Linked directly {i}",
            effective_date=TODAY,
            retain_until=TODAY + timedelta(days=2200),
            created_by=cast.owner,
        )
        EvidenceLink.objects.create(evidence=evidence, target_type="catalog.requirement", target_id="164.310(b)")
        decision_record(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            citation="164.312(a)(2)(iii)",
            decision="alternative",
            rationale=f"Rationale {i}",
            alternative_measure="Badge-locked room.",
            review_on=TODAY + timedelta(days=100),
        )
    Obligation.objects.bulk_create(
        Obligation(organization=cast.org, title=f"Duty {i}", owner=cast.official, due_on=TODAY) for i in range(count)
    )
    evaluate(cast)


@pytest.mark.parametrize(
    "url", [list_url(), list_url() + "?status=open", detail_url("164.310(b)"), detail_url("164.312(a)(2)(iii)")]
)
def test_queries_stay_flat_as_attestations_and_decisions_grow(cast: Cast, url: str) -> None:
    grow(cast, 3)
    few = count_queries(cast, url)
    grow(cast, 30)
    assert count_queries(cast, url) == few
    # The drill-down: catalog, verdicts, attestations, decisions, linked evidence, the attestations' evidence picker.
    assert few <= 16


# The drill-down ---------------------------------------------------------------------------------------------------


def test_standard_page_lists_its_specifications_with_verdicts(cast: Cast) -> None:
    evaluate(cast)
    body = client_for(cast.auditor).get(detail_url("164.308(a)(4)")).content.decode()
    specs = body.split('id="specs-heading"')[1].split("</section>")[0]
    assert specs.count("<tr>") == 4  # header + three specifications
    assert "status-not_applicable" in specs and "status-unknown" in specs
    assert "0 of 2 applicable specifications met." in body
    assert "its status rolls up from its specifications" in body
    assert 'id="attest-heading"' not in client_for(cast.owner).get(detail_url("164.308(a)(4)")).content.decode()


def test_specification_page_shows_checks_records_attestations_and_catalog_text(cast: Cast) -> None:
    attestation = attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.316(b)(2)(i)",
        statement="Retention schedule applied.",
        expires_on=TODAY + timedelta(days=60),
        evidence_file=SimpleUploadedFile("schedule.txt", b"six years", content_type="text/plain"),
        evidence_title="Retention schedule",
    )
    evaluate(cast)
    body = client_for(cast.owner).get(detail_url("164.316(b)(2)(i)")).content.decode()
    assert "<code>core.evidence_retention</code>" in body
    # The retention check found evidence kept six years, so records decide over the attestation.
    assert '<span class="basis basis-records">Verified by records</span>' in body
    assert f'id="attestation-{attestation.public_id}"' in body
    assert "Retention schedule" in body
    assert "Withdraw attestation" in body
    assert "Changes under" not in body  # no proposed-rule text for this one
    assert "<strong>Note:</strong>" in body


def test_records_behind_a_verdict_link_to_attestations_on_the_page(cast: Cast) -> None:
    attestation = attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.310(b)",
        statement="Policy issued.",
        expires_on=TODAY + timedelta(days=60),
        evidence_file=SimpleUploadedFile("p.txt", b"policy", content_type="text/plain"),
        evidence_title="Workstation policy",
    )
    evaluate(cast)
    verdict = Verdict.objects.get(organization=cast.org, requirement__citation="164.310(b)")
    evidence_id = verdict.records[1]["id"]
    body = client_for(cast.owner).get(detail_url("164.310(b)")).content.decode()
    records = body.split("Records behind this verdict")[1].split("</ul>")[0]
    assert f'href="#attestation-{attestation.public_id}"' in records
    assert "Workstation policy" in records
    try:
        evidence_url = reverse("core:evidence_detail", args=["clinic", evidence_id])
    except NoReverseMatch:  # the evidence page may not be routed in this build
        evidence_url = None
    if evidence_url:
        assert f'href="{evidence_url}"' in records


def test_decisions_show_signature_status_and_the_sign_button_to_signers_only(cast: Cast) -> None:
    decision = decision_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.312(a)(2)(iii)",
        decision="not_reasonable",
        rationale="Kiosk in a locked room.",
        alternative_measure="Badge-locked room.",
        review_on=TODAY + timedelta(days=100),
    )
    evaluate(cast)
    owner_body = client_for(cast.owner).get(detail_url("164.312(a)(2)(iii)")).content.decode()
    assert "Awaiting signature" in owner_body
    assert f'<a href="#decision-{decision.public_id}">Decision: Not reasonable and appropriate</a>' in owner_body
    assert ">Sign decision</button>" in owner_body
    auditor_body = client_for(cast.auditor).get(detail_url("164.312(a)(2)(iii)")).content.decode()
    assert "Awaiting signature" in auditor_body
    assert "Sign decision" not in auditor_body


def test_record_links_from_checks_stay_inside_the_site(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_checks", {})

    def with_links(organization: object, today: object) -> CheckResult:
        return CheckResult(
            Status.MET,
            "Reviewed.",
            (
                RecordRef("risk.analysis", "1", "Local page", "/o/clinic/risk/1/"),
                RecordRef("risk.analysis", "2", "Other host", "//evil.example/x"),
                RecordRef("risk.analysis", "3", "Script", "javascript:alert(1)"),
            ),
        )

    registry.check("164.310(c)", name="t.links")(with_links)
    evaluate(cast)
    body = client_for(cast.owner).get(detail_url("164.310(c)")).content.decode()
    records = body.split("Records behind this verdict")[1].split("</ul>")[0]
    assert '<a href="/o/clinic/risk/1/">Local page</a>' in records
    assert "Other host" in records and "evil.example" not in records
    assert "Script" in records and "javascript:" not in records
