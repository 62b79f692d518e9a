"""Record makers for the exercise, business-associate and readiness tests: rows made through the ORM (or the
service under test's neighbours) at chosen dates, so a test states only what it is about."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from safeguard.contingency.models import (
    BackupImport,
    BackupPolicy,
    BackupResult,
    BackupStatus,
    ContingencyPlan,
    Exercise,
    PlanKind,
    PlanVersion,
    RecoveryProfile,
    RestoreOutcome,
    RestoreTest,
    VendorRecovery,
)
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset, AssetKind

HOUR = 60


def at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.get_current_timezone())


def asset(organization: Organization, name: str, *, business_associate: str = "") -> Asset:
    return Asset.objects.create(
        organization=organization, name=name, kind=AssetKind.APPLICATION, business_associate=business_associate
    )


def profile(
    target: Asset, *, tier: int = 1, rto_minutes: int = 4 * HOUR, rpo_minutes: int = 24 * HOUR, in_scope: bool = True
) -> RecoveryProfile:
    return RecoveryProfile.objects.create(
        organization_id=target.organization_id,
        asset=target,
        tier=tier,
        in_scope=in_scope,
        business_functions="Clinic work",
        mtd_minutes=max(rto_minutes, 7 * 24 * HOUR),
        rto_minutes=rto_minutes,
        rpo_minutes=rpo_minutes,
    )


def exercise(organization: Organization, user: User, *, held_on: date, completed: bool = True) -> Exercise:
    return Exercise.objects.create(
        organization=organization,
        kind=Exercise.Kind.TABLETOP,
        title=f"Ransomware {held_on}",
        scenario="The EHR is encrypted on a Monday morning.",
        held_on=held_on,
        outcomes="Call tree worked." if completed else "",
        completed=completed,
        recorded_by=user,
    )


def plan_version(organization: Organization, user: User, *, caused_by: Exercise | None, number: int = 1) -> PlanVersion:
    plan, _ = ContingencyPlan.objects.get_or_create(
        organization=organization, title="Disaster recovery plan", defaults={"kind": PlanKind.DISASTER_RECOVERY}
    )
    return PlanVersion.objects.create(
        organization=organization,
        plan=plan,
        number=number,
        activation_criteria="EHR down more than an hour.",
        manual_procedures="Paper charts.",
        return_criteria="EHR restored and verified.",
        revision_reason="Call tree fixed after the exercise." if caused_by else "",
        caused_by_exercise=caused_by,
        created_by=user,
    )


def vendor(
    target: Asset,
    *,
    rto_minutes: int | None,
    rpo_minutes: int | None,
    verified_on: date | None,
    business_associate: str = "Cloud EHR Inc.",
) -> VendorRecovery:
    return VendorRecovery.objects.create(
        organization_id=target.organization_id,
        asset=target,
        business_associate=business_associate,
        stated_rto_minutes=rto_minutes,
        stated_rpo_minutes=rpo_minutes,
        evidence_kind=VendorRecovery.EvidenceKind.REPORT if verified_on else "",
        verified_on=verified_on,
    )


def backup(target: Asset, *, finished: datetime, ok: bool = True, job: str = "nightly") -> BackupResult:
    policy, _ = BackupPolicy.objects.get_or_create(
        organization_id=target.organization_id,
        asset=target,
        job_name=job,
        defaults={
            "method": "full",
            "schedule": "daily 01:00",
            "retention_days": 30,
            "encrypted_at_rest": True,
            "immutable_copy": True,
            "offline_copy": False,
        },
    )
    batch = BackupImport.objects.create(organization_id=target.organization_id, channel=BackupImport.Channel.API)
    return BackupResult.objects.create(
        organization_id=target.organization_id,
        policy=policy,
        started_at=finished - timedelta(minutes=30),
        finished_at=finished,
        status=BackupStatus.SUCCESS if ok else BackupStatus.FAILED,
        restore_point_at=finished - timedelta(minutes=30) if ok else None,
        batch=batch,
    )


def restore_test(
    target: Asset, user: User, *, day: date, minutes: int, rto_minutes: int = 4 * HOUR, outcome: str = "met"
) -> RestoreTest:
    started = at(day, 9)
    return RestoreTest.objects.create(
        organization_id=target.organization_id,
        asset=target,
        performed_by=user,
        restore_point_at=started - timedelta(hours=2),
        started_at=started,
        finished_at=started + timedelta(minutes=minutes),
        succeeded=outcome != RestoreOutcome.FAILED,
        integrity_verified=True,
        rto_minutes=rto_minutes,
        rpo_minutes=24 * HOUR,
        rto_met=minutes <= rto_minutes,
        rpo_met=True,
        outcome=outcome,
        recorded_by=user,
    )
