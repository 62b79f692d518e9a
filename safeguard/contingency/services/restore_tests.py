"""Recording a restore test: checked, measured against the asset's objectives as they stand (copied onto the
test), audited; one that failed, missed an objective or was not verified opens a corrective action in the same
transaction.

Times must be aware: a form reads them in the installation's zone, the API needs an offset, an import reads a
bare time in the organization's import zone (services/restore_import.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from safeguard.contingency.durations import duration, span
from safeguard.contingency.models import BackupResult, BackupStatus, CorrectiveAction, RecoveryProfile, RestoreTest
from safeguard.contingency.objectives import Measured, measure
from safeguard.contingency.services.actions import corrective_action_create
from safeguard.contingency.services.restore_action_owner import action_owners
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Evidence, Membership, Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.evidence import evidence_upload
from safeguard.risk.models import Asset, Risk

ACTION_DUE_DAYS = 30
RECORDED_FIELDS = (
    "asset",
    "performed_by",
    "restore_point_at",
    "started_at",
    "finished_at",
    "succeeded",
    "integrity_verified",
    "rto_minutes",
    "rpo_minutes",
    "rto_met",
    "rpo_met",
    "outcome",
    "backup_result",
)


@dataclass
class RestoreInput:
    """One restore test as entered: by a form, the API or an import row."""

    asset: Asset
    performed_by: User | None
    started_at: datetime | None
    finished_at: datetime | None
    succeeded: bool
    integrity_verified: bool
    restore_point_at: datetime | None = None
    backup_result: BackupResult | None = None
    participants: str = ""
    integrity_method: str = ""
    issues_found: str = ""


@dataclass(frozen=True)
class CheckedRestore:
    values: RestoreInput
    profile: RecoveryProfile
    performed_by: User
    restore_point_at: datetime
    started_at: datetime
    finished_at: datetime
    measured: Measured


def _aware(value: datetime | None, name: str, problems: dict[str, str], missing: str) -> datetime | None:
    if value is None:
        problems.setdefault(name, missing)
        return None
    if timezone.is_naive(value):
        problems.setdefault(name, "Give the time with its time zone (a UTC offset such as -05:00, or Z).")
        return None
    # Compared and subtracted as instants: two times of one zone compare by their wall clocks.
    return value.astimezone(UTC)


def _restore_point(values: RestoreInput, organization: Organization, problems: dict[str, str]) -> datetime | None:
    result = values.backup_result
    if result is None:
        return _aware(
            values.restore_point_at,
            "restore_point_at",
            problems,
            "Give the restore point time: when the data restored was captured.",
        )
    if result.organization_id != organization.pk or result.policy.asset_id != values.asset.pk:
        problems["backup_result"] = f"That backup run is not one of {values.asset.name}'s."
        return None
    if result.status == BackupStatus.FAILED or result.restore_point_at is None:
        problems["backup_result"] = "That backup run failed: it left no restore point to restore from."
        return None
    given = values.restore_point_at
    if given is not None and timezone.is_aware(given) and given != result.restore_point_at:
        problems["restore_point_at"] = "The restore point time differs from the chosen backup run's: leave it empty."
        return None
    return result.restore_point_at.astimezone(UTC)


def _check_performer(organization: Organization, user: User | None, problems: dict[str, str]) -> None:
    if user is None:
        problems["performed_by"] = "Say who performed the restore."
    elif not Membership.objects.current().filter(organization=organization, user=user).exists():
        problems["performed_by"] = f"{user.email} is not a current member of this organization."


def restore_test_problems(
    organization: Organization,
    values: RestoreInput,
    *,
    profile: RecoveryProfile | None,
    now: datetime,
) -> tuple[CheckedRestore | None, dict[str, str]]:
    """Every problem with one restore test (field → message), or the test measured. Shared by the form, the API and
    the import, which reports them all by row; `profile` is the asset's (None: it has no objectives yet)."""
    problems: dict[str, str] = {}
    if values.asset.organization_id != organization.pk:
        problems["asset"] = "No such asset in this organization."
    elif profile is None:
        problems["asset"] = (
            f"{values.asset.name} has no recovery objectives: set its RTO and RPO in the criticality analysis first."
        )
    _check_performer(organization, values.performed_by, problems)
    started = _aware(values.started_at, "started_at", problems, "Give the time the restore started.")
    finished = _aware(values.finished_at, "finished_at", problems, "Give the time the restore finished.")
    point = _restore_point(values, organization, problems)
    if started is not None and finished is not None and finished < started:
        problems["finished_at"] = "The restore cannot finish before it started."
    if started is not None and point is not None and point > started:
        problems["restore_point_at"] = (
            "The restore point is after the restore started: a restore brings back data captured before it."
        )
    for name, moment in (("started_at", started), ("finished_at", finished)):
        if moment is not None and moment > now:
            problems.setdefault(name, "This time is in the future: record a restore test once it has happened.")
    if values.integrity_verified and not values.integrity_method.strip():
        problems["integrity_method"] = "Say how the restored data was checked (e.g. record counts, checksums)."
    performer = values.performed_by
    if problems or profile is None or performer is None or started is None or finished is None or point is None:
        return None, problems
    measured = measure(
        restore_point_at=point,
        started_at=started,
        finished_at=finished,
        succeeded=values.succeeded,
        integrity_verified=values.integrity_verified,
        rto_minutes=profile.rto_minutes,
        rpo_minutes=profile.rpo_minutes,
    )
    return CheckedRestore(values, profile, performer, point, started, finished, measured), {}


