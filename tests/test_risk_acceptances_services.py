"""Signed risk acceptances: who may sign, what must be given, what the signature covers, renewal and withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeguard.core.audit import Actor
from safeguard.core.dates import add_years
from safeguard.core.models import AuditEvent, Signature
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.signatures import content_hash
from safeguard.risk.models import Risk, RiskAcceptance, Treatment
from safeguard.risk.services.acceptances import acceptance_content, acceptance_record, acceptance_withdraw
from tests.conftest import Cast
from tests.test_risk_register_support import TODAY, make_risk


def accept(cast: Cast, risk: Risk, signer: object = None, **values: object) -> RiskAcceptance:
    fields: dict[str, object] = {"rationale": "Compensating measures", "expires_on": TODAY + timedelta(days=365)}
    fields |= values
    return acceptance_record(
        organization=cast.org,
        actor=Actor(user=signer or cast.official),  # type: ignore[arg-type]
        risk=risk,
        **fields,  # type: ignore[arg-type]
    )


def test_recording_signs_the_acceptance_and_sets_the_treatment(cast: Cast) -> None:
    risk = make_risk(cast.org, 3, "Paper charts", inherent=(3, 4), residual=(2, 4))

    acceptance = accept(cast, risk, statement="")

    risk.refresh_from_db()
    assert risk.treatment == Treatment.ACCEPT
    signature = acceptance.signature
    assert (signature.signer, signature.signer_role, signature.meaning) == (
        cast.official,
        "security_official",
        Signature.Meaning.ACCEPTED_RISK,
    )
    assert (signature.target_type, signature.target_id) == ("risk.risk", str(risk.public_id))
    expected = acceptance_content(risk, "Compensating measures", acceptance.expires_on)
    assert signature.content_sha256 == content_hash(expected)
    assert expected["reference"] == "R-0003" and expected["residual_level"] == "medium"
    assert signature.statement.startswith("I accept R-0003 “Paper charts” on behalf of the organization until")
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {"signature.signed", "risk.accepted"}


def test_an_owner_may_sign_too(cast: Cast) -> None:
    acceptance = accept(cast, make_risk(cast.org, 1), cast.owner, statement="We accept it.")
    assert acceptance.signature.statement == "We accept it."


@pytest.mark.parametrize("who", ["workforce", "auditor", "outsider"])
def test_only_signers_may_accept_and_a_refusal_writes_nothing(cast: Cast, who: str) -> None:
    risk = make_risk(cast.org, 1)

    with pytest.raises(ServiceError, match="security official or an owner"):
        accept(cast, risk, getattr(cast, who))

    risk.refresh_from_db()
    assert risk.treatment == Treatment.NONE
    assert not RiskAcceptance.objects.exists() and not Signature.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"rationale": "  "}, "rationale", "Explain why"),
        ({"expires_on": TODAY}, "expires_on", "after today"),
        ({"expires_on": TODAY - timedelta(days=3)}, "expires_on", "after today"),
        ({"expires_on": add_years(TODAY, 3) + timedelta(days=1)}, "expires_on", "at most 3 years"),
        ({"expires_on": None}, "expires_on", "Give the date"),
    ],
)
def test_rationale_and_a_future_expiry_within_three_years_are_required(
    cast: Cast, values: dict[str, object], field: str, words: str
) -> None:
    with pytest.raises(ServiceError, match=words) as refused:
        accept(cast, make_risk(cast.org, 1), **values)
    assert refused.value.field == field
    assert not Signature.objects.exists() and not AuditEvent.objects.exists()


def test_expiry_exactly_three_years_ahead_is_allowed(cast: Cast) -> None:
    assert accept(cast, make_risk(cast.org, 1), expires_on=add_years(TODAY, 3)).expires_on == add_years(TODAY, 3)


def test_a_closed_risk_cannot_be_accepted(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="closed"):
        accept(cast, make_risk(cast.org, 1, status=Risk.Status.CLOSED))
    assert not Signature.objects.exists()


def test_a_new_acceptance_supersedes_the_one_in_force(cast: Cast) -> None:
    risk = make_risk(cast.org, 1)
    first = accept(cast, risk)

    second = accept(cast, risk, expires_on=TODAY + timedelta(days=700), rationale="Renewed after review")

    first.refresh_from_db()
    assert first.withdrawn_at is not None and first.withdrawn_by == cast.official
    assert second.withdrawn_at is None
    event = AuditEvent.objects.filter(action="risk.accepted").order_by("-sequence").first()
    assert event is not None and event.changes["superseded"] == [None, [str(first.public_id)]]


def test_withdraw_ends_the_acceptance_and_the_decision(cast: Cast) -> None:
    risk = make_risk(cast.org, 1)
    acceptance = accept(cast, risk)

    acceptance_withdraw(organization=cast.org, actor=Actor(user=cast.owner), acceptance=acceptance, reason="Breach")

    acceptance.refresh_from_db()
    risk.refresh_from_db()
    assert acceptance.withdrawn_by == cast.owner and acceptance.withdrawn_at is not None
    assert risk.treatment == Treatment.NONE
    event = AuditEvent.objects.get(action="risk.acceptance.withdrawn")
    assert event.changes["reason"] == [None, "Breach"]
    assert event.changes["treatment"] == ["accept", ""]
    with pytest.raises(ServiceError, match="already withdrawn"):
        acceptance_withdraw(organization=cast.org, actor=Actor(user=cast.owner), acceptance=acceptance)


@pytest.mark.parametrize("who", ["workforce", "auditor"])
def test_only_signers_may_withdraw(cast: Cast, who: str) -> None:
    acceptance = accept(cast, make_risk(cast.org, 1))
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError, match="security official or an owner"):
        acceptance_withdraw(organization=cast.org, actor=Actor(user=getattr(cast, who)), acceptance=acceptance)

    acceptance.refresh_from_db()
    assert acceptance.withdrawn_at is None
    assert AuditEvent.objects.count() == before
