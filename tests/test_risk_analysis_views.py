"""Risk analysis pages over HTTP: list, start, detail, edit, scope, review workflow, the security official's
approval, and recording or assessing risks; who may do what; isolation; flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import Signature
from safeguard.risk.models import Risk, RiskAnalysis, Threat, ThreatSource
from safeguard.risk.services.analyses import analysis_submit
from safeguard.risk.services.risks import risk_assess
from safeguard.risk.services.triggers import reanalysis_flag
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, audit_count, user_of
from tests.test_risk_analysis_support import actor, approved, asset, in_review, record, start

Status = RiskAnalysis.Status


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def messages_of(response: object) -> list[str]:
    return [str(m) for m in response.context["messages"]]  # type: ignore[attr-defined]


# --- list and start -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    start(cast)
    assert client_for(user_of(cast, who)).get(url("analysis_list")).status_code == expected


def test_list_shows_status_approval_lapse_and_open_triggers(cast: Cast) -> None:
    first = approved(cast, "2025 analysis")
    reanalysis_flag(organization=cast.org, actor=actor(cast.owner), kind="significant_change", reason="New EHR.")
    response = client_for(cast.auditor).get(url("analysis_list"))

    row = response.context["page"].object_list[0]
    assert row.title == "2025 analysis" and row.open_triggers == 1
    assert first.approved_at is not None
    assert row.lapses_on.year == first.approved_at.year + 1
    assert response.context["open_triggers"] == 1
    assert url("analysis_start") not in response.content.decode()


def test_list_offers_start_only_when_no_analysis_is_open(cast: Cast) -> None:
    client = client_for(cast.owner)
    assert client.get(url("analysis_list")).context["can_start"] is True
    start(cast)
    response = client.get(url("analysis_list"))
    assert response.context["can_start"] is False
    assert response.context["current"].title == "2026 risk analysis"


def test_list_filters_by_status(cast: Cast) -> None:
    approved(cast, "Old")
    start(cast, "New")
    client = client_for(cast.owner)
    assert [a.title for a in client.get(url("analysis_list"), {"status": "draft"}).context["page"].object_list] == [
        "New"
    ]
    assert len(client.get(url("analysis_list"), {"status": "nonsense"}).context["page"].object_list) == 2


def test_list_query_count_is_flat(cast: Cast) -> None:
    client = client_for(cast.auditor)
    for year in range(2000, 2003):
        approved(cast, str(year))
    with CaptureQueriesContext(connection) as few:
        client.get(url("analysis_list"))
    for year in range(2003, 2015):
        approved(cast, str(year))
    with CaptureQueriesContext(connection) as many:
        client.get(url("analysis_list"))
    assert len(many) == len(few)


def test_start_through_the_page(cast: Cast) -> None:
    asset(cast, "EHR server")
    client = client_for(cast.official)
    form = client.get(url("analysis_start")).context["form"]
    assert form.initial["methodology"].startswith("Scope:")

    response = client.post(url("analysis_start"), {"title": "2026", "methodology": "Our way."})

    analysis = RiskAnalysis.objects.get()
    assert response["Location"] == url("analysis_detail", analysis.public_id)
    assert analysis.scope_items.count() == 1 and analysis.methodology == "Our way."


def test_start_while_one_is_open_shows_the_refusal(cast: Cast) -> None:
    start(cast, "Open one")
    response = client_for(cast.owner).post(url("analysis_start"), {"title": "2026", "methodology": "x"})
    assert response.status_code == 200
    assert "Finish or approve “Open one” first" in response.context["form"].errors["title"][0]
    assert RiskAnalysis.objects.count() == 1


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_start_is_for_program_managers(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_for(user_of(cast, who)).post(url("analysis_start"), {"title": "2026", "methodology": "x"})
    assert response.status_code == expected
    assert not RiskAnalysis.objects.exists()
    assert audit_count() == before


# --- detail -------------------------------------------------------------------------------------------------------


def test_detail_shows_scope_method_and_risks(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    record(cast, analysis, "Ransomware", likelihood=5, impact=5, assets=[server])
    record(cast, analysis, "Lost phone", likelihood=1, impact=2)

    response = client_for(cast.auditor).get(url("analysis_detail", analysis.public_id))

    rows = response.context["page"].object_list
    assert [(r["reference"], r["inherent_label"], r["inherent_heat"]) for r in rows] == [
        ("R-0001", "Critical", 4),
        ("R-0002", "Low", 0),
    ]
    assert rows[0]["assets"] == ["EHR server"]
    assert [item.name for item in response.context["scope_page"].object_list] == ["EHR server"]
    assert len(response.context["matrix"]) == 5
    page = response.content.decode()
    assert "Submit for review" not in page  # auditors read only
    assert url("risk_assess", rows[0]["id"]) not in page


def test_detail_filters_risks_by_level_and_treatment(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis, "High one", likelihood=3, impact=4)
    record(cast, analysis, "Low one", likelihood=1, impact=1)
    Risk.objects.filter(title="Low one").update(treatment="accept")
    client = client_for(cast.owner)

    def titles(**params: str) -> list[str]:
        response = client.get(url("analysis_detail", analysis.public_id), params)
        return [row["title"] for row in response.context["page"].object_list]

    assert titles(level="high") == ["High one"]
    assert titles(treatment="accept") == ["Low one"]
    assert titles(treatment="none") == ["High one"]
    assert titles(level="bogus") == ["High one", "Low one"]


def test_detail_of_an_approved_analysis_shows_the_signed_record(cast: Cast) -> None:
    analysis = approved(cast)
    Risk.objects.update(title="Renamed after approval")

    response = client_for(cast.owner).get(url("analysis_detail", analysis.public_id))

    assert [row["title"] for row in response.context["page"].object_list] == ["Ransomware on the EHR"]
    assert response.context["signer_role"] == "Security official"
    assert analysis.approval is not None
    assert analysis.approval.content_sha256 in response.content.decode()


def test_detail_workflow_buttons_follow_role_and_state(cast: Cast) -> None:
    analysis = in_review(cast)
    owner_page = client_for(cast.owner).get(url("analysis_detail", analysis.public_id))
    official_page = client_for(cast.official).get(url("analysis_detail", analysis.public_id))

    assert owner_page.context["can_approve"] is False and owner_page.context["can_return"] is True
    assert official_page.context["can_approve"] is True
    assert url("analysis_approve", analysis.public_id) in official_page.content.decode()
    assert url("analysis_approve", analysis.public_id) not in owner_page.content.decode()


def test_detail_query_count_is_flat(cast: Cast) -> None:
    threat = Threat.objects.create(organization=cast.org, name="Ransomware", source_type=ThreatSource.ADVERSARIAL)
    servers = [asset(cast, f"Server {index}") for index in range(30)]
    analysis = start(cast)
    client = client_for(cast.official)
    for index in range(3):
        record(cast, analysis, f"Risk {index}", assets=servers[:2], threat=threat, owner=cast.official)
    with CaptureQueriesContext(connection) as few:
        client.get(url("analysis_detail", analysis.public_id))
    for index in range(3, 30):
        record(cast, analysis, f"Risk {index}", assets=servers[:3], threat=threat, owner=cast.owner)
    with CaptureQueriesContext(connection) as many:
        client.get(url("analysis_detail", analysis.public_id))
    assert len(many) == len(few)


def test_another_organizations_analysis_is_not_found(cast: Cast) -> None:
    analysis = start(cast)
    client = client_for(cast.outsider)
    assert client.get(url("analysis_detail", analysis.public_id, org="other")).status_code == 404
    assert client.post(url("analysis_edit", analysis.public_id, org="other"), {"title": "x"}).status_code == 404
    assert RiskAnalysis.objects.get().title == "2026 risk analysis"


# --- edit, scope, workflow ----------------------------------------------------------------------------------------


def test_edit_title_and_methodology(cast: Cast) -> None:
    analysis = start(cast)
    client_for(cast.owner).post(url("analysis_edit", analysis.public_id), {"title": "Renamed", "methodology": "New."})
    analysis.refresh_from_db()
    assert (analysis.title, analysis.methodology) == ("Renamed", "New.")


def test_scope_page_adds_and_removes(cast: Cast) -> None:
    analysis = start(cast)
    portal = asset(cast, "Portal", status="planned")
    client = client_for(cast.owner)
    page = url("analysis_scope", analysis.public_id)

    client.post(page, {"action": "add", "asset": str(portal.public_id)})
    assert list(analysis.scope_items.values_list("name", flat=True)) == ["Portal"]
    client.post(page, {"action": "remove", "asset": str(portal.public_id)})
    assert not analysis.scope_items.exists()


def test_submit_refusal_is_shown_and_changes_nothing(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis, impact=None)
    response = client_for(cast.owner).post(url("analysis_submit", analysis.public_id), follow=True)
    assert any("R-0001 has no likelihood and impact" in m for m in messages_of(response))
    assert RiskAnalysis.objects.get().status == Status.DRAFT


def test_submit_and_return_through_the_pages(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis)
    client = client_for(cast.official)
    assert client.get(url("analysis_submit", analysis.public_id)).status_code == 405

    client.post(url("analysis_submit", analysis.public_id))
    assert RiskAnalysis.objects.get().status == Status.IN_REVIEW
    client.post(url("analysis_return", analysis.public_id), {"reason": "Rate the laptops."})
    assert RiskAnalysis.objects.get().status == Status.DRAFT


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_workflow_posts_are_for_program_managers(cast: Cast, who: str, expected: int) -> None:
    analysis = start(cast)
    record(cast, analysis)
    before = audit_count()
    client = client_for(user_of(cast, who))
    org = "other" if who == "outsider" else "clinic"
    assert client.post(url("analysis_submit", analysis.public_id, org=org)).status_code == expected
    assert client.post(url("analysis_scope", analysis.public_id, org=org), {"action": "add"}).status_code == expected
    assert RiskAnalysis.objects.get().status == Status.DRAFT
    assert audit_count() == before


# --- approval -------------------------------------------------------------------------------------------------------


def test_an_owner_sees_why_they_cannot_sign_and_no_form(cast: Cast) -> None:
    analysis = in_review(cast)
    response = client_for(cast.owner).get(url("analysis_approve", analysis.public_id))
    assert response.status_code == 200
    assert "only a current member with the Security official role" in response.content.decode()
    assert "Sign and approve" not in response.content.decode()


def test_the_security_official_approves_through_the_page(cast: Cast) -> None:
    analysis = in_review(cast)
    client = client_for(cast.official)
    page = url("analysis_approve", analysis.public_id)
    assert client.get(page).context["risk_count"] == 1

    unticked = client.post(page, {"statement": "I approve."})
    assert "confirm" in unticked.context["form"].errors
    assert not Signature.objects.exists()

    response = client.post(page, {"statement": "I approve.", "confirm": "on"})
    assert response["Location"] == url("analysis_detail", analysis.public_id)
    analysis.refresh_from_db()
    assert analysis.approval is not None
    assert analysis.status == Status.APPROVED and analysis.approval.statement == "I approve."


@pytest.mark.parametrize(("who", "expected"), [("owner", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_no_one_but_the_security_official_may_approve(cast: Cast, who: str, expected: int) -> None:
    analysis = in_review(cast)
    before = audit_count()
    client = client_for(user_of(cast, who))
    page = url("analysis_approve", analysis.public_id, org="other" if who == "outsider" else "clinic")

    response = client.post(page, {"statement": "I approve.", "confirm": "on"})

    assert response.status_code == expected
    if who == "owner":
        assert "security official" in response.content.decode()
    assert RiskAnalysis.objects.get().status == Status.IN_REVIEW
    assert not Signature.objects.exists()
    assert audit_count() == before


# --- recording and assessing risks --------------------------------------------------------------------------------


def test_record_a_risk_in_an_analysis(cast: Cast) -> None:
    server = asset(cast, "EHR server")
    analysis = start(cast)
    asset(cast, "Not in scope")
    page = f"{url('risk_create')}?analysis={analysis.public_id}"
    client = client_for(cast.official)

    form = client.get(page).context["form"]
    assert [a.name for a in form.fields["assets"].queryset] == ["EHR server"]
    assert form.fields["likelihood"].choices[3] == (3, "3 — Possible: Could happen about once a year.")
    body = {
        "title": "Ransomware",
        "assets": [str(server.public_id)],
        "likelihood": "4",
        "impact": "5",
        "requirements": ["164.308(a)(1)(ii)(A)"],
        "owner": str(cast.official.public_id),
    }
    response = client.post(page, body)

    assert response["Location"] == url("analysis_detail", analysis.public_id)
    risk = Risk.objects.get()
    assert (risk.analysis, risk.inherent_level, risk.owner) == (analysis, "critical", cast.official)


def test_record_a_risk_between_analyses_goes_to_the_register(cast: Cast) -> None:
    response = client_for(cast.owner).post(url("risk_create"), {"title": "Lost phone", "likelihood": "2"})
    risk = Risk.objects.get()
    assert risk.analysis is None and risk.inherent_score is None
    assert response["Location"] == url("risk_detail", risk.public_id)


def test_a_residual_above_inherent_saves_with_a_warning(cast: Cast) -> None:
    body = {"title": "X", "likelihood": "1", "impact": "1", "residual_likelihood": "2", "residual_impact": "2"}
    response = client_for(cast.owner).post(url("risk_create"), body, follow=True)
    assert any("higher than the inherent score" in m for m in messages_of(response))
    assert Risk.objects.get().residual_score == 4


def test_a_rating_off_the_scale_is_refused_by_the_form(cast: Cast) -> None:
    analysis = start(cast)
    page = f"{url('risk_create')}?analysis={analysis.public_id}"
    response = client_for(cast.owner).post(page, {"title": "X", "likelihood": "7"})
    assert "likelihood" in response.context["form"].errors
    assert not Risk.objects.exists()


def test_assess_a_risk_through_the_page(cast: Cast) -> None:
    analysis = start(cast)
    risk = record(cast, analysis)
    page = url("risk_assess", risk.public_id)
    client = client_for(cast.owner)
    form = client.get(page).context["form"]
    assert form.initial["likelihood"] == 3 and "owner" not in form.fields

    client.post(page, {"title": risk.title, "likelihood": "1", "impact": "1"})

    risk.refresh_from_db()
    assert (risk.inherent_score, risk.inherent_level) == (1, "low")


def test_assessing_a_risk_of_an_approved_analysis_is_refused_on_the_page(cast: Cast) -> None:
    risk = Risk.objects.get(analysis=approved(cast))
    client = client_for(cast.owner)
    page = url("risk_assess", risk.public_id)
    assert "start a new analysis to re-rate it" in client.get(page).context["refusal"]

    response = client.post(page, {"title": "Changed", "likelihood": "1", "impact": "1"})

    assert "start a new analysis" in response.context["form"].non_field_errors()[0]
    risk.refresh_from_db()
    assert risk.title == "Ransomware on the EHR"


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_recording_and_assessing_are_for_program_managers(cast: Cast, who: str, expected: int) -> None:
    analysis = start(cast)
    risk = record(cast, analysis)
    before = audit_count()
    client = client_for(user_of(cast, who))
    org = "other" if who == "outsider" else "clinic"
    create = f"{url('risk_create', org=org)}?analysis={analysis.public_id}"
    assert client.post(create, {"title": "X"}).status_code == expected
    assert client.post(url("risk_assess", risk.public_id, org=org), {"title": "Y"}).status_code == expected
    assert list(Risk.objects.values_list("title", flat=True)) == ["Ransomware on the EHR"]
    assert audit_count() == before


def test_a_risk_or_analysis_of_another_organization_is_not_found(cast: Cast) -> None:
    theirs = start(cast)
    risk = record(cast, theirs)
    client = client_for(cast.outsider)
    assert client.get(f"{url('risk_create', org='other')}?analysis={theirs.public_id}").status_code == 404
    assert client.get(url("risk_assess", risk.public_id, org="other")).status_code == 404


def test_submit_of_a_risk_free_analysis_keeps_draft(cast: Cast) -> None:
    analysis = start(cast)
    record(cast, analysis)
    analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=analysis)
    page = f"{url('risk_create')}?analysis={analysis.public_id}"
    response = client_for(cast.owner).get(page)
    assert "risks can be added only to a draft" in response.context["refusal"]


# --- links and the report ------------------------------------------------------------------------------------------


def test_risks_on_the_detail_page_link_to_the_register(cast: Cast) -> None:
    analysis = start(cast)
    risk = record(cast, analysis)
    page = client_for(cast.auditor).get(url("analysis_detail", analysis.public_id)).content.decode()
    assert f'href="{url("risk_detail", risk.public_id)}"' in page


def test_an_auditor_is_offered_the_pdf_report(cast: Cast) -> None:
    analysis = approved(cast)
    page = client_for(cast.auditor).get(url("analysis_detail", analysis.public_id)).content.decode()
    assert url("analysis_report", analysis.public_id) in page
    assert "Build the PDF report" in page


def test_an_approved_analysis_page_and_api_show_the_same_signed_risks(cast: Cast) -> None:
    first = approved(cast, "2025 analysis")
    risk = Risk.objects.get()
    second = start(cast, "2026 analysis")  # the risk leaves the approved analysis for the new one
    risk.refresh_from_db()
    risk_assess(organization=cast.org, actor=actor(cast.owner), risk=risk, title="Re-assessed", likelihood=1)

    page = client_for(cast.auditor).get(url("analysis_detail", first.public_id)).context["page"]
    api = api_client(cast.auditor).get(f"/api/v1/orgs/clinic/analyses/{first.public_id}/risks/").json()

    signed = [(row["reference"], row["title"], row["likelihood"]) for row in page.object_list]
    assert signed == [(row["reference"], row["title"], row["likelihood"]) for row in api["results"]]
    assert signed == [("R-0001", "Ransomware on the EHR", 3)]
    live = client_for(cast.auditor).get(url("analysis_detail", second.public_id)).context["page"].object_list
    assert [(row["title"], row["likelihood"]) for row in live] == [("Re-assessed", 1)]
