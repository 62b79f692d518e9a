"""Treatment decisions, closing and reopening risks: the rules in risk.services.treatment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, User
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import MitigationAction, Risk, Treatment
from safeguard.risk.services.treatment import active_acceptance, risk_close, risk_reopen, risk_treat
from tests.conftest import Cast, make_member
from tests.test_risk_register_support import TODAY, make_acceptance, make_action, make_risk


def treat(cast: Cast, risk: Risk, treatment: str, owner: User | None = None, note: str = "") -> Risk:
    return risk_treat(
        organization=cast.org,
        actor=Actor(user=cast.official),
        risk=risk,
        treatment=treatment,
        owner=owner if owner is not None else cast.official,
        note=note,
    )


def test_treat_records_the_decision_and_owner_with_an_audit_row(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, inherent=(4, 4))

    treat(cast, risk, Treatment.MITIGATE, cast.owner, note="Cheaper than insurance")

    risk.refresh_from_db()
    assert (risk.treatment, risk.owner) == (Treatment.MITIGATE, cast.owner)
    event = AuditEvent.objects.get(action="risk.treated")
    assert event.changes["treatment"] == ["", "mitigate"]
    assert event.changes["note"] == [None, "Cheaper than insurance"]


def test_treat_without_change_writes_no_audit_row(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, treatment=Treatment.TRANSFER, owner=cast.official)

    treat(cast, risk, Treatment.TRANSFER, cast.official)

    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "outsider"])
def test_treat_refuses_an_owner_who_cannot_act_here(cast: Cast, who: str) -> None:
    risk = make_risk(cast.org, 1)

    with pytest.raises(ServiceError) as refused:
        treat(cast, risk, Treatment.MITIGATE, getattr(cast, who))

    assert refused.value.field == "owner"
    risk.refresh_from_db()
    assert risk.owner is None and risk.treatment == Treatment.NONE
    assert not AuditEvent.objects.exists()


def test_treat_refuses_a_former_member_as_owner(cast: Cast) -> None:
    leaver = make_member(cast.org, "leaver@clinic.test", "workforce", is_active=False).user

    with pytest.raises(ServiceError, match="current member"):
        treat(cast, make_risk(cast.org, 1), Treatment.MITIGATE, leaver)


def test_accept_is_refused_without_a_signed_acceptance(cast: Cast) -> None:
    risk = make_risk(cast.org, 1)

    with pytest.raises(ServiceError, match="signed acceptance") as refused:
        treat(cast, risk, Treatment.ACCEPT)

    assert refused.value.field == "treatment"
    assert not AuditEvent.objects.exists()


def test_an_acceptance_in_force_must_be_withdrawn_before_another_treatment(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, treatment=Treatment.ACCEPT)
    make_acceptance(risk, cast.official, expires_on=TODAY + timedelta(days=10))

    with pytest.raises(ServiceError, match="withdraw it"):
        treat(cast, risk, Treatment.MITIGATE)
    treat(cast, risk, Treatment.ACCEPT, cast.owner)  # the owner of an accepted risk may still change

    risk.refresh_from_db()
    assert risk.owner == cast.owner


def test_an_expired_acceptance_no_longer_holds_the_treatment(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, treatment=Treatment.ACCEPT)
    make_acceptance(risk, cast.official, expires_on=TODAY - timedelta(days=1))

    treat(cast, risk, Treatment.MITIGATE)

    risk.refresh_from_db()
    assert risk.treatment == Treatment.MITIGATE


def test_an_acceptance_no_longer_holds_the_treatment_on_its_expiry_day(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, treatment=Treatment.ACCEPT)
    make_acceptance(risk, cast.official, expires_on=TODAY)

    with pytest.raises(ServiceError, match="signed acceptance"):
        treat(cast, risk, Treatment.ACCEPT)
    treat(cast, risk, Treatment.MITIGATE)

    risk.refresh_from_db()
    assert risk.treatment == Treatment.MITIGATE


def test_the_acceptance_in_force_ends_the_day_before_it_expires(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, treatment=Treatment.ACCEPT)
    acceptance = make_acceptance(risk, cast.official, expires_on=TODAY + timedelta(days=5))

    assert active_acceptance(risk, TODAY + timedelta(days=4)) == acceptance
    assert active_acceptance(risk, TODAY + timedelta(days=5)) is None
    with pytest.raises(ServiceError, match="withdraw it"):
        risk_treat(
            organization=cast.org,
            actor=Actor(user=cast.official),
            risk=risk,
            treatment=Treatment.AVOID,
            owner=cast.official,
            today=TODAY + timedelta(days=4),
        )
    risk_treat(
        organization=cast.org,
        actor=Actor(user=cast.official),
        risk=risk,
        treatment=Treatment.AVOID,
        owner=cast.official,
        today=TODAY + timedelta(days=5),
    )


def test_a_closed_risk_cannot_be_treated(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, status=Risk.Status.CLOSED)

    with pytest.raises(ServiceError, match="reopen it"):
        treat(cast, risk, Treatment.AVOID)


def test_unknown_treatment_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="Treatment must be one of"):
        treat(cast, make_risk(cast.org, 1), "ignore")


# ---- close and reopen ------------------------------------------------------------------------------------------


def close(cast: Cast, risk: Risk) -> Risk:
    return risk_close(organization=cast.org, actor=Actor(user=cast.official), risk=risk, note="Server retired")


def test_closing_needs_a_decided_treatment(cast: Cast) -> None:
    risk = make_risk(cast.org, 1)

    with pytest.raises(ServiceError, match="Decide how R-0001 is treated"):
        close(cast, risk)

    risk.refresh_from_db()
    assert risk.status == Risk.Status.OPEN
    assert not AuditEvent.objects.exists()


def test_closing_names_the_actions_still_open(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, treatment=Treatment.MITIGATE)
    make_action(risk, cast.official, title="Patch servers")
    make_action(risk, cast.official, title="Train staff", status=MitigationAction.Status.IN_PROGRESS)
    make_action(risk, cast.official, title="Old idea", status=MitigationAction.Status.CANCELLED)

    with pytest.raises(ServiceError) as refused:
        close(cast, risk)

    assert refused.value.message == (
        "R-0001 still has 2 open actions: “Patch servers”; “Train staff”. Complete or cancel them first."
    )
    assert Risk.objects.get().status == Risk.Status.OPEN


def test_close_then_reopen(cast: Cast) -> None:
    risk = make_risk(cast.org, 1, treatment=Treatment.AVOID)
    make_action(risk, cast.official, status=MitigationAction.Status.CANCELLED)

    close(cast, risk)
    risk.refresh_from_db()
    assert risk.status == Risk.Status.CLOSED and risk.closed_at is not None
    with pytest.raises(ServiceError, match="already closed"):
        close(cast, risk)

    risk_reopen(organization=cast.org, actor=Actor(user=cast.official), risk=risk)
    risk.refresh_from_db()
    assert risk.status == Risk.Status.OPEN and risk.closed_at is None
    assert list(AuditEvent.objects.order_by("sequence").values_list("action", flat=True)) == [
        "risk.closed",
        "risk.reopened",
    ]
    with pytest.raises(ServiceError, match="open already"):
        risk_reopen(organization=cast.org, actor=Actor(user=cast.official), risk=risk)
