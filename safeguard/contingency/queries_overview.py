"""Recovery readiness: for every in-scope asset of the criticality analysis, whether it could be recovered as the
organization promised, and the same counted per tier. Read by the dashboard and the API in a fixed number of
queries however many assets (the backup, restore test and business associate reads each take a few).

Only assets in service are judged (a planned one is not yet, as the checks do: queries_criticality). An asset is
ready when all of these hold:
- a fresh backup: an active backup policy and a latest good restore point within its RPO (queries_backups), as
  the (ii)(A) check asks;
- a restore test that met the objectives within the period its tier's cadence gives (queries_restore_tests);
- its last restore test met the objectives (a later missed or failed test is not hidden by an earlier pass);
- no gap in its business associate's commitment, when one runs it (queries_vendors).

The 72-hour target is the proposed rule's (2025): critical systems and data restored within 72 hours. It is
shown for tier 1–2 assets as an optional target, not a requirement in force."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from safeguard.contingency.durations import duration, span
from safeguard.contingency.models import RecoveryProfile, RestoreOutcome, RestoreTest, Tier
from safeguard.contingency.objectives import time_to_restore
from safeguard.contingency.queries_backups import AssetBackupStatus, backup_status
from safeguard.contingency.queries_restore_tests import AssetRestoreStatus, restore_status
from safeguard.contingency.queries_vendors import vendor_gap_by_asset
from safeguard.contingency.services.settings import contingency_settings
from safeguard.core.models import Organization
from safeguard.risk.models import Asset

TARGET_72_HOURS = timedelta(hours=72)
TARGET_TIERS = (Tier.PATIENT_SAFETY, Tier.CRITICAL)


@dataclass(frozen=True)
class AssetReadiness:
    profile: RecoveryProfile
    backup: AssetBackupStatus | None
    restore: AssetRestoreStatus | None
    vendor_gaps: list[str] | None  # None: no business associate runs it
    fresh_backup: bool
    tested: bool
    objectives_met: bool
    reasons: list[str]
    over_72_hours: list[str]

    @property
    def asset(self) -> Asset:
        return self.profile.asset

    @property
    def vendor_gap(self) -> bool:
        return bool(self.vendor_gaps)

    @property
    def ready(self) -> bool:
        return self.fresh_backup and self.tested and self.objectives_met and not self.vendor_gap


@dataclass
class Counts:
    """How many assets of a tier (or of all tiers) meet each condition."""

    tier: int | None
    label: str
    assets: int = 0
    fresh_backup: int = 0
    tested: int = 0
    objectives_met: int = 0
    vendor_gaps: int = 0
    ready: int = 0

    def add(self, row: AssetReadiness) -> None:
        self.assets += 1
        self.fresh_backup += row.fresh_backup
        self.tested += row.tested
        self.objectives_met += row.objectives_met
        self.vendor_gaps += row.vendor_gap
        self.ready += row.ready

    @property
    def ready_percent(self) -> int | None:
        return round(100 * self.ready / self.assets) if self.assets else None


@dataclass
class Readiness:
    today: date
    tiers: list[Counts]
    overall: Counts
    rows: list[AssetReadiness]
    show_72_hour_target: bool
    over_72_hours: list[AssetReadiness] = field(default_factory=list)


def _backup_reason(backup: AssetBackupStatus | None, rpo_minutes: int) -> str | None:
    if backup is None or not backup.has_policy:
        # As the (ii)(A) check: a good point left by a policy since deactivated is not a backup plan.
        return "No active backup policy."
    if backup.latest_good_at is None:
        return "No good backup yet."
    if not backup.within_rpo:
        age = int((backup.age or timedelta(0)).total_seconds() // 60)
        return f"Latest good restore point is {duration(age)} old; the RPO is {duration(rpo_minutes)}."
    return None


def _test_reasons(restore: AssetRestoreStatus | None, today: date) -> tuple[bool, bool, list[str]]:
    """(passed within the period, last test met the objectives, reasons for what is not)."""
    if restore is None or restore.last_test is None:
        return False, False, ["Never restore-tested."]
    reasons = []
    tested = restore.passed_within_period(today)
    if not tested:
        if restore.last_passed_on is None:
            reasons.append("No restore test has met the objectives.")
        else:
            reasons.append(
                f"The last restore test that met the objectives ({restore.last_passed_on:%Y-%m-%d}) is older than "
                f"the {restore.cadence} cadence allows."
            )
    met = restore.outcome == RestoreOutcome.MET
    if not met:
        reasons.append(f"The last restore test ({restore.last_tested_on:%Y-%m-%d}) {shortfall(restore.last_test)}.")
    return tested, met, reasons


def shortfall(test: RestoreTest) -> str:
    """What a test that did not meet the objectives fell short of, e.g. "missed its RTO and RPO"."""
    if test.outcome == RestoreOutcome.FAILED:
        return "failed: the data was not restored"
    missed = [name for name, met in (("RTO", test.rto_met), ("RPO", test.rpo_met)) if not met]
    parts = [f"missed its {' and '.join(missed)}"] if missed else []
    if not test.integrity_verified:
        parts.append("restored data was not verified" if missed else "restored, but the data was not verified")
    return "; ".join(parts) or test.get_outcome_display().lower()


def _over_72_hours(profile: RecoveryProfile, restore: AssetRestoreStatus | None) -> list[str]:
    if profile.tier not in TARGET_TIERS:
        return []
    reasons = []
    if profile.rto_minutes > TARGET_72_HOURS.total_seconds() // 60:
        reasons.append(f"RTO is {duration(profile.rto_minutes)}.")
    test = restore.last_test if restore is not None else None
    if test is not None:
        took = time_to_restore(test.started_at, test.finished_at)
        if took > TARGET_72_HOURS:
            reasons.append(f"The last restore test took {span(took)}.")
    return reasons


def asset_readiness(
    profile: RecoveryProfile,
    backup: AssetBackupStatus | None,
    restore: AssetRestoreStatus | None,
    vendor_gaps: list[str] | None,
    today: date,
) -> AssetReadiness:
    backup_reason = _backup_reason(backup, profile.rpo_minutes)
    tested, met, reasons = _test_reasons(restore, today)
    reasons = [reason for reason in [backup_reason, *reasons] if reason] + list(vendor_gaps or [])
    return AssetReadiness(
        profile=profile,
        backup=backup,
        restore=restore,
        vendor_gaps=vendor_gaps,
        fresh_backup=backup_reason is None,
        tested=tested,
        objectives_met=met,
        reasons=reasons,
        over_72_hours=_over_72_hours(profile, restore),
    )


def readiness(organization: Organization, *, today: date, now: datetime) -> Readiness:
    restores = restore_status(organization, today=today)
    profiles = sorted(
        (status.profile for status in restores.values() if status.profile.in_scope),
        key=lambda profile: (profile.tier, profile.asset.name.lower(), profile.pk),
    )
    backups = backup_status(organization, now=now, assets=[profile.asset_id for profile in profiles])
    vendors = vendor_gap_by_asset(organization, today)
    rows = [
        asset_readiness(
            profile, backups.get(profile.asset_id), restores[profile.asset_id], vendors.get(profile.asset_id), today
        )
        for profile in profiles
    ]
    tiers = {tier: Counts(tier, label) for tier, label in Tier.choices}
    overall = Counts(None, "All tiers")
    for row in rows:
        tiers[row.profile.tier].add(row)
        overall.add(row)
    shown = contingency_settings(organization).show_72_hour_target
    return Readiness(
        today=today,
        tiers=list(tiers.values()),
        overall=overall,
        rows=rows,
        show_72_hour_target=shown,
        over_72_hours=[row for row in rows if row.over_72_hours] if shown else [],
    )
