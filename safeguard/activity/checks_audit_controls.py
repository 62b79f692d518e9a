"""164.312(b) audit controls: every system holding ePHI has its audit log collected.

The systems are the in-service assets of the inventory of kind application, database, cloud service or server
that hold records (volume band other than "none"). When the contingency module records tiers, tier 1–2 will
narrow this; until then the kinds decide. Met when each has an active log source linked to it; partially met
when some have; not met when none has.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Exists, OuterRef
from django.urls import reverse

from safeguard.activity.checks_common import listed, plural
from safeguard.activity.models import LogSource
from safeguard.core.models import Organization
from safeguard.risk.models import Asset, AssetKind, VolumeBand
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check

LOGGED_KINDS = (AssetKind.APPLICATION, AssetKind.DATABASE, AssetKind.CLOUD_SERVICE, AssetKind.SERVER)


def _asset_ref(organization: Organization, asset: Asset) -> RecordRef:
    url = reverse("risk:asset_detail", args=[organization.slug, asset.public_id])
    return RecordRef("risk.asset", str(asset.public_id), asset.name, url)


def systems_logging(organization: Organization) -> list[tuple[Asset, bool]]:
    """Each ePHI system and whether an active log source collects its audit log: one query."""
    collected = LogSource.objects.filter(organization=organization, is_active=True, asset=OuterRef("pk"))
    systems = (
        Asset.objects.in_service()
        .filter(organization=organization, kind__in=LOGGED_KINDS)
        .exclude(volume_band=VolumeBand.NONE)
        .annotate(logged=Exists(collected))
        .order_by("name")
    )
    return [(asset, bool(asset.logged)) for asset in systems]


@check("164.312(b)", name="activity.audit_controls")
def audit_controls_check(organization: Organization, today: date) -> CheckResult:
    systems = systems_logging(organization)
    if not systems:
        return CheckResult(
            Status.UNKNOWN,
            "The inventory has no in-service application, database, server or cloud service holding ePHI.",
            next_action="Record the systems that hold ePHI in the asset inventory.",
        )
    missing = [asset for asset, logged in systems if not logged]
    if not missing:
        return CheckResult(
            Status.MET,
            f"The audit log of each of the {plural(len(systems), 'ePHI system')} is collected.",
            tuple(_asset_ref(organization, asset) for asset, _ in systems[:10]),
            next_action="Add a log source when a new system that holds ePHI enters service.",
        )
    status = Status.NOT_MET if len(missing) == len(systems) else Status.PARTIALLY_MET
    return CheckResult(
        status,
        f"{len(missing)} of {plural(len(systems), 'ePHI system')} without a log source: "
        f"{listed(a.name for a in missing)}.",
        tuple(_asset_ref(organization, asset) for asset in missing[:10]),
        next_action=f"Add a log source linked to {listed(a.name for a in missing)} and ingest its audit log.",
    )
