"""Helpers the risk register tests share: risks, actions and acceptances made through the ORM, and URLs.

No tests live here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import Organization, Signature, User
from safeguard.risk.methods import PROFILE_5X5
from safeguard.risk.models import MitigationAction, Risk, RiskAcceptance
from safeguard.risk.scoring import rate

TODAY = timezone.localdate()
PDF = b"%PDF-1.4 proof of the work\n"


def make_risk(
    organization: Organization,
    number: int,
    title: str = "",
    *,
    inherent: tuple[int, int] | None = None,
    residual: tuple[int, int] | None = None,
    **extra: Any,
) -> Risk:
    """A risk rated on the default 5×5 method: `inherent` and `residual` are (likelihood, impact)."""
    values: dict[str, Any] = {"organization": organization, "number": number, "title": title or f"Risk {number}"}
    for prefix, pair, fields in (
        ("inherent", inherent, ("likelihood", "impact")),
        ("residual", residual, ("residual_likelihood", "residual_impact")),
    ):
        if pair is not None:
            rating = rate(PROFILE_5X5, *pair)
            values |= {fields[0]: pair[0], fields[1]: pair[1]}
            values |= {f"{prefix}_score": rating.score, f"{prefix}_level": rating.level, f"{prefix}_rank": rating.rank}
    return Risk.objects.create(**values, **extra)


def make_action(
    risk: Risk, owner: User, *, days: int = 30, title: str = "Patch monthly", **extra: Any
) -> MitigationAction:
    return MitigationAction.objects.create(
        organization=risk.organization,
        risk=risk,
        title=title,
        owner=owner,
        due_on=TODAY + timedelta(days=days),
        acceptance_criteria="Scan shows no critical patches missing.",
        **extra,
    )


def make_acceptance(risk: Risk, signer: User, *, expires_on: date | None = None, **extra: Any) -> RiskAcceptance:
    signature = Signature.objects.create(
        organization=risk.organization,
        signer=signer,
        signer_role="security_official",
        meaning=Signature.Meaning.ACCEPTED_RISK,
        target_type="risk.risk",
        target_id=str(risk.public_id),
        content_sha256="0" * 64,
    )
    return RiskAcceptance.objects.create(
        organization=risk.organization,
        risk=risk,
        rationale="Compensating measures in place.",
        expires_on=expires_on or TODAY + timedelta(days=180),
        signature=signature,
        **extra,
    )


def page(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def api(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"api:{name}", args=[org, *args])
