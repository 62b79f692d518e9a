"""The asset page's Recovery section (risk.asset_panels): the asset's tier and objectives, its latest good restore
point against the RPO, its last restore test and when the next is due, with links to the pages holding the
details. It reads only this asset, in a fixed number of queries, through the same queries the backup and restore
pages use, so the panel and those pages cannot disagree."""

from __future__ import annotations

from django.utils import timezone

from safeguard.contingency.models import RecoveryProfile
from safeguard.contingency.queries_backups import backup_status
from safeguard.contingency.queries_restore_tests import restore_status
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.risk.asset_panels import AssetPanel, asset_panel
from safeguard.risk.models import Asset

TEMPLATE = "contingency/asset_recovery_panel.html"


@asset_panel(order=10)
def recovery_panel(membership: Membership, asset: Asset) -> AssetPanel | None:
    if not membership.has(Perm.VIEW_PROGRAM):
        return None
    organization = membership.organization
    profile = RecoveryProfile.objects.filter(organization=organization, asset=asset).first()
    context: dict[str, object] = {
        "asset": asset,
        "profile": profile,
        "can_change": membership.has(Perm.MANAGE_PROGRAM),
    }
    if profile is not None:
        now = timezone.now()
        context["backups"] = backup_status(organization, now=now, assets=[asset])[asset.pk]
        # None when the asset is not in service: a planned or retired asset has no restore test due.
        context["restore"] = restore_status(organization, today=timezone.localdate(now), asset=asset).get(asset.pk)
    return AssetPanel(TEMPLATE, context)
