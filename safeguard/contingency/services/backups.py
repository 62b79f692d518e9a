"""Backup policies: how each asset is backed up (method, schedule, retention, protection of the copies, who runs
it). A policy's job name is how imported results find it, so it is unique per asset whatever its case; a
retention shorter than the asset's recovery point objective is refused, as the restore point the objective
needs would already be gone. Policies are deactivated, never deleted: their results stay with them."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.contingency.durations import duration
from safeguard.contingency.models import BackupMethod, BackupPolicy, RecoveryProfile
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.risk.models import Asset

EDITABLE_FIELDS = (
    "job_name",
    "method",
    "schedule",
    "interval_hours",
    "retention_days",
    "encrypted_at_rest",
    "immutable_copy",
    "offline_copy",
    "offsite_location",
    "responsible",
    "business_associate",
    "notes",
)
TEXT_LIMITS = {"job_name": 200, "schedule": 200, "offsite_location": 200, "business_associate": 200}
MINUTES_PER_DAY = 24 * 60
TRIGGER = "contingency.backup_policy_changed"


def policy_errors(
    organization: Organization, asset: Asset, values: dict[str, Any], *, current: BackupPolicy | None = None
) -> dict[str, str]:
    """Every problem with a policy's values, by field; empty when the policy may be written."""
    errors: dict[str, str] = {}
    if asset.organization_id != organization.pk:
        errors["asset"] = "Choose an asset of this organization."
        return errors
    job_name = str(values.get("job_name", "")).strip()
    if not job_name:
        errors["job_name"] = "Give the job's name as the backup tool shows it: results are matched by it."
    else:
        taken = BackupPolicy.objects.filter(asset=asset, job_name__iexact=job_name)
        if current is not None:
            taken = taken.exclude(pk=current.pk)
        if taken.exists():
            errors["job_name"] = f"{asset.name} already has a backup job named {job_name!r} (case is ignored)."
    for name, limit in TEXT_LIMITS.items():
        if len(str(values.get(name) or "")) > limit:
            errors[name] = f"Longer than {limit} characters."
    if values.get("method") not in BackupMethod.values:
        errors["method"] = f"Choose a method: {', '.join(BackupMethod.values)}."
    if not str(values.get("schedule", "")).strip():
        errors["schedule"] = "Say when the job runs, e.g. 'daily 01:00'."
    for name, what in (("interval_hours", "hour"), ("retention_days", "day")):
        number = values.get(name)
        if not isinstance(number, int) or isinstance(number, bool) or number < 1:
            errors[name] = f"Give a whole number of {what}s, at least 1."
    if "retention_days" not in errors:
        retention_error = _retention_error(asset, int(values["retention_days"]))
        if retention_error:
            errors["retention_days"] = retention_error
    responsible = values.get("responsible")
    if responsible is not None and not _may_be_responsible(organization, responsible):
        errors["responsible"] = "The responsible person must be a current member of this organization (not an auditor)."
    return errors


def _retention_error(asset: Asset, retention_days: int) -> str:
    profile = RecoveryProfile.objects.filter(asset=asset).only("rpo_minutes").first()
    if profile is None or retention_days * MINUTES_PER_DAY >= profile.rpo_minutes:
        return ""
    return (
        f"A retention of {duration(retention_days * MINUTES_PER_DAY)} is shorter than the recovery point "
        f"objective of {duration(profile.rpo_minutes)} set for {asset.name}: keep restore points at least "
        "that long."
    )


def _may_be_responsible(organization: Organization, user: User) -> bool:
    current = Membership.objects.current().filter(organization=organization, user=user).exclude(role=Role.AUDITOR)
    return current.exists()


def _cleaned(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    return {
        name: value.strip() if isinstance(value, str) and name != "notes" else value for name, value in values.items()
    }


def backup_policy_create(*, organization: Organization, actor: Actor, asset: Asset, **values: Any) -> BackupPolicy:
    defaults = {
        "interval_hours": 24,
        "offsite_location": "",
        "business_associate": "",
        "notes": "",
        "responsible": None,
    }
    values = defaults | _cleaned(values)
    ServiceError.raise_first(policy_errors(organization, asset, values))
    now = timezone.now()
    with transaction.atomic():
        policy = BackupPolicy.objects.create(
            organization=organization, asset=asset, created_at=now, updated_at=now, **values
        )
        audit_record(
            actor=actor,
            action="contingency.backup_policy.created",
            organization=organization,
            target=policy,
            changes={"asset": [None, asset]} | {k: [None, v] for k, v in snapshot(policy, EDITABLE_FIELDS).items()},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return policy


def backup_policy_update(
    *, organization: Organization, actor: Actor, policy: BackupPolicy, **values: Any
) -> BackupPolicy:
    values = _cleaned(values)
    with transaction.atomic():
        locked = (
            BackupPolicy.objects.select_for_update()
            .select_related("asset")
            .get(pk=policy.pk, organization=organization)
        )
        before = snapshot(locked, EDITABLE_FIELDS)
        ServiceError.raise_first(policy_errors(organization, locked.asset, before | values, current=locked))
        for name, value in values.items():
            setattr(locked, name, value)
        changes = field_changes(before, snapshot(locked, EDITABLE_FIELDS))
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="contingency.backup_policy.updated",
            organization=organization,
            target=locked,
            changes=changes,
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


def backup_policy_set_active(
    *, organization: Organization, actor: Actor, policy: BackupPolicy, active: bool
) -> BackupPolicy:
    """Deactivate a policy the asset no longer uses (its results are kept), or bring it back."""
    with transaction.atomic():
        locked = BackupPolicy.objects.select_for_update().get(pk=policy.pk, organization=organization)
        if locked.active == active:
            return locked
        locked.active = active
        locked.updated_at = timezone.now()
        locked.save(update_fields=["active", "updated_at"])
        audit_record(
            actor=actor,
            action="contingency.backup_policy." + ("reactivated" if active else "deactivated"),
            organization=organization,
            target=locked,
            changes={"active": [not active, active]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked
