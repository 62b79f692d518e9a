"""Recording significant changes (re-analysis triggers) through the page and the API, and listing triggers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Obligation
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import ReanalysisTrigger, RiskAnalysis
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_register_support import TODAY, api, page

Kind = ReanalysisTrigger.Kind


def approved_analysis(cast: Cast) -> RiskAnalysis:
    return RiskAnalysis.objects.create(
        organization=cast.org,
        title="2025 analysis",
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.official,
        status=RiskAnalysis.Status.APPROVED,
        approved_at=timezone.now() - timedelta(days=100),
    )


def trigger(cast: Cast, reason: str, **extra: object) -> ReanalysisTrigger:
    return ReanalysisTrigger.objects.create(organization=cast.org, kind=Kind.SIGNIFICANT_CHANGE, reason=reason, **extra)


# ---- recording a change ----------------------------------------------------------------------------------------


def test_recording_a_change_creates_the_trigger_and_an_obligation_for_the_security_official(cast: Cast) -> None:
    analysis = approved_analysis(cast)

    response = client_for(cast.owner).post(
        page("trigger_create"), {"change": "ehr", "details": "Moving to a cloud EHR in May.", "due_on": ""}
    )

    assert response.status_code == 302 and response["Location"] == page("trigger_list")
    recorded = ReanalysisTrigger.objects.get()
    assert recorded.kind == Kind.SIGNIFICANT_CHANGE
    assert recorded.reason == "New or replaced EHR or other major system: Moving to a cloud EHR in May."
    assert recorded.analysis == analysis and recorded.recorded_by == cast.owner
    obligation = recorded.obligation
    assert obligation is not None
    assert (obligation.owner, obligation.due_on) == (cast.official, TODAY + timedelta(days=30))
    assert obligation.citation == "164.308(a)(1)(ii)(A)" and obligation.source == "risk.reanalysis"
    assert AuditEvent.objects.filter(action="risk.reanalysis.flagged").count() == 1


def test_a_change_before_any_approved_analysis_is_still_recorded(cast: Cast) -> None:
    response = client_for(cast.official).post(
        page("trigger_create"),
        {"change": "merger", "details": "Merging with Lakeside Dental.", "due_on": str(TODAY + timedelta(days=60))},
    )

    assert response.status_code == 302
    recorded = ReanalysisTrigger.objects.get()
    assert recorded.analysis is None
    assert recorded.obligation is not None and recorded.obligation.due_on == TODAY + timedelta(days=60)


def test_details_are_required(cast: Cast) -> None:
    response = client_for(cast.official).post(page("trigger_create"), {"change": "relocation", "details": " "})

    assert response.status_code == 200
    assert "details" in response.context["form"].errors
    assert not ReanalysisTrigger.objects.exists() and not Obligation.objects.exists()


def test_a_due_date_too_far_ahead_is_refused_on_the_field(cast: Cast) -> None:
    response = client_for(cast.official).post(
        page("trigger_create"), {"change": "other", "details": "x", "due_on": str(add_years(TODAY, 11))}
    )

    assert response.status_code == 200
    assert "due date" in response.context["form"].errors["due_on"][0]
    assert not ReanalysisTrigger.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_only_program_managers_record_changes(cast: Cast, who: str, expected: int) -> None:
    client = client_for(getattr(cast, who))

    assert client.get(page("trigger_create")).status_code == expected
    assert client.post(page("trigger_create"), {"change": "ehr", "details": "x"}).status_code == expected
    assert not ReanalysisTrigger.objects.exists() and not AuditEvent.objects.exists()


# ---- the list --------------------------------------------------------------------------------------------------


def test_list_shows_open_and_resolved_triggers_with_their_obligations(cast: Cast) -> None:
    analysis = approved_analysis(cast)
    duty = Obligation.objects.create(
        organization=cast.org, title="Update the risk analysis", owner=cast.official, due_on=TODAY + timedelta(days=9)
    )
    trigger(cast, "Relocated to Main Street", obligation=duty)
    trigger(cast, "Bought a practice", resolved_by=analysis)
    ReanalysisTrigger.objects.create(organization=cast.other_org, kind=Kind.LAPSED, reason="Theirs")
    client = client_for(cast.auditor)

    open_page = client.get(page("trigger_list"))
    resolved_page = client.get(page("trigger_list"), {"show": "resolved"})

    assert [t.reason for t in open_page.context["page"].object_list] == ["Relocated to Main Street"]
    assert "Update the risk analysis" in open_page.content.decode()
    assert page("trigger_create") not in open_page.content.decode()  # auditors read only
    assert [t.reason for t in resolved_page.context["page"].object_list] == ["Bought a practice"]
    assert "2025 analysis" in resolved_page.content.decode()


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("workforce", 403), ("outsider", 404)])
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    assert client_for(getattr(cast, who)).get(page("trigger_list")).status_code == expected


def test_list_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)

    def add(count: int) -> None:
        for n in range(count):
            duty = Obligation.objects.create(
                organization=cast.org, title=f"Duty {n}", owner=cast.official, due_on=TODAY
            )
            trigger(cast, f"Change {n}", obligation=duty, recorded_by=cast.owner)

    add(3)
    with CaptureQueriesContext(connection) as few:
        assert client.get(page("trigger_list")).status_code == 200
    add(27)
    with CaptureQueriesContext(connection) as many:
        assert client.get(page("trigger_list")).status_code == 200

    assert len(many) == len(few)


# ---- the API ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 201), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_api_record_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()

    response = client_as(cast, who).post(api("risk_triggers"), {"reason": "New EHR"}, format="json")

    assert response.status_code == expected
    if expected == 201:
        body = response.json()
        assert body["kind"] == "significant_change" and body["reason"] == "New EHR"
        assert body["obligation"]["owner"]["email"] == cast.official.email
    else:
        assert not ReanalysisTrigger.objects.exists() and audit_count() == before


def test_api_record_needs_a_reason(cast: Cast) -> None:
    response = api_client(cast.owner).post(api("risk_triggers"), {"reason": ""}, format="json")
    assert response.status_code == 400 and list(error_of(response)["fields"]) == ["reason"]


def test_api_list_filters_open_and_reads_one(cast: Cast) -> None:
    analysis = approved_analysis(cast)
    waiting = trigger(cast, "Open one")
    trigger(cast, "Answered", resolved_by=analysis)
    client = api_client(cast.auditor)

    assert [r["reason"] for r in client.get(api("risk_triggers"), {"open": "true"}).json()["results"]] == ["Open one"]
    assert [r["reason"] for r in client.get(api("risk_triggers"), {"open": "false"}).json()["results"]] == ["Answered"]
    one = client.get(api("risk_trigger", waiting.public_id))
    assert one.status_code == 200 and one.json()["resolved_by_id"] is None


def test_api_another_organizations_trigger_is_404(cast: Cast) -> None:
    theirs = ReanalysisTrigger.objects.create(organization=cast.other_org, kind=Kind.LAPSED, reason="Theirs")
    assert api_client(cast.owner).get(api("risk_trigger", theirs.public_id)).status_code == 404
    assert api_client(cast.workforce).get(api("risk_triggers")).status_code == 403
