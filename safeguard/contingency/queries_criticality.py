"""Reads of the criticality analysis shared by its pages, API and tracker check: the inventory with profiles,
the analysis as it stands (what an approval signs), and what changed since the last approval."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from safeguard.contingency.models import AssetDependency, CriticalityApproval, RecoveryProfile
from safeguard.core.models import Organization
from safeguard.risk.models import Asset

CRITICAL_TIER_MAX = 2  # tiers 1 (patient safety) and 2 (critical)

# What an approval vouches for. The asset's name is kept for display but a rename is not a change.
COMPARED = (
    "tier",
    "business_functions",
    "mtd_minutes",
    "rto_minutes",
    "rpo_minutes",
    "manual_workarounds",
    "restore_test_cadence",
    "depends_on",
)


def asset_rows(organization: Organization, *, tier: int | None = None, missing: bool = False) -> QuerySet[Asset]:
    """Assets in service, each with its profile (or none) and its number of dependencies, by name."""
    rows = (
        Asset.objects.filter(organization=organization)
        .in_service()
        .select_related("recovery_profile")
        .annotate(dependency_count=Count("recovery_dependencies"))
        .order_by("name", "pk")
    )
    if missing:
        rows = rows.filter(recovery_profile__isnull=True)
    elif tier is not None:
        rows = rows.filter(recovery_profile__tier=tier)
    return rows


def profile_rows(organization: Organization, *, tier: int | None = None) -> QuerySet[RecoveryProfile]:
    rows = RecoveryProfile.objects.filter(organization=organization).select_related("asset", "updated_by")
    rows = rows.order_by("tier", "asset__name", "pk")
    return rows if tier is None else rows.filter(tier=tier)


def dependency_rows(organization: Organization, asset: Asset | None = None) -> QuerySet[AssetDependency]:
    rows = AssetDependency.objects.filter(organization=organization).select_related("asset", "depends_on")
    if asset is not None:
        rows = rows.filter(Q(asset=asset) | Q(depends_on=asset))
    return rows.order_by("asset__name", "depends_on__name", "pk")


def critical_profiles(organization: Organization) -> QuerySet[RecoveryProfile]:
    """The critical assets every (a)(7) check and the dashboard judge: in-scope profiles of tier 1 or 2 whose
    asset is in service. A planned asset is not judged until it goes live, as the (E) check does."""
    return RecoveryProfile.objects.filter(
        organization=organization, in_scope=True, tier__lte=CRITICAL_TIER_MAX, asset__status=Asset.Status.IN_SERVICE
    )


def is_critical(profile: RecoveryProfile) -> bool:
    """critical_profiles' rule for a profile already loaded with its asset."""
    return profile.in_scope and profile.tier <= CRITICAL_TIER_MAX and profile.asset.status == Asset.Status.IN_SERVICE


def unprofiled_assets(organization: Organization) -> list[Asset]:
    return list(Asset.objects.filter(organization=organization, recovery_profile__isnull=True).in_service())


def analysis_content(organization: Organization) -> dict[str, Any]:
    """Every in-scope profile of an asset in service with what it needs, keyed by the asset's public id: what an
    approval signs. Two queries."""
    profiles = RecoveryProfile.objects.filter(
        organization=organization, in_scope=True, asset__status=Asset.Status.IN_SERVICE
    ).select_related("asset")
    needs: dict[int, list[str]] = {}
    for asset_id, depends_on_id in AssetDependency.objects.filter(organization=organization).values_list(
        "asset_id", "depends_on__public_id"
    ):
        needs.setdefault(asset_id, []).append(str(depends_on_id))
    return {
        "profiles": {
            str(p.asset.public_id): {
                "name": p.asset.name,
                "tier": p.tier,
                "business_functions": p.business_functions,
                "mtd_minutes": p.mtd_minutes,
                "rto_minutes": p.rto_minutes,
                "rpo_minutes": p.rpo_minutes,
                "manual_workarounds": p.manual_workarounds,
                "restore_test_cadence": p.restore_test_cadence,
                "depends_on": sorted(needs.get(p.asset_id, [])),
            }
            for p in profiles
        }
    }


def latest_approval(organization: Organization) -> CriticalityApproval | None:
    return (
        CriticalityApproval.objects.filter(organization=organization)
        .select_related("approved_by", "signature")
        .order_by("-approved_at", "-pk")
        .first()
    )


@dataclass(frozen=True)
class ProfileChange:
    asset_public_id: str
    name: str
    kind: str  # "added", "changed" or "removed"
    fields: tuple[str, ...] = ()

    @property
    def described(self) -> str:
        if self.kind == "added":
            return f"{self.name}: added since the approval"
        if self.kind == "removed":
            return f"{self.name}: no longer in scope"
        return f"{self.name}: {', '.join(field.replace('_minutes', '').replace('_', ' ') for field in self.fields)}"


def changes_since(approved: dict[str, Any], current: dict[str, Any]) -> list[ProfileChange]:
    """Profiles that appeared, changed or left the scope between two contents, in name order."""
    before, after = approved.get("profiles", {}), current.get("profiles", {})
    found: list[ProfileChange] = []
    for key, now in after.items():
        if key not in before:
            found.append(ProfileChange(key, now["name"], "added"))
            continue
        fields = tuple(field for field in COMPARED if before[key].get(field) != now.get(field))
        if fields:
            found.append(ProfileChange(key, now["name"], "changed", fields))
    found += [ProfileChange(key, then["name"], "removed") for key, then in before.items() if key not in after]
    return sorted(found, key=lambda change: (change.name.lower(), change.asset_public_id))
