"""Business associates' recovery commitments against our objectives, read by the list page, the API and the
readiness dashboard.

An asset is covered when a business associate runs it (Asset.business_associate) or a commitment was recorded
for it. Gaps: no commitment recorded; a stated RTO or RPO missing or longer than ours (equal meets it); our own
objectives not set, so nothing can be compared; never verified; verified more than 12 months ago (on the day
12 months after the verification it still counts)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from safeguard.contingency.durations import duration
from safeguard.contingency.models import RecoveryProfile, VendorRecovery
from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.risk.models import Asset

VERIFY_MONTHS = 12


@dataclass(frozen=True)
class VendorStatus:
    asset: Asset
    record: VendorRecovery | None
    profile: RecoveryProfile | None
    gaps: list[str]

    @property
    def business_associate(self) -> str:
        return self.record.business_associate if self.record is not None else self.asset.business_associate

    @property
    def stated_rto(self) -> int | None:
        return self.record.stated_rto_minutes if self.record is not None else None

    @property
    def stated_rpo(self) -> int | None:
        return self.record.stated_rpo_minutes if self.record is not None else None

    @property
    def our_rto(self) -> int | None:
        return self.profile.rto_minutes if self.profile is not None else None

    @property
    def our_rpo(self) -> int | None:
        return self.profile.rpo_minutes if self.profile is not None else None

    @property
    def verification_lapses_on(self) -> date | None:
        """The first day the verification no longer counts."""
        if self.record is None or self.record.verified_on is None:
            return None
        return add_months(self.record.verified_on, VERIFY_MONTHS) + timedelta(days=1)


def _objective_gap(label: str, stated: int | None, ours: int | None) -> str | None:
    if stated is None:
        return f"They state no {label}."
    if ours is not None and stated > ours:
        return f"Their {label} ({duration(stated)}) is longer than ours ({duration(ours)})."
    return None


def vendor_gaps(record: VendorRecovery | None, profile: RecoveryProfile | None, today: date) -> list[str]:
    if record is None:
        return ["No recovery commitment recorded."]
    gaps = [
        gap
        for gap in (
            _objective_gap("RTO", record.stated_rto_minutes, profile.rto_minutes if profile else None),
            _objective_gap("RPO", record.stated_rpo_minutes, profile.rpo_minutes if profile else None),
        )
        if gap is not None
    ]
    if profile is None:
        gaps.append("Our own RTO and RPO are not set (criticality analysis): nothing to compare with.")
    if record.verified_on is None:
        gaps.append("Never verified.")
    elif today > add_months(record.verified_on, VERIFY_MONTHS):
        gaps.append(f"Last verified {record.verified_on:%Y-%m-%d}, more than {VERIFY_MONTHS} months ago.")
    return gaps


def vendor_assets(organization: Organization) -> QuerySet[Asset]:
    """Assets a business associate runs, or with a recorded commitment; retired ones only if recorded."""
    run_by_vendor = Q(business_associate__gt="") & ~Q(status=Asset.Status.RETIRED)
    return (
        Asset.objects.filter(organization=organization)
        .filter(run_by_vendor | Q(vendor_recovery__isnull=False))
        .select_related(
            "recovery_profile", "vendor_recovery", "vendor_recovery__verified_by", "vendor_recovery__evidence"
        )
        .order_by("name", "pk")
    )


def _one_to_one(asset: Asset, name: str) -> object | None:
    # A missing reverse one-to-one raises rather than giving None; select_related already fetched it.
    return getattr(asset, name, None)


def vendor_statuses(assets: Iterable[Asset], today: date) -> list[VendorStatus]:
    """Statuses of assets fetched by vendor_assets (their profile and record already joined)."""
    statuses = []
    for asset in assets:
        record = _one_to_one(asset, "vendor_recovery")
        profile = _one_to_one(asset, "recovery_profile")
        statuses.append(
            VendorStatus(
                asset=asset,
                record=record,  # type: ignore[arg-type]
                profile=profile,  # type: ignore[arg-type]
                gaps=vendor_gaps(record, profile, today),  # type: ignore[arg-type]
            )
        )
    return statuses


def vendor_gap_by_asset(organization: Organization, today: date) -> dict[int, list[str]]:
    """Asset id → its gaps, for every asset a business associate runs (no gaps: an empty list)."""
    return {status.asset.pk: status.gaps for status in vendor_statuses(vendor_assets(organization), today)}
