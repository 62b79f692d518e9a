"""Record makers for restore test and corrective action tests: assets with objectives, tests made through the
service (so they are measured as in use) or straight through the ORM at chosen dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from safeguard.contingency.models import (
    BackupImport,
    BackupPolicy,
    BackupResult,
    CorrectiveAction,
    Exercise,
    RecoveryProfile,
    RestoreTest,
)
from safeguard.contingency.objectives import measure
from safeguard.contingency.services.restore_tests import RestoreInput, restore_test_record
from safeguard.core.audit import Actor
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset
from tests.risk_factories import asset as make_asset
from tests.risk_factories import at


def asset_with_objectives(
    organization: Organization,
    name: str,
    *,
    tier: int = 1,
    rto: int = 240,
    rpo: int = 60,
    in_scope: bool = True,
    cadence: str = "",
    owner: User | None = None,
) -> Asset:
    asset = make_asset(organization, name, since=date(2024, 1, 1))
    if owner is not None:
        asset.owner = owner
        asset.save(update_fields=["owner"])
    RecoveryProfile.objects.create(
        organization=organization,
        asset=asset,
        tier=tier,
        in_scope=in_scope,
        business_functions="Patient care",
        mtd_minutes=max(rto, 1440),
        rto_minutes=rto,
        rpo_minutes=rpo,
        restore_test_cadence=cadence,
    )
    return asset


def restore_input(
    asset: Asset,
    performer: User,
    *,
    started: datetime,
    minutes: int = 60,
    data_age_minutes: int = 30,
    succeeded: bool = True,
    verified: bool = True,
) -> RestoreInput:
    return RestoreInput(
        asset=asset,
        performed_by=performer,
        started_at=started,
        finished_at=started + timedelta(minutes=minutes),
        restore_point_at=started - timedelta(minutes=data_age_minutes),
        succeeded=succeeded,
        integrity_verified=verified,
        integrity_method="Row counts compared" if verified else "",
    )


def recorded(asset: Asset, user: User, *, started: datetime, minutes: int = 60, **kwargs: object) -> RestoreTest:
    values = restore_input(asset, user, started=started, minutes=minutes, **kwargs)  # type: ignore[arg-type]
    return restore_test_record(organization=asset.organization, actor=Actor(user=user), values=values)


def stored_test(
    asset: Asset, user: User, *, on: date, minutes: int = 60, succeeded: bool = True, verified: bool = True
) -> RestoreTest:
    """A test written straight to the table on a chosen (possibly past) day."""
    profile = RecoveryProfile.objects.get(asset=asset)
    started = at(on, 9)
    point = started - timedelta(minutes=30)
    finished = started + timedelta(minutes=minutes)
    measured = measure(
        restore_point_at=point,
        started_at=started,
        finished_at=finished,
        succeeded=succeeded,
        integrity_verified=verified,
        rto_minutes=profile.rto_minutes,
        rpo_minutes=profile.rpo_minutes,
    )
    return RestoreTest.objects.create(
        organization=asset.organization,
        asset=asset,
        performed_by=user,
        restore_point_at=point,
        started_at=started,
        finished_at=finished,
        succeeded=succeeded,
        integrity_verified=verified,
        rto_minutes=profile.rto_minutes,
        rpo_minutes=profile.rpo_minutes,
        rto_met=measured.rto_met,
        rpo_met=measured.rpo_met,
        outcome=measured.outcome,
        recorded_by=user,
    )


def action(
    organization: Organization,
    owner: User,
    title: str = "Fix it",
    *,
    due_on: date | None = None,
    origin: str = CorrectiveAction.Origin.OTHER,
    **kw: Any,
) -> CorrectiveAction:
    return CorrectiveAction.objects.create(
        organization=organization,
        origin=origin,
        title=title,
        owner=owner,
        due_on=due_on or timezone.localdate() + timedelta(days=10),
        **kw,
    )


def exercise(
    organization: Organization, user: User, *, held_on: date, lessons: str = "", completed: bool = True
) -> Exercise:
    return Exercise.objects.create(
        organization=organization,
        kind=Exercise.Kind.TABLETOP,
        title=f"Ransomware tabletop {held_on}",
        scenario="Ransomware encrypts the EHR",
        held_on=held_on,
        lessons_learned=lessons,
        completed=completed,
        recorded_by=user,
    )


def backup_run(asset: Asset, *, point: datetime | None, status: str = "success") -> BackupResult:
    policy = BackupPolicy.objects.create(
        organization=asset.organization,
        asset=asset,
        job_name="nightly",
        method="full",
        schedule="daily",
        retention_days=30,
        encrypted_at_rest=True,
        immutable_copy=False,
        offline_copy=False,
    )
    batch = BackupImport.objects.create(organization=asset.organization, channel="api")
    started = point or timezone.now() - timedelta(hours=10)
    return BackupResult.objects.create(
        organization=asset.organization,
        policy=policy,
        started_at=started,
        finished_at=started + timedelta(minutes=5),
        status=status,
        restore_point_at=point,
        batch=batch,
    )
