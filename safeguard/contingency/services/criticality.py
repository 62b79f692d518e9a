"""The criticality analysis (164.308(a)(7)(ii)(E)): each asset's recovery profile and the dependencies between
assets. Objectives are whole minutes; the rules that tie them together (RTO within MTD, an RPO the backups can
reach) are checked here so the pages, the API and any import refuse the same things with the same words."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.contingency.durations import duration
from safeguard.contingency.models import AssetDependency, BackupPolicy, RecoveryProfile, Tier
from safeguard.contingency.recovery_order import dependency_path
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.models.obligations import Cadence
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.risk.models import Asset

EDITABLE_FIELDS = (
    "in_scope",
    "tier",
    "business_functions",
    "mtd_minutes",
    "rto_minutes",
    "rpo_minutes",
    "manual_workarounds",
    "restore_test_cadence",
    "notes",
)
OBJECTIVES = {"mtd_minutes": "maximum tolerable downtime", "rto_minutes": "RTO", "rpo_minutes": "RPO"}
# Ten years: anything longer is a typing mistake, and it keeps minutes well inside a 32-bit column.
MAX_MINUTES = 10 * 366 * 1440
TEST_CADENCES = (Cadence.MONTHLY, Cadence.QUARTERLY, Cadence.SEMIANNUAL, Cadence.ANNUAL)
MAX_NOTE = 200


def profile_errors(values: dict[str, Any], asset: Asset) -> dict[str, str]:
    """Every problem with a profile's values, by field; the backup policy rule reads the asset's policies."""
    errors: dict[str, str] = {}
    if values.get("tier") not in Tier.values:
        errors["tier"] = "Choose a tier from 1 (patient safety, within hours) to 4 (can wait weeks)."
    for field, label in OBJECTIVES.items():
        value = values.get(field)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            errors[field] = f"The {label} must be more than zero."
        elif value > MAX_MINUTES:
            errors[field] = f"The {label} must be at most ten years."
    rto, mtd = values.get("rto_minutes"), values.get("mtd_minutes")
    if "rto_minutes" not in errors and "mtd_minutes" not in errors and rto > mtd:  # type: ignore[operator]
        errors["rto_minutes"] = (
            f"The RTO ({duration(rto)}) is longer than the maximum tolerable downtime ({duration(mtd)}): "
            "restoring that slowly would cause unacceptable harm. Shorten the RTO or revisit the MTD."
        )
    if not isinstance(values.get("in_scope"), bool):
        errors["in_scope"] = "Say whether the asset is in the scope of the analysis (yes or no)."
    if values.get("in_scope") is True and not str(values.get("business_functions", "")).strip():
        errors["business_functions"] = "Say which business functions stop while it is down."
    if values.get("restore_test_cadence", "") not in ("", *TEST_CADENCES):
        errors["restore_test_cadence"] = f"Choose one of: {', '.join(TEST_CADENCES)}, or leave it blank for the tier's."
    if "rpo_minutes" not in errors:
        problem = _retention_shorter_than_rpo(asset, values["rpo_minutes"])
        if problem:
            errors["rpo_minutes"] = problem
    return errors


def _retention_shorter_than_rpo(asset: Asset, rpo_minutes: int) -> str:
    # retention_days * 1440 < rpo_minutes, in whole days: fewer days than the RPO rounded up.
    short = (
        BackupPolicy.objects.filter(asset=asset, active=True, retention_days__lt=-(-rpo_minutes // 1440))
        .order_by("retention_days", "job_name")
        .first()
    )
    if short is None:
        return ""
    return (
        f"The RPO ({duration(rpo_minutes)}) is longer than the {short.retention_days}-day retention of the backup "
        f"policy “{short.job_name}”: the restore point it allows would already be deleted. Shorten the RPO or "
        "lengthen the retention."
    )


def _assert_asset(organization: Organization, asset: Asset, field: str = "asset") -> None:
    if asset.organization_id != organization.pk:
        raise ServiceError("Choose an asset from this organization's inventory.", field=field)
    if asset.status == Asset.Status.RETIRED:
        raise ServiceError(f"{asset.name} is retired: it has no place in the recovery plan.", field=field)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    for field in ("business_functions", "manual_workarounds", "notes", "restore_test_cadence"):
        if isinstance(values.get(field), str):
            values[field] = values[field].strip()
    return values


def profile_create(
    *,
    organization: Organization,
    actor: Actor,
    asset: Asset,
    tier: int,
    business_functions: str,
    mtd_minutes: int,
    rto_minutes: int,
    rpo_minutes: int,
    in_scope: bool = True,
    manual_workarounds: str = "",
    restore_test_cadence: str = "",
    notes: str = "",
) -> RecoveryProfile:
    _assert_asset(organization, asset)
    values = _clean(
        {
            "in_scope": in_scope,
            "tier": tier,
            "business_functions": business_functions,
            "mtd_minutes": mtd_minutes,
            "rto_minutes": rto_minutes,
            "rpo_minutes": rpo_minutes,
            "manual_workarounds": manual_workarounds,
            "restore_test_cadence": restore_test_cadence,
            "notes": notes,
        }
    )
    ServiceError.raise_first(profile_errors(values, asset))
    with transaction.atomic():
        if RecoveryProfile.objects.select_for_update().filter(asset=asset).exists():
            raise ServiceError(f"{asset.name} already has a recovery profile: edit it instead.", field="asset")
        profile = RecoveryProfile.objects.create(
            organization=organization, asset=asset, updated_by=actor.user, **values
        )
        audit_record(
            actor=actor,
            action="contingency.profile.created",
            organization=organization,
            target=profile,
            changes={"asset": [None, asset.name]} | {k: [None, v] for k, v in values.items()},
        )
        request_evaluation_on_commit(organization, "contingency.profile")
    return profile


def profile_update(
    *, organization: Organization, actor: Actor, profile: RecoveryProfile, **values: Any
) -> RecoveryProfile:
    """Change a profile; fields left out keep their value."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = (
            RecoveryProfile.objects.select_for_update()
            .select_related("asset")
            .get(pk=profile.pk, organization=organization)
        )
        before = snapshot(locked, EDITABLE_FIELDS)
        merged = _clean(before | values)
        ServiceError.raise_first(profile_errors(merged, locked.asset))
        changes = field_changes(before, merged)
        if not changes:
            return locked
        for name in EDITABLE_FIELDS:
            setattr(locked, name, merged[name])
        locked.updated_at, locked.updated_by = timezone.now(), actor.user
        locked.save()
        audit_record(
            actor=actor, action="contingency.profile.updated", organization=organization, target=locked, changes=changes
        )
        request_evaluation_on_commit(organization, "contingency.profile")
    return locked