def profile_of(asset: Asset) -> RecoveryProfile | None:
    return RecoveryProfile.objects.filter(asset=asset).first()


def action_title(asset: Asset, measured: Measured) -> str:
    """Says which objective was missed and by how much, e.g. “Restore test of EHR missed its RTO by 1 h 05 min”,
    or “Restore test of EHR: integrity not verified” when only the check of the restored data is missing."""
    if measured.outcome == "failed":
        return f"Restore test of {asset.name} failed: the data was not restored"[:200]
    misses = []
    if not measured.rto_met:
        misses.append(f"its RTO by {span(measured.rto_over)}")
    if not measured.rpo_met:
        misses.append(f"its RPO by {span(measured.rpo_over)}")
    if not misses:
        return f"Restore test of {asset.name}: integrity not verified"[:200]
    unverified = "" if measured.integrity_verified else "; integrity not verified"
    return f"Restore test of {asset.name} missed {' and '.join(misses)}{unverified}"[:200]


def _action_owner(organization: Organization, asset: Asset, actor: Actor, performed_by: User) -> User | None:
    recorder_id = actor.user.pk if actor.user else None
    owners = action_owners(organization, asset.owner_id, recorder_id, performed_by.pk)
    return owners.choose(asset, actor.user, performed_by)


def _open_action(
    organization: Organization, actor: Actor, test: RestoreTest, checked: CheckedRestore, risk: Risk | None, today: date
) -> CorrectiveAction:
    measured = checked.measured
    description = (
        f"Measured on {timezone.localtime(test.started_at):%Y-%m-%d %H:%M}: time to restore "
        f"{span(measured.time_to_restore)} (RTO {duration(int(measured.rto.total_seconds() // 60))}), data age "
        f"{span(measured.data_age)} (RPO {duration(int(measured.rpo.total_seconds() // 60))})."
    )
    if test.issues_found:
        description += f"\nIssues found: {test.issues_found}"
    return corrective_action_create(
        organization=organization,
        actor=actor,
        origin=CorrectiveAction.Origin.RESTORE_TEST,
        title=action_title(test.asset, measured),
        owner=_action_owner(organization, test.asset, actor, test.performed_by),
        due_on=today + timedelta(days=ACTION_DUE_DAYS),
        description=description,
        restore_test=test,
        asset=test.asset,
        risk=risk,
        today=today,
    )


def restore_test_write(
    *,
    organization: Organization,
    actor: Actor,
    checked: CheckedRestore,
    evidence: Evidence | None = None,
    risk: Risk | None = None,
    now: datetime | None = None,
) -> RestoreTest:
    """Store a checked test in the caller's transaction (the import writes many in one)."""
    now = now or timezone.now()
    values = checked.values
    recorder = actor.user or checked.performed_by
    measured = checked.measured
    test = RestoreTest(
        organization=organization,
        asset=values.asset,
        backup_result=values.backup_result,
        performed_by=checked.performed_by,
        participants=values.participants.strip(),
        restore_point_at=checked.restore_point_at,
        started_at=checked.started_at,
        finished_at=checked.finished_at,
        succeeded=values.succeeded,
        integrity_verified=values.integrity_verified,
        integrity_method=values.integrity_method.strip(),
        issues_found=values.issues_found.strip(),
        rto_minutes=checked.profile.rto_minutes,
        rpo_minutes=checked.profile.rpo_minutes,
        rto_met=measured.rto_met,
        rpo_met=measured.rpo_met,
        outcome=measured.outcome,
        evidence=evidence,
        recorded_by=recorder,
        recorded_at=now,
    )
    try:
        # A savepoint, so that a refused row leaves the caller's transaction usable for the error it reports.
        with transaction.atomic():
            test.save(force_insert=True)
    except IntegrityError:
        # The form and the import look for the same test first; this is the race between two of them.
        if not same_test_exists(organization, values.asset, checked.started_at):
            raise
        raise ServiceError(_duplicate_text(values.asset), field="started_at") from None
    audit_record(
        actor=actor,
        action="contingency.restore_test.recorded",
        organization=organization,
        target=test,
        changes={name: [None, getattr(test, name)] for name in RECORDED_FIELDS},
    )
    if measured.outcome != "met":
        _open_action(organization, actor, test, checked, risk, timezone.localdate(now))
    request_evaluation_on_commit(organization, "contingency.restore_test_recorded")
    return test


def _duplicate_text(asset: Asset) -> str:
    return f"A restore test of {asset.name} that started at this time is already recorded."


def same_test_exists(organization: Organization, asset: Asset, started_at: datetime) -> bool:
    return RestoreTest.objects.filter(organization=organization, asset=asset, started_at=started_at).exists()


def restore_test_record(
    *,
    organization: Organization,
    actor: Actor,
    values: RestoreInput,
    evidence: Evidence | None = None,
    evidence_file: UploadedFile | None = None,
    risk: Risk | None = None,
    now: datetime | None = None,
) -> RestoreTest:
    """Record one restore test; a failed or missed one opens a corrective action (linked to `risk` if given)."""
    now = now or timezone.now()
    if actor.user is None:
        raise ServiceError("A restore test is recorded by a person.")
    if evidence is not None and evidence_file is not None:
        raise ServiceError("Choose existing evidence or upload a file, not both.", field="evidence_file")
    if evidence is not None and (evidence.organization_id != organization.pk or evidence.is_deleted):
        raise ServiceError("No such evidence in this organization.", field="evidence")
    if risk is not None and risk.organization_id != organization.pk:
        raise ServiceError("No such risk in this organization.", field="risk")
    checked, problems = restore_test_problems(organization, values, profile=profile_of(values.asset), now=now)
    ServiceError.raise_first(problems)
    if checked is None:
        raise ServiceError("The restore test could not be checked.")
    if same_test_exists(organization, values.asset, checked.started_at):
        raise ServiceError(_duplicate_text(values.asset), field="started_at")
    with transaction.atomic():
        if evidence_file is not None:
            try:
                evidence = evidence_upload(
                    organization=organization,
                    actor=actor,
                    title=f"Restore test of {values.asset.name} {timezone.localdate(checked.started_at):%Y-%m-%d}",
                    upload=evidence_file,
                    effective_date=timezone.localdate(checked.started_at),
                )
            except ServiceError as error:
                raise ServiceError(error.message, field="evidence_file") from None
        return restore_test_write(
            organization=organization, actor=actor, checked=checked, evidence=evidence, risk=risk, now=now
        )
