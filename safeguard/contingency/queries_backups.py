"""Backup status per asset, read by the backup pages, the readiness dashboard and the tracker: the latest good
restore point and its age against the asset's RPO, and over the last 30 days the failed runs and the missing
ones. In a fixed number of queries whatever the number of assets and runs.

- A good run is one that succeeded, with or without warnings; its restore point counts whichever of the asset's
  policies (active or not) made it.
- Within the RPO means age ≤ RPO: a point exactly as old as the objective still meets it. All in UTC.
- A run is missing when a policy's interval plus the organization's grace hours passed without a run starting
  (a failed run is a run, counted as failed). Counted for active policies from 30 days ago, or from the policy's
  creation when later, up to now: a gap of g hours misses ⌊(g − grace) / interval⌋ runs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from django.db.models import OuterRef, Q, QuerySet, Subquery

from safeguard.contingency.models import BackupPolicy, BackupResult, BackupStatus, RecoveryProfile
from safeguard.contingency.readiness_rules import within_rpo
from safeguard.contingency.services.settings import contingency_settings
from safeguard.core.models import Organization
from safeguard.risk.models import Asset

WINDOW = timedelta(days=30)
M = TypeVar("M", RecoveryProfile, BackupPolicy)
GOOD = (BackupStatus.SUCCESS, BackupStatus.WARNING)


@dataclass
class AssetBackupStatus:
    asset_id: int
    rpo_minutes: int | None = None  # None: the asset has no recovery profile
    latest_good_at: datetime | None = None
    age: timedelta | None = None
    within_rpo: bool | None = None  # None: no RPO to compare with
    failed_30d: int = 0
    missing_30d: int = 0
    has_policy: bool = False  # an active backup policy
    policy_ids: list[int] = field(default_factory=list)  # active ones

    @property
    def stale_at(self) -> datetime | None:
        """When the latest good point ages past the RPO (the moment it stops being within)."""
        if self.latest_good_at is None or self.rpo_minutes is None:
            return None
        return self.latest_good_at + timedelta(minutes=self.rpo_minutes)


def backup_status(
    organization: Organization, *, now: datetime, assets: Iterable[Asset | int] | None = None
) -> dict[int, AssetBackupStatus]:
    """Asset pk → its backup status. Without `assets`: every asset with a recovery profile or a backup policy."""
    wanted = None if assets is None else {a if isinstance(a, int) else a.pk for a in assets}
    profiles = _scoped(RecoveryProfile.objects.filter(organization=organization), wanted)
    policies = list(
        _scoped(BackupPolicy.objects.filter(organization=organization), wanted)
        .annotate(**{f"latest_{good}": _latest_point(good, now) for good in GOOD})
        .values_list("pk", "asset_id", "active", "interval_hours", "created_at", *(f"latest_{good}" for good in GOOD))
    )
    statuses: dict[int, AssetBackupStatus] = {}
    for asset_id, rpo in profiles.values_list("asset_id", "rpo_minutes"):
        statuses[asset_id] = AssetBackupStatus(asset_id, rpo_minutes=rpo)
    for asset_id in wanted or ():
        statuses.setdefault(asset_id, AssetBackupStatus(asset_id))
    for pk, asset_id, active, _, _, *latest in policies:
        status = statuses.setdefault(asset_id, AssetBackupStatus(asset_id))
        if active:
            status.has_policy = True
            status.policy_ids.append(pk)
        for point in latest:
            if point is not None and (status.latest_good_at is None or point > status.latest_good_at):
                status.latest_good_at = point
    if policies:
        _add_window(
            organization,
            statuses,
            [(pk, asset_id, on, hours, made) for pk, asset_id, on, hours, made, *_ in policies],
            now,
        )
    for status in statuses.values():
        if status.latest_good_at is not None:
            status.age = now - status.latest_good_at
        if status.rpo_minutes is not None:
            status.within_rpo = within_rpo(status.latest_good_at, status.rpo_minutes, now)
    return statuses


def _scoped(queryset: QuerySet[M], wanted: set[int] | None) -> QuerySet[M]:
    return queryset if wanted is None else queryset.filter(asset_id__in=wanted)


def _latest_point(status: str, now: datetime) -> Subquery:
    """One index seek per policy and status (backup_result_latest_good), not a scan of every run kept."""
    points = BackupResult.objects.filter(policy=OuterRef("pk"), status=status, restore_point_at__lte=now)
    return Subquery(points.order_by("-restore_point_at").values("restore_point_at")[:1])


def _add_window(
    organization: Organization,
    statuses: dict[int, AssetBackupStatus],
    policies: list[tuple[int, int, bool, int, datetime]],
    now: datetime,
) -> None:
    """Failed and missing runs of the last 30 days, from the window's runs read once."""
    since = now - WINDOW
    asset_of = {pk: asset_id for pk, asset_id, *_ in policies}
    starts: dict[int, list[datetime]] = defaultdict(list)
    rows = BackupResult.objects.filter(
        organization=organization, policy_id__in=asset_of, started_at__gte=since, started_at__lte=now
    ).order_by("policy_id", "started_at")
    for policy_id, started, status in rows.values_list("policy_id", "started_at", "status").iterator(10_000):
        starts[policy_id].append(started)
        if status == BackupStatus.FAILED:
            statuses[asset_of[policy_id]].failed_30d += 1
    active = [(pk, asset_id, interval, created) for pk, asset_id, on, interval, created in policies if on]
    if active:
        grace = timedelta(hours=contingency_settings(organization).backup_grace_hours)
        for pk, asset_id, interval, created in active:
            first = max(since, created)
            statuses[asset_id].missing_30d += missed(starts.get(pk, []), first, now, timedelta(hours=interval), grace)


def missed(starts: list[datetime], since: datetime, now: datetime, interval: timedelta, grace: timedelta) -> int:
    """Runs missed between `since` and `now`, given the sorted start times of the runs that happened."""
    missing, previous = 0, since
    for moment in [*starts, now]:
        if moment > previous:
            missing += max(0, (moment - previous - grace) // interval)
            previous = moment
    return missing


def backed_up_assets(organization: Organization) -> QuerySet[Asset]:
    """The assets backup status covers, by name: those with a recovery profile or a backup policy."""
    return (
        Asset.objects.filter(organization=organization)
        .filter(Q(recovery_profile__isnull=False) | Q(backup_policies__isnull=False))
        .distinct()
        .order_by("name", "pk")
    )
