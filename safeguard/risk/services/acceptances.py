"""Signed risk acceptances: the security official or an owner accepts a risk, with a rationale, until a date.

The signature hashes what was accepted (the risk, its levels, the rationale, the expiry), so the record shows
exactly what the signer saw. A new acceptance of the same risk supersedes the one in force (a renewal).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.dates import add_years
from safeguard.core.models import Membership, Organization, Signature
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.core.services.signatures import signature_create
from safeguard.risk.models import Risk, RiskAcceptance, Treatment

MAX_YEARS = 3  # an acceptance is a decision to revisit, not a permanent waiver
TARGET_TYPE = "risk.risk"


def default_statement(risk: Risk, expires_on: date) -> str:
    return f"I accept {risk.reference} “{risk.title}” on behalf of the organization until {expires_on:%Y-%m-%d}."


def acceptance_content(risk: Risk, rationale: str, expires_on: date) -> dict[str, Any]:
    """What the signer accepts; its SHA-256 goes into the signature."""
    return {
        "risk": str(risk.public_id),
        "reference": risk.reference,
        "title": risk.title,
        "inherent_level": risk.inherent_level,
        "inherent_score": risk.inherent_score,
        "residual_level": risk.residual_level,
        "residual_score": risk.residual_score,
        "rationale": rationale,
        "expires_on": expires_on,
    }


def _check_expiry(expires_on: date | None, today: date) -> date:
    latest = add_years(today, MAX_YEARS)
    if expires_on is None:
        raise ServiceError("Give the date the acceptance expires.", field="expires_on")
    if expires_on <= today:
        raise ServiceError("The acceptance must expire after today.", field="expires_on")
    if expires_on > latest:
        raise ServiceError(
            f"An acceptance lasts at most {MAX_YEARS} years: expire it by {latest:%Y-%m-%d} and renew it then.",
            field="expires_on",
        )
    return expires_on


def acceptance_record(
    *,
    organization: Organization,
    actor: Actor,
    risk: Risk,
    rationale: str,
    expires_on: date | None,
    statement: str = "",
    today: date | None = None,
) -> RiskAcceptance:
    """Sign the acceptance of `risk` and set its treatment to "accept". Only signers (SIGN_DECISIONS) may."""
    today = today or timezone.localdate()
    rationale = rationale.strip()
    if not rationale:
        raise ServiceError("Explain why the organization accepts this risk.", field="rationale")
    expiry = _check_expiry(expires_on, today)
    with transaction.atomic():
        locked = Risk.objects.select_for_update().get(pk=risk.pk, organization=organization)
        if locked.status != Risk.Status.OPEN:
            raise ServiceError(f"{locked.reference} is closed; reopen it before accepting it.")
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.ACCEPTED_RISK,
            target_type=TARGET_TYPE,
            target_id=str(locked.public_id),
            content=acceptance_content(locked, rationale, expiry),
            statement=statement.strip() or default_statement(locked, expiry),
        )
        now = timezone.now()
        superseded = list(
            RiskAcceptance.objects.select_for_update().filter(risk=locked, withdrawn_at__isnull=True).order_by("pk")
        )
        RiskAcceptance.objects.filter(pk__in=[a.pk for a in superseded]).update(
            withdrawn_at=now, withdrawn_by=actor.user
        )
        acceptance = RiskAcceptance.objects.create(
            organization=organization,
            risk=locked,
            rationale=rationale,
            expires_on=expiry,
            signature=signature,
            accepted_at=now,
        )
        treatment_before = locked.treatment
        locked.treatment, locked.updated_at = Treatment.ACCEPT, now
        locked.save(update_fields=["treatment", "updated_at"])
        changes: dict[str, list[Any]] = {
            "risk": [None, locked.reference],
            "rationale": [None, rationale],
            "expires_on": [None, expiry],
            "signature": [None, str(signature.public_id)],
        }
        if treatment_before != Treatment.ACCEPT:
            changes["treatment"] = [treatment_before, Treatment.ACCEPT]
        if superseded:
            changes["superseded"] = [None, [str(a.public_id) for a in superseded]]
        audit_record(actor=actor, action="risk.accepted", organization=organization, target=acceptance, changes=changes)
        transaction.on_commit(lambda: request_evaluation(organization, "risk.accepted"))
    return acceptance


def acceptance_withdraw(
    *, organization: Organization, actor: Actor, acceptance: RiskAcceptance, reason: str = ""
) -> RiskAcceptance:
    """End an acceptance early. The risk goes back to "not decided" so someone must decide it again."""
    membership = (
        Membership.objects.current().filter(organization=organization, user=actor.user).first() if actor.user else None
    )
    if membership is None or not membership.has(Perm.SIGN_DECISIONS):
        raise ServiceError("Only the security official or an owner can withdraw an acceptance.")
    with transaction.atomic():
        locked = RiskAcceptance.objects.select_for_update().get(pk=acceptance.pk, organization=organization)
        if locked.withdrawn_at is not None:
            raise ServiceError("This acceptance was already withdrawn.")
        locked.withdrawn_at, locked.withdrawn_by = timezone.now(), actor.user
        locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
        changes: dict[str, list[Any]] = {"withdrawn_at": [None, locked.withdrawn_at]}
        if reason.strip():
            changes["reason"] = [None, reason.strip()]
        risk = Risk.objects.select_for_update().get(pk=locked.risk_id)
        if risk.treatment == Treatment.ACCEPT:
            risk.treatment, risk.updated_at = Treatment.NONE, timezone.now()
            risk.save(update_fields=["treatment", "updated_at"])
            changes["treatment"] = [Treatment.ACCEPT, Treatment.NONE]
        audit_record(
            actor=actor, action="risk.acceptance.withdrawn", organization=organization, target=locked, changes=changes
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.acceptance_withdrawn"))
    return locked
