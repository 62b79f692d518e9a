"""A restore test measured against the recovery objectives: pure arithmetic on aware datetimes, no database.

Time to restore is finished − started; the data age recovered is started − restore point (what was lost had the
outage begun when the restore did). Exactly on an objective meets it; a restore whose integrity was not verified
meets nothing (missed). Times are turned to UTC before they are
subtracted: Python subtracts two datetimes of the same zone by their wall clocks, so a restore across a
daylight-saving change would otherwise be off by an hour."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from safeguard.contingency.models import RestoreOutcome


@dataclass(frozen=True)
class Measured:
    time_to_restore: timedelta
    data_age: timedelta
    rto_met: bool
    rpo_met: bool
    outcome: str
    rto: timedelta
    rpo: timedelta
    integrity_verified: bool = True

    @property
    def rto_over(self) -> timedelta:
        """How far past the RTO the restore took (zero when met)."""
        return max(self.time_to_restore - self.rto, timedelta(0))

    @property
    def rpo_over(self) -> timedelta:
        """How much older than the RPO allows the restored data was (zero when met)."""
        return max(self.data_age - self.rpo, timedelta(0))


def time_to_restore(started_at: datetime, finished_at: datetime) -> timedelta:
    return finished_at.astimezone(UTC) - started_at.astimezone(UTC)


def data_age(restore_point_at: datetime, started_at: datetime) -> timedelta:
    return started_at.astimezone(UTC) - restore_point_at.astimezone(UTC)


def rto_met(elapsed: timedelta, rto_minutes: int) -> bool:
    return elapsed <= timedelta(minutes=rto_minutes)


def rpo_met(age: timedelta, rpo_minutes: int) -> bool:
    return age <= timedelta(minutes=rpo_minutes)


def outcome_of(*, succeeded: bool, integrity_verified: bool, rto_ok: bool, rpo_ok: bool) -> str:
    """Failed when nothing came back; met only when the restore was also checked: data restored but never
    verified may be incomplete or corrupt, so the test is missed ("restored, but not verified")."""
    if not succeeded:
        return RestoreOutcome.FAILED
    return RestoreOutcome.MET if rto_ok and rpo_ok and integrity_verified else RestoreOutcome.MISSED


def measure(
    *,
    restore_point_at: datetime,
    started_at: datetime,
    finished_at: datetime,
    succeeded: bool,
    integrity_verified: bool,
    rto_minutes: int,
    rpo_minutes: int,
) -> Measured:
    elapsed = time_to_restore(started_at, finished_at)
    age = data_age(restore_point_at, started_at)
    rto_ok, rpo_ok = rto_met(elapsed, rto_minutes), rpo_met(age, rpo_minutes)
    return Measured(
        time_to_restore=elapsed,
        data_age=age,
        rto_met=rto_ok,
        rpo_met=rpo_ok,
        outcome=outcome_of(succeeded=succeeded, integrity_verified=integrity_verified, rto_ok=rto_ok, rpo_ok=rpo_ok),
        rto=timedelta(minutes=rto_minutes),
        rpo=timedelta(minutes=rpo_minutes),
        integrity_verified=integrity_verified,
    )
