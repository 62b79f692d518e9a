"""Record makers for the backup tests: assets with a recovery profile, backup policies and stored runs, made
through the ORM so a test states only what it is about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from safeguard.contingency.models import BackupImport, BackupPolicy, BackupResult, BackupStatus, RecoveryProfile
from safeguard.core.models import Organization
from safeguard.risk.models import Asset, AssetKind


def utc(text: str) -> datetime:
    """'2026-03-02 01:00' as a UTC moment."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def asset(
    organization: Organization, name: str, *, tier: int | None = 1, rpo: int = 1440, in_scope: bool = True
) -> Asset:
    made = Asset.objects.create(organization=organization, name=name, kind=AssetKind.APPLICATION)
    if tier is not None:
        RecoveryProfile.objects.create(
            organization=organization,
            asset=made,
            in_scope=in_scope,
            tier=tier,
            business_functions="Charting",
            mtd_minutes=max(rpo, 2880),
            rto_minutes=240,
            rpo_minutes=rpo,
        )
    return made


def policy(
    target: Asset, job_name: str = "nightly", *, interval_hours: int = 24, retention_days: int = 30, active: bool = True
) -> BackupPolicy:
    return BackupPolicy.objects.create(
        organization=target.organization,
        asset=target,
        job_name=job_name,
        method="full",
        schedule="daily 01:00",
        interval_hours=interval_hours,
        retention_days=retention_days,
        encrypted_at_rest=True,
        immutable_copy=True,
        offline_copy=False,
        offsite_location="Vault B",
        active=active,
    )


def stored_batch(organization: Organization) -> BackupImport:
    return BackupImport.objects.create(organization=organization, channel=BackupImport.Channel.API, state="done")


def run(
    of: BackupPolicy,
    started: datetime,
    *,
    status: str = BackupStatus.SUCCESS,
    minutes: int = 30,
    point: datetime | None = None,
    batch: BackupImport | None = None,
) -> BackupResult:
    return BackupResult.objects.create(
        organization=of.organization,
        policy=of,
        started_at=started,
        finished_at=started + timedelta(minutes=minutes),
        status=status,
        size_bytes=1000,
        restore_point_at=None if status == BackupStatus.FAILED else (point or started),
        batch=batch or stored_batch(of.organization),
    )


def csv_text(*rows: str, header: str = "asset,job,started,finished,status,size,restore_point") -> bytes:
    return ("\n".join((header, *rows)) + "\n").encode()
