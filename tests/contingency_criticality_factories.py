"""Record makers for the criticality tests: assets with recovery profiles and dependencies, made through the ORM
so a test states only what it is about."""

from __future__ import annotations

from datetime import date

from safeguard.contingency.models import AssetDependency, RecoveryProfile
from safeguard.core.models import Organization
from safeguard.risk.models import Asset, AssetKind


def plain_asset(organization: Organization, name: str, *, status: str = Asset.Status.IN_SERVICE) -> Asset:
    return Asset.objects.create(organization=organization, name=name, kind=AssetKind.APPLICATION, status=status)


def profile(
    asset: Asset,
    *,
    tier: int = 2,
    mtd: int = 1440,
    rto: int = 240,
    rpo: int = 60,
    in_scope: bool = True,
    functions: str = "Scheduling and charting",
) -> RecoveryProfile:
    return RecoveryProfile.objects.create(
        organization=asset.organization,
        asset=asset,
        in_scope=in_scope,
        tier=tier,
        business_functions=functions,
        mtd_minutes=mtd,
        rto_minutes=rto,
        rpo_minutes=rpo,
    )


def profiled(organization: Organization, name: str, *, tier: int = 2, rto: int = 240, in_scope: bool = True) -> Asset:
    made = plain_asset(organization, name)
    profile(made, tier=tier, rto=rto, mtd=max(rto, 1440), in_scope=in_scope)
    return made


def needs(asset: Asset, depends_on: Asset, note: str = "") -> AssetDependency:
    return AssetDependency.objects.create(
        organization=asset.organization, asset=asset, depends_on=depends_on, note=note
    )


def on(day: str) -> date:
    return date.fromisoformat(day)
