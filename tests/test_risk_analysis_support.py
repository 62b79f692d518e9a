"""Helpers the risk analysis, method and library tests share: records made through the services.

No tests live here.
"""

from __future__ import annotations

from typing import Any

from safeguard.core.audit import Actor
from safeguard.core.models import User
from safeguard.risk.models import Asset, AssetKind, Risk, RiskAnalysis
from safeguard.risk.services.analyses import analysis_approve, analysis_start, analysis_submit
from safeguard.risk.services.risks import risk_create
from tests.conftest import Cast


def actor(user: User) -> Actor:
    return Actor(user=user)


def asset(cast: Cast, name: str, status: str = Asset.Status.IN_SERVICE, *, other: bool = False) -> Asset:
    return Asset.objects.create(
        organization=cast.other_org if other else cast.org, name=name, kind=AssetKind.SERVER, status=status
    )


def start(cast: Cast, title: str = "2026 risk analysis", **extra: Any) -> RiskAnalysis:
    return analysis_start(organization=cast.org, actor=actor(cast.owner), title=title, **extra)


def record(
    cast: Cast,
    analysis: RiskAnalysis | None,
    title: str = "Ransomware on the EHR",
    likelihood: int | None = 3,
    impact: int | None = 4,
    **extra: Any,
) -> Risk:
    return risk_create(
        organization=cast.org,
        actor=actor(cast.owner),
        analysis=analysis,
        title=title,
        likelihood=likelihood,
        impact=impact,
        **extra,
    )


def in_review(cast: Cast, title: str = "2026 risk analysis") -> RiskAnalysis:
    """An analysis with one rated risk, submitted for review."""
    analysis = start(cast, title)
    record(cast, analysis)
    return analysis_submit(organization=cast.org, actor=actor(cast.owner), analysis=analysis)


def approved(cast: Cast, title: str = "2026 risk analysis") -> RiskAnalysis:
    return analysis_approve(
        organization=cast.org, actor=actor(cast.official), analysis=in_review(cast, title), statement="I approve."
    )