def profile_delete(*, organization: Organization, actor: Actor, profile: RecoveryProfile) -> None:
    """For an asset recorded by mistake; an asset that stops mattering is marked out of scope instead. Its
    dependencies stay: they describe the asset, not the profile."""
    with transaction.atomic():
        deleted, _ = RecoveryProfile.objects.filter(pk=profile.pk, organization=organization).delete()
        if not deleted:
            raise ServiceError("This recovery profile no longer exists.")
        audit_record(
            actor=actor,
            action="contingency.profile.deleted",
            organization=organization,
            object_type="contingency.recoveryprofile",
            object_id=str(profile.public_id),
            object_repr=str(profile),
            changes={"asset": [profile.asset.name, None]}
            | {k: [v, None] for k, v in snapshot(profile, EDITABLE_FIELDS).items()},
        )
        request_evaluation_on_commit(organization, "contingency.profile")


def _needs_graph(organization: Organization) -> dict[int, set[int]]:
    graph: dict[int, set[int]] = {}
    for asset_id, depends_on_id in AssetDependency.objects.filter(organization=organization).values_list(
        "asset_id", "depends_on_id"
    ):
        graph.setdefault(asset_id, set()).add(depends_on_id)
    return graph


def _cycle_message(organization: Organization, asset: Asset, depends_on: Asset, path: list[int]) -> str:
    names = dict(Asset.objects.filter(organization=organization, pk__in=path).values_list("pk", "name"))
    chain = " needs ".join(names[pk] for pk in path)
    return (
        f"That would close a cycle: {chain} already, so {asset.name} cannot also need {depends_on.name}; "
        "none of them could be restored first. Remove the dependency that is wrong first."
    )


def dependency_add(
    *, organization: Organization, actor: Actor, asset: Asset, depends_on: Asset, note: str = ""
) -> AssetDependency:
    """Record that `asset` needs `depends_on` running first."""
    _assert_asset(organization, asset)
    _assert_asset(organization, depends_on, field="depends_on")
    note = note.strip()
    if asset.pk == depends_on.pk:
        raise ServiceError(f"{asset.name} cannot depend on itself.", field="depends_on")
    if len(note) > MAX_NOTE:
        raise ServiceError(f"Longer than {MAX_NOTE} characters.", field="note")
    with transaction.atomic():
        # Two concurrent additions could each close half of a cycle: one writer per organization at a time.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        if AssetDependency.objects.filter(asset=asset, depends_on=depends_on).exists():
            raise ServiceError(f"{asset.name} is already recorded as needing {depends_on.name}.", field="depends_on")
        path = dependency_path(_needs_graph(organization), depends_on.pk, asset.pk)
        if path is not None:
            raise ServiceError(_cycle_message(organization, asset, depends_on, path), field="depends_on")
        dependency = AssetDependency.objects.create(
            organization=organization, asset=asset, depends_on=depends_on, note=note
        )
        audit_record(
            actor=actor,
            action="contingency.dependency.added",
            organization=organization,
            target=dependency,
            object_id=f"{asset.public_id}:{depends_on.public_id}",
            changes={"asset": [None, asset.name], "depends_on": [None, depends_on.name], "note": [None, note]},
        )
        request_evaluation_on_commit(organization, "contingency.dependency")
    return dependency


def dependency_remove(*, organization: Organization, actor: Actor, dependency: AssetDependency) -> None:
    with transaction.atomic():
        deleted, _ = AssetDependency.objects.filter(pk=dependency.pk, organization=organization).delete()
        if not deleted:
            raise ServiceError("This dependency was already removed.")
        audit_record(
            actor=actor,
            action="contingency.dependency.removed",
            organization=organization,
            object_type="contingency.assetdependency",
            object_id=f"{dependency.asset.public_id}:{dependency.depends_on.public_id}",
            object_repr=str(dependency),
            changes={
                "asset": [dependency.asset.name, None],
                "depends_on": [dependency.depends_on.name, None],
                "note": [dependency.note, None],
            },
        )
        request_evaluation_on_commit(organization, "contingency.dependency")
