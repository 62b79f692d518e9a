"""Acceptances over HTTP and the API: the signing page (signers only), withdrawal, and the API endpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeguard.core.models import AuditEvent, Signature
from safeguard.risk.models import Risk, RiskAcceptance, Treatment
from tests.conftest import Cast, client_for, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_register_support import TODAY, api, make_acceptance, make_risk, page


@pytest.fixture
def risk(cast: Cast) -> Risk:
    return make_risk(cast.org, 2, "Paper charts", inherent=(2, 3), residual=(2, 2))


def form(**values: str) -> dict[str, str]:
    return {
        "rationale": "Scanning costs more than the risk.",
        "expires_on": str(TODAY + timedelta(days=365)),
        "statement": "",
        "confirm": "on",
        **values,
    }


# ---- the page --------------------------------------------------------------------------------------------------


def test_the_signing_page_shows_the_risk_and_the_checkbox(cast: Cast, risk: Risk) -> None:
    response = client_for(cast.official).get(page("acceptance_create", risk.public_id))

    assert response.status_code == 200
    body = response.content.decode()
    assert "R-0002 Paper charts" in body
    assert "I accept this risk on behalf of the organization" in body


def test_signing_records_the_acceptance(cast: Cast, risk: Risk) -> None:
    response = client_for(cast.official).post(page("acceptance_create", risk.public_id), form())

    assert response.status_code == 302 and response["Location"] == page("risk_detail", risk.public_id)
    acceptance = RiskAcceptance.objects.get()
    assert acceptance.signature.signer == cast.official
    risk.refresh_from_db()
    assert risk.treatment == Treatment.ACCEPT


def test_signing_without_the_checkbox_is_refused(cast: Cast, risk: Risk) -> None:
    data = form()
    del data["confirm"]

    response = client_for(cast.official).post(page("acceptance_create", risk.public_id), data)

    assert response.status_code == 200
    assert response.context["form"].errors["confirm"] == ["Tick the box to sign the acceptance."]
    assert not Signature.objects.exists()


def test_an_expiry_too_far_ahead_is_shown_on_the_field(cast: Cast, risk: Risk) -> None:
    response = client_for(cast.owner).post(
        page("acceptance_create", risk.public_id), form(expires_on=str(TODAY + timedelta(days=4 * 366)))
    )

    assert response.status_code == 200
    assert "at most 3 years" in response.context["form"].errors["expires_on"][0]
    assert not RiskAcceptance.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_only_signers_reach_the_signing_page(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    client = client_for(getattr(cast, who))
    org = "other" if who == "outsider" else "clinic"
    assert client.get(page("acceptance_create", risk.public_id, org=org)).status_code == expected
    assert client.post(page("acceptance_create", risk.public_id, org=org), form()).status_code == expected
    assert not Signature.objects.exists() and not AuditEvent.objects.exists()


def test_privacy_officer_manages_the_program_but_cannot_sign(cast: Cast, risk: Risk) -> None:
    officer = make_member(cast.org, "privacy@clinic.test", "privacy_officer").user
    assert client_for(officer).get(page("acceptance_create", risk.public_id)).status_code == 403


def test_withdraw_through_the_page(cast: Cast, risk: Risk) -> None:
    acceptance = make_acceptance(risk, cast.official)
    Risk.objects.filter(pk=risk.pk).update(treatment=Treatment.ACCEPT)

    response = client_for(cast.owner).post(page("acceptance_withdraw", acceptance.public_id), {"reason": "Breach"})

    assert response.status_code == 302
    acceptance.refresh_from_db()
    risk.refresh_from_db()
    assert acceptance.withdrawn_by == cast.owner and risk.treatment == Treatment.NONE


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_denied_withdrawal_changes_nothing(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    acceptance = make_acceptance(risk, cast.official)
    org = "other" if who == "outsider" else "clinic"

    response = client_for(getattr(cast, who)).post(page("acceptance_withdraw", acceptance.public_id, org=org))

    assert response.status_code == expected
    acceptance.refresh_from_db()
    assert acceptance.withdrawn_at is None and not AuditEvent.objects.exists()


def test_another_organizations_acceptance_is_404(cast: Cast) -> None:
    theirs = make_acceptance(make_risk(cast.other_org, 1), cast.outsider)
    assert client_for(cast.owner).post(page("acceptance_withdraw", theirs.public_id)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.withdrawn_at is None


# ---- the API ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_api_list_matrix(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    make_acceptance(risk, cast.official)
    response = client_as(cast, who).get(api("risk_acceptances", risk.public_id))
    assert response.status_code == expected
    if expected == 200:
        [row] = response.json()["results"]
        assert row["state"] == "in_force" and row["signature"]["signer"]["email"] == cast.official.email
        assert row["risk"]["reference"] == "R-0002"


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 201), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_api_accept_matrix(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    before = audit_count()
    body = {"rationale": "Cost", "expires_on": str(TODAY + timedelta(days=90))}

    response = client_as(cast, who).post(api("risk_acceptances", risk.public_id), body, format="json")

    assert response.status_code == expected
    if expected == 201:
        assert response.json()["signature"]["signer_role"] == "owner"
        assert response.json()["expires_on"] == str(TODAY + timedelta(days=90))
    else:
        assert not RiskAcceptance.objects.exists() and audit_count() == before


def test_api_accept_names_the_field_at_fault(cast: Cast, risk: Risk) -> None:
    client = api_client(cast.official)

    past = client.post(
        api("risk_acceptances", risk.public_id), {"rationale": "x", "expires_on": str(TODAY)}, format="json"
    )
    blank = client.post(api("risk_acceptances", risk.public_id), {"expires_on": "soon"}, format="json")

    assert past.status_code == 400 and list(error_of(past)["fields"]) == ["expires_on"]
    assert blank.status_code == 400 and set(error_of(blank)["fields"]) == {"rationale", "expires_on"}
    assert not RiskAcceptance.objects.exists()


@pytest.mark.parametrize(
    ("who", "expected"), [("official", 200), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_api_withdraw_matrix(cast: Cast, risk: Risk, who: str, expected: int) -> None:
    acceptance = make_acceptance(risk, cast.official)
    before = audit_count()

    response = client_as(cast, who).post(api("risk_acceptance_withdraw", acceptance.public_id), {}, format="json")

    assert response.status_code == expected
    acceptance.refresh_from_db()
    if expected == 200:
        assert response.json()["state"] == "withdrawn" and acceptance.withdrawn_at is not None
    else:
        assert acceptance.withdrawn_at is None and audit_count() == before


def test_api_withdraw_twice_is_a_400(cast: Cast, risk: Risk) -> None:
    acceptance = make_acceptance(risk, cast.official)
    client = api_client(cast.official)
    assert client.post(api("risk_acceptance_withdraw", acceptance.public_id), {}, format="json").status_code == 200
    again = client.post(api("risk_acceptance_withdraw", acceptance.public_id), {}, format="json")
    assert again.status_code == 400 and "already withdrawn" in error_of(again)["message"]
