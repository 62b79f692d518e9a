"""Small record makers for risk rule tests: the rows a check reads, made through the ORM at chosen dates."""

from __future__ import annotations

import copy
from datetime import date, datetime, time
from typing import Any

from django.utils import timezone

from safeguard.core.models import Organization, Signature, User
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import AnalysisScopeItem, Asset, AssetKind, Risk, RiskAcceptance, RiskAnalysis
from safeguard.risk.scoring import rate


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def asset(organization: Organization, name: str, *, since: date, status: str = Asset.Status.IN_SERVICE) -> Asset:
    return Asset.objects.create(
        organization=organization,
        name=name,
        kind=AssetKind.APPLICATION,
        status=status,
        in_service_since=at(since),
        created_at=at(since),
    )


def approved_analysis(
    organization: Organization, user: User, *, approved_on: date, scope: list[Asset], months: int = 12
) -> RiskAnalysis:
    method: dict[str, Any] = copy.deepcopy(PROFILE_5X5) | {"reanalysis_months": months}
    analysis = RiskAnalysis.objects.create(
        organization=organization,
        title=f"Analysis {approved_on}",
        method=method,
        methodology=METHODOLOGY,
        started_by=user,
        started_at=at(approved_on, 9),
        status=RiskAnalysis.Status.APPROVED,
        approved_at=at(approved_on),
        approved_content={},
    )
    AnalysisScopeItem.objects.bulk_create(
        AnalysisScopeItem(analysis=analysis, asset=a, name=a.name, kind=a.kind, status=a.status) for a in scope
    )
    return analysis


def risk(
    organization: Organization,
    number: int,
    *,
    likelihood: int,
    impact: int,
    analysis: RiskAnalysis | None = None,
    treatment: str = "",
    status: str = Risk.Status.OPEN,
) -> Risk:
    rating = rate(PROFILE_5X5, likelihood, impact)
    return Risk.objects.create(
        organization=organization,
        number=number,
        title=f"Risk {number}",
        analysis=analysis,
        likelihood=likelihood,
        impact=impact,
        inherent_score=rating.score,
        inherent_level=rating.level,
        inherent_rank=rating.rank,
        treatment=treatment,
        status=status,
    )


def acceptance(organization: Organization, user: User, target: Risk, *, expires_on: date) -> RiskAcceptance:
    signature = Signature.objects.create(
        organization=organization,
        signer=user,
        signer_role="security_official",
        meaning=Signature.Meaning.ACCEPTED_RISK,
        target_type="risk.risk",
        target_id=str(target.public_id),
        content_sha256="0" * 64,
    )
    return RiskAcceptance.objects.create(
        organization=organization,
        risk=target,
        rationale="Cost exceeds benefit",
        expires_on=expires_on,
        signature=signature,
    )
