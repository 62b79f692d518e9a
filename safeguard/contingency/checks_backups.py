"""164.308(a)(7)(ii)(A) data backup plan.

Met: every critical asset (queries_criticality.critical_profiles: in scope, tier 1–2, in service) has an active
backup policy and a good restore point within its RPO. Partially met: some do; the stale ones and those without
a policy are listed. Not met: none does, or no tier 1–2 asset is recorded at all (the analysis decides what must
be backed up, so it comes first; never "not applicable"). `lapses_on` is the day the first fresh restore point
ages past its RPO, when no newer one arrives.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from safeguard.contingency.checks_common import listing, record_url
from safeguard.contingency.durations import duration
from safeguard.contingency.queries_backups import AssetBackupStatus, backup_status
from safeguard.contingency.queries_criticality import critical_profiles
from safeguard.core.chores import as_of
from safeguard.core.models import Organization
from safeguard.risk.models import Asset
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check


def backup_asset_ref(organization: Organization, asset: Asset) -> RecordRef:
    url = record_url("contingency:backup_asset", organization, asset_id=asset.public_id)
    return RecordRef("risk.asset", str(asset.public_id), f"Backups of {asset.name}", url)


def _age_text(status: AssetBackupStatus) -> str:
    # The point's time, not its age: an age would change the stored reason every minute of the day.
    if status.latest_good_at is None:
        return "no good restore point"
    return f"latest good point {timezone.localtime(status.latest_good_at):%Y-%m-%d %H:%M}"


@check("164.308(a)(7)(ii)(A)", name="contingency.backup_plan")
def backup_plan_check(organization: Organization, today: date) -> CheckResult:
    now = as_of(today)
    profiles = list(critical_profiles(organization).select_related("asset").order_by("asset__name"))
    if not profiles:
        return CheckResult(
            Status.NOT_MET,
            "No tier 1 or 2 asset is recorded in the criticality analysis, so nothing says which backups matter.",
            next_action="Record the criticality analysis first: give each application and data set a tier and an "
            "RPO, then a backup policy for every tier 1–2 asset.",
        )
    statuses = backup_status(organization, now=now, assets=[p.asset_id for p in profiles])
    fresh, stale, unplanned = [], [], []
    for profile in profiles:
        status = statuses[profile.asset_id]
        if not status.has_policy:
            unplanned.append(profile)
        elif status.within_rpo:
            fresh.append(profile)
        else:
            stale.append(profile)
    deadlines = [statuses[p.asset_id].stale_at for p in fresh]
    lapses_on = min(timezone.localdate(moment) for moment in deadlines if moment) if deadlines else None
    records = tuple(backup_asset_ref(organization, p.asset) for p in [*stale, *unplanned, *fresh][:20])
    if not stale and not unplanned:
        return CheckResult(
            Status.MET,
            f"All {len(fresh)} tier 1–2 assets have an active backup policy and a good restore point within their RPO.",
            records,
            lapses_on=lapses_on,
            next_action="Keep importing backup results (or let the backup tool's hook post them) so each stays "
            "within its RPO.",
        )
    parts = []
    if stale:
        named = [f"{p.asset.name} ({_age_text(statuses[p.asset_id])}, RPO {duration(p.rpo_minutes)})" for p in stale]
        parts.append(f"no restore point within the RPO for {listing(named)}")
    if unplanned:
        parts.append(f"no active backup policy for {listing([p.asset.name for p in unplanned])}")
    reason = "; ".join(parts)
    return CheckResult(
        Status.PARTIALLY_MET if fresh else Status.NOT_MET,
        f"{len(fresh)} of {len(profiles)} tier 1–2 assets are backed up within their RPO; {reason}.",
        records,
        lapses_on=lapses_on,
        next_action="Add a backup policy for each listed asset, fix the failing or missing jobs and import their "
        "results until every restore point is within its RPO.",
    )
