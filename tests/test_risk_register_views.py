"""The register page and a risk's page over HTTP: filters, charts, treatment, close/reopen, adding actions; who
may do what, isolation between organizations, and flat query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern

from safeguard.core.models import AuditEvent
from safeguard.risk import urls_register
from safeguard.risk.methods import METHODOLOGY, PROFILE_3X3, PROFILE_5X5
from safeguard.risk.models import Asset, AssetKind, MitigationAction, Risk, RiskAnalysis, Treatment
from tests.conftest import Cast, client_for
from tests.risk_records import risk_records
from tests.test_risk_register_support import TODAY, make_acceptance, make_action, make_risk, page

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse


def references(response: TestResponse) -> list[str]:
    return [risk.reference for risk in response.context["page"].object_list]


@pytest.fixture
def register(cast: Cast) -> dict[str, Risk]:
    """Five risks of the clinic with different ratings, treatments, owners and actions; one of the other org."""
    ehr = Asset.objects.create(organization=cast.org, name="EHR", kind=AssetKind.APPLICATION)
    analysis = RiskAnalysis.objects.create(
        organization=cast.org, title="2026", method=dict(PROFILE_5X5), methodology=METHODOLOGY, started_by=cast.owner
    )
    risks = {
        "ransomware": make_risk(
            cast.org,
            1,
            "Ransomware",
            inherent=(5, 5),
            residual=(3, 4),
            treatment=Treatment.MITIGATE,
            owner=cast.official,
            analysis=analysis,
        ),
        "laptop": make_risk(cast.org, 2, "Stolen laptop", inherent=(3, 4), residual=(2, 2), owner=cast.owner),
        "paper": make_risk(cast.org, 3, "Paper charts", inherent=(2, 2), treatment=Treatment.ACCEPT),
        "flood": make_risk(
            cast.org, 4, "Flooded server room", inherent=(1, 5), status=Risk.Status.CLOSED, treatment=Treatment.AVOID
        ),
        "phishing": make_risk(cast.org, 5, "Phishing", description="Credential theft by email"),
    }
    risks["ransomware"].assets.add(ehr)
    make_action(risks["ransomware"], cast.official, days=-3, title="Patch")
    make_action(risks["ransomware"], cast.workforce, days=10, title="Train")
    make_action(risks["laptop"], cast.official, days=5, title="Encrypt")
    make_acceptance(risks["paper"], cast.official)
    make_risk(cast.other_org, 1, "Their risk", inherent=(5, 5))
    return risks


# ---- the register ----------------------------------------------------------------------------------------------


def test_register_lists_every_risk_of_the_organization_with_action_counts(
    cast: Cast, register: dict[str, Risk]
) -> None:
    response = client_for(cast.official).get(page("register"))

    assert response.status_code == 200
    assert references(response) == ["R-0001", "R-0002", "R-0003", "R-0004", "R-0005"]
    first = response.context["page"].object_list[0]
    assert (first.open_actions, first.overdue_actions) == (2, 1)
    body = response.content.decode()
    assert "Their risk" not in body
    assert "(1 overdue)" in body
    assert "until " in body  # the paper charts risk is accepted until a date


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "closed"}, ["R-0004"]),
        ({"level": "high"}, ["R-0001"]),  # residual by default: 3 × 4 = 12
        ({"level": "high", "rated": "inherent"}, ["R-0002"]),
        ({"level": "critical", "rated": "inherent"}, ["R-0001"]),
        ({"treatment": "none"}, ["R-0002", "R-0005"]),
        ({"treatment": "accept"}, ["R-0003"]),
        ({"overdue": "yes"}, ["R-0001"]),
        ({"overdue": "no"}, ["R-0002", "R-0003", "R-0004", "R-0005"]),
        ({"q": "R-0003"}, ["R-0003"]),
        ({"q": "4"}, ["R-0004"]),
        ({"q": "laptop"}, ["R-0002"]),
        ({"q": "email"}, ["R-0005"]),
        ({"sort": "residual"}, ["R-0001", "R-0002", "R-0003", "R-0004", "R-0005"]),
        ({"sort": "inherent"}, ["R-0001", "R-0002", "R-0004", "R-0003", "R-0005"]),
    ],
)
def test_register_filters(cast: Cast, register: dict[str, Risk], query: dict[str, str], expected: list[str]) -> None:
    assert references(client_for(cast.owner).get(page("register"), query)) == expected


def test_register_filters_by_owner_asset_and_analysis(cast: Cast, register: dict[str, Risk]) -> None:
    client = client_for(cast.owner)
    ransomware = register["ransomware"]
    asset = ransomware.assets.get()
    assert ransomware.analysis is not None

    assert references(client.get(page("register"), {"owner": str(cast.owner.public_id)})) == ["R-0002"]
    assert references(client.get(page("register"), {"asset": str(asset.public_id)})) == ["R-0001"]
    assert references(client.get(page("register"), {"analysis": str(ransomware.analysis.public_id)})) == ["R-0001"]


def test_an_invalid_filter_is_shown_and_ignored(cast: Cast, register: dict[str, Risk]) -> None:
    response = client_for(cast.owner).get(page("register"), {"status": "<script>", "owner": "nobody"})

    assert response.status_code == 200
    assert "status" in response.context["form"].errors
    assert len(references(response)) == 5
    assert "<script>" not in response.content.decode()


def test_register_draws_heat_maps_of_the_open_risks_and_the_burndown(cast: Cast, register: dict[str, Risk]) -> None:
    client = client_for(cast.owner)

    unfiltered = client.get(page("register")).content.decode()
    closed_only = client.get(page("register"), {"status": "closed"}).content.decode()

    assert "3 risks on the grid" in unfiltered  # inherent: three rated open risks; the closed one is left out
    assert "2 risks on the grid" in unfiltered  # residual: two rated risks
    assert "Inherent risk, open risks" in unfiltered
    assert "1 risk on the grid (likelihood Rare × impact Severe: 1)." in closed_only
    assert "Inherent risk, open risks" not in closed_only
    assert "Open high risks from" in unfiltered
    assert unfiltered.count("<svg") == 3


def test_risks_rated_on_another_scale_are_said_but_not_drawn(cast: Cast) -> None:
    three_by_three = RiskAnalysis.objects.create(
        organization=cast.org, title="Old SRA", method=dict(PROFILE_3X3), methodology=METHODOLOGY, started_by=cast.owner
    )
    make_risk(cast.org, 1, inherent=(2, 2))
    make_risk(cast.org, 2, likelihood=3, impact=3, inherent_score=9, inherent_level="high", analysis=three_by_three)

    body = client_for(cast.owner).get(page("register")).content.decode()

    assert "1 risk on the grid (likelihood Unlikely × impact Minor: 1). 1 risk rated on another scale not shown." in (
        body
    )


def test_an_acceptance_is_not_shown_in_force_on_its_expiry_day(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, inherent=(2, 2), treatment=Treatment.ACCEPT)
    make_acceptance(risk, cast.official, expires_on=TODAY)
    client = client_for(cast.owner)

    register_page = client.get(page("register"))
    risk_page = client.get(page("risk_detail", risk.public_id)).content.decode()

    [row] = register_page.context["page"].object_list
    assert row.accepted_until is None
    assert "(no acceptance in force)" in register_page.content.decode()
    assert '<span class="overdue">Expired</span>' in risk_page and "In force" not in risk_page


def test_the_day_before_expiry_the_acceptance_is_still_in_force(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, inherent=(2, 2), treatment=Treatment.ACCEPT)
    make_acceptance(risk, cast.official, expires_on=TODAY + timedelta(days=1))

    register_page = client_for(cast.owner).get(page("register"))

    [row] = register_page.context["page"].object_list
    assert row.accepted_until == TODAY + timedelta(days=1)


def test_register_and_risk_pages_never_read_an_analysis_signed_document(cast: Cast) -> None:
    analysis = RiskAnalysis.objects.create(
        organization=cast.org,
        title="Approved",
        status=RiskAnalysis.Status.APPROVED,
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.owner,
        approved_content={"risks": ["every risk of the analysis"]},
    )
    risk = make_risk(cast.org, 1, inherent=(4, 4), analysis=analysis, owner=cast.official)
    client = client_for(cast.owner)

    for url in (page("register"), page("risk_detail", risk.public_id), page("trigger_list")):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        assert not [query["sql"] for query in queries if "approved_content" in query["sql"]], url


def test_register_paginates_fifty_per_page(cast: Cast) -> None:
    for number in range(1, 52):
        make_risk(cast.org, number)
    client = client_for(cast.owner)

    assert len(references(client.get(page("register")))) == 50
    assert references(client.get(page("register"), {"page": 2})) == ["R-0051"]


def test_register_query_count_does_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)
    owners = [cast.owner, cast.official, cast.workforce]

    def add(numbers: range) -> None:
        for number in numbers:
            risk = make_risk(cast.org, number, inherent=(number % 5 + 1, 3), residual=(1, 2), owner=owners[number % 3])
            make_action(risk, owners[number % 3], days=number % 7 - 3)
            make_acceptance(risk, cast.official)

    add(range(1, 4))
    with CaptureQueriesContext(connection) as few:
        assert client.get(page("register"), {"sort": "residual"}).status_code == 200
    add(range(4, 31))
    with CaptureQueriesContext(connection) as many:
        assert client.get(page("register"), {"sort": "residual"}).status_code == 200

    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("who", "expected"), [("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)]
)
def test_register_matrix(cast: Cast, who: str, expected: int) -> None:
    assert client_for(getattr(cast, who)).get(page("register")).status_code == expected


def test_register_needs_sign_in(cast: Cast) -> None:
    response = client_for(None).get(page("register"))
    assert response.status_code == 302 and "login" in response["Location"]


# ---- a risk's page ---------------------------------------------------------------------------------------------


def test_risk_page_shows_the_assessment_actions_and_acceptances(cast: Cast, register: dict[str, Risk]) -> None:
    response = client_for(cast.official).get(page("risk_detail", register["ransomware"].public_id))

    assert response.status_code == 200
    body = response.content.decode()
    assert "R-0001 Ransomware" in body
    assert "Critical" in body and "High" in body and "likelihood 5 × impact 5" in body
    assert "Patch" in body and "Train" in body and "overdue" in body
    assert page("risk_treat", register["ransomware"].public_id) in body
    assert page("action_create", register["ransomware"].public_id) in body
    assert page("acceptance_create", register["ransomware"].public_id) in body


def test_auditor_reads_the_risk_page_without_forms(cast: Cast, register: dict[str, Risk]) -> None:
    response = client_for(cast.auditor).get(page("risk_detail", register["paper"].public_id))

    assert response.status_code == 200
    body = response.content.decode()
    assert "In force" in body
    for name in ("risk_treat", "action_create", "acceptance_create", "risk_close"):
        assert page(name, register["paper"].public_id) not in body


def test_a_closed_risk_offers_reopen_only(cast: Cast, register: dict[str, Risk]) -> None:
    body = client_for(cast.owner).get(page("risk_detail", register["flood"].public_id)).content.decode()
    assert page("risk_reopen", register["flood"].public_id) in body
    assert page("risk_treat", register["flood"].public_id) not in body


@pytest.mark.parametrize(("who", "expected"), [("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_risk_page_matrix(cast: Cast, register: dict[str, Risk], who: str, expected: int) -> None:
    assert client_for(getattr(cast, who)).get(page("risk_detail", register["laptop"].public_id)).status_code == expected


def test_another_organizations_risk_is_404_both_ways(cast: Cast, register: dict[str, Risk]) -> None:
    theirs = Risk.objects.get(organization=cast.other_org)
    assert client_for(cast.owner).get(page("risk_detail", theirs.public_id)).status_code == 404
    ours = register["laptop"]
    assert client_for(cast.outsider).get(page("risk_detail", ours.public_id, org="other")).status_code == 404


# ---- treatment, close, reopen, add action ----------------------------------------------------------------------


def test_treat_saves_and_redirects(cast: Cast, register: dict[str, Risk]) -> None:
    risk = register["laptop"]

    response = client_for(cast.official).post(
        page("risk_treat", risk.public_id), {"treatment": "transfer", "owner": str(cast.workforce.public_id)}
    )

    assert response.status_code == 302 and response["Location"] == page("risk_detail", risk.public_id)
    risk.refresh_from_db()
    assert (risk.treatment, risk.owner) == (Treatment.TRANSFER, cast.workforce)


def test_treat_as_accept_shows_the_services_reason_on_the_field(cast: Cast, register: dict[str, Risk]) -> None:
    risk = register["laptop"]

    response = client_for(cast.official).post(
        page("risk_treat", risk.public_id), {"treatment": "accept", "owner": str(cast.owner.public_id)}
    )

    assert response.status_code == 200
    assert "signed acceptance" in response.context["treat_form"].errors["treatment"][0]
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_denied_writes_change_nothing(cast: Cast, register: dict[str, Risk], who: str, expected: int) -> None:
    risk = register["laptop"]
    client = client_for(getattr(cast, who))
    org = "other" if who == "outsider" else "clinic"
    posts = {
        "risk_treat": {"treatment": "avoid", "owner": str(cast.owner.public_id)},
        "risk_close": {},
        "action_create": {
            "action-title": "X",
            "action-owner": str(cast.owner.public_id),
            "action-due_on": str(TODAY),
            "action-acceptance_criteria": "Y",
        },
    }
    for name, data in posts.items():
        assert client.post(page(name, risk.public_id, org=org), data).status_code == expected
    assert client.post(page("risk_reopen", register["flood"].public_id, org=org)).status_code == expected
    risk.refresh_from_db()
    assert (risk.treatment, risk.status, risk.actions.count()) == (Treatment.NONE, Risk.Status.OPEN, 1)
    assert Risk.objects.get(pk=register["flood"].pk).status == Risk.Status.CLOSED
    assert not AuditEvent.objects.exists()


def test_close_refusal_is_shown_as_a_message(cast: Cast, register: dict[str, Risk]) -> None:
    risk = register["ransomware"]

    response = client_for(cast.official).post(page("risk_close", risk.public_id), follow=True)

    assert "still has 2 open actions" in response.content.decode()
    risk.refresh_from_db()
    assert risk.status == Risk.Status.OPEN


def test_close_and_reopen_through_the_page(cast: Cast, register: dict[str, Risk]) -> None:
    risk = register["paper"]
    client = client_for(cast.official)

    assert client.post(page("risk_close", risk.public_id), {"status-note": "Charts scanned"}).status_code == 302
    risk.refresh_from_db()
    assert risk.status == Risk.Status.CLOSED
    assert AuditEvent.objects.get(action="risk.closed").changes["note"] == [None, "Charts scanned"]

    assert client.post(page("risk_reopen", risk.public_id)).status_code == 302
    risk.refresh_from_db()
    assert risk.status == Risk.Status.OPEN


def test_add_an_action_from_the_risk_page(cast: Cast, register: dict[str, Risk]) -> None:
    risk = register["phishing"]

    response = client_for(cast.official).post(
        page("action_create", risk.public_id),
        {
            "action-title": "Phishing drills",
            "action-owner": str(cast.workforce.public_id),
            "action-due_on": str(TODAY + timedelta(days=45)),
            "action-acceptance_criteria": "Two drills run, click rate reported.",
        },
    )

    assert response.status_code == 302
    action = MitigationAction.objects.get(risk=risk)
    assert (action.title, action.owner) == ("Phishing drills", cast.workforce)


def test_add_an_action_with_a_past_due_date_shows_the_error(cast: Cast, register: dict[str, Risk]) -> None:
    risk = register["phishing"]

    response = client_for(cast.official).post(
        page("action_create", risk.public_id),
        {
            "action-title": "Phishing drills",
            "action-owner": str(cast.workforce.public_id),
            "action-due_on": str(TODAY - timedelta(days=1)),
            "action-acceptance_criteria": "Reported.",
        },
    )

    assert response.status_code == 200
    assert "due date must be" in response.context["action_form"].errors["due_on"][0]
    assert not MitigationAction.objects.filter(risk=risk).exists()


def test_every_register_page_opens_for_the_owner_or_is_post_only(cast: Cast) -> None:
    records = risk_records(cast.org, cast.owner)
    client = client_for(cast.owner)
    answers = {}
    for route in urls_register.urlpatterns:
        assert isinstance(route, URLPattern)
        params = {name: records[name] for name in route.pattern.converters}
        answers[route.name] = client.get(page(str(route.name), *params.values())).status_code
    posts = {"risk_treat", "risk_close", "risk_reopen", "action_create", "action_update", "action_complete"}
    posts |= {"action_cancel", "acceptance_withdraw"}
    assert {name for name, status in answers.items() if status == 405} == posts
    assert {status for name, status in answers.items() if name not in posts} == {200}
