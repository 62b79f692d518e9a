"""The asset inventory: create and change assets, with the rules imports share.

An asset entering service, or changing materially (kind, hosting, record volume, operator), after a risk
analysis was approved calls that analysis into question: a re-analysis trigger records it with an obligation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.risk.models import AnalysisScopeItem, Asset, AssetKind, ReanalysisTrigger, VolumeBand
from safeguard.risk.queries import latest_approved_analysis
from safeguard.risk.services.triggers import reanalysis_flag

EDITABLE_FIELDS = ("name", "kind", "description", "owner", "hosting", "volume_band", "business_associate", "status")
MATERIAL_FIELDS = ("kind", "hosting", "volume_band", "business_associate")
MAX_LENGTHS = {"name": 200, "hosting": 200, "business_associate": 200}


@dataclass
class AssetContext:
    """What asset validation needs from the database, loaded once (an import checks thousands of rows)."""

    organization: Organization
    owners: dict[str, User] = field(default_factory=dict)  # lower-cased email → a member who may own assets
    names: dict[str, int] = field(default_factory=dict)  # lower-cased name → asset pk

    @classmethod
    def load(cls, organization: Organization) -> AssetContext:
        members = (
            Membership.objects.current()
            .filter(organization=organization)
            .exclude(role=Role.AUDITOR)
            .select_related("user")
        )
        return cls(
            organization=organization,
            owners={m.user.email.lower(): m.user for m in members},
            names={
                name.lower(): pk
                for pk, name in Asset.objects.filter(organization=organization).values_list("pk", "name")
            },
        )


def asset_errors(values: dict[str, Any], context: AssetContext, *, current: Asset | None = None) -> dict[str, str]:
    """Every problem with an asset's values, by field; empty when the asset may be written."""
    errors: dict[str, str] = {}
    name = str(values.get("name", "")).strip()
    if "name" not in values and current is not None:
        pass  # an update that leaves the name alone
    elif not name:
        errors["name"] = "Give the asset a name."
    elif len(name) > MAX_LENGTHS["name"]:
        errors["name"] = f"The name is longer than {MAX_LENGTHS['name']} characters."
    else:
        holder = context.names.get(name.lower())
        if holder is not None and (current is None or holder != current.pk):
            errors["name"] = f"An asset named {name!r} already exists."
    checks = (("kind", AssetKind), ("volume_band", VolumeBand), ("status", Asset.Status))
    for name_of_field, choices in checks:
        value = values.get(name_of_field)
        if value is not None and value not in choices.values:
            errors[name_of_field] = f"{value!r} is not one of: {', '.join(choices.values)}."
    if "kind" not in values and current is None:
        errors["kind"] = f"Choose a kind: {', '.join(AssetKind.values)}."
    for text_field in ("hosting", "business_associate"):
        if len(str(values.get(text_field) or "")) > MAX_LENGTHS[text_field]:
            errors[text_field] = f"Longer than {MAX_LENGTHS[text_field]} characters."
    owner = values.get("owner")
    if owner is not None and owner.email.lower() not in context.owners:
        errors["owner"] = "The owner must be a current member of this organization (not an auditor)."
    return errors


def asset_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    kind: str,
    description: str = "",
    owner: User | None = None,
    hosting: str = "",
    volume_band: str = VolumeBand.UNKNOWN,
    business_associate: str = "",
    status: str = Asset.Status.IN_SERVICE,
    context: AssetContext | None = None,
    flag_reanalysis: bool = True,
) -> Asset:
    """Add an asset. An import passes its AssetContext (so names it wrote count as taken) and flag_reanalysis=False
    to raise one re-analysis trigger for the whole file instead of one per asset."""
    values = {
        "name": name.strip(),
        "kind": kind,
        "description": description,
        "owner": owner,
        "hosting": hosting.strip(),
        "volume_band": volume_band,
        "business_associate": business_associate.strip(),
        "status": status,
    }
    context = context or AssetContext.load(organization)
    ServiceError.raise_first(asset_errors(values, context))
    now = timezone.now()
    with transaction.atomic():
        asset = Asset.objects.create(
            organization=organization,
            in_service_since=now if status == Asset.Status.IN_SERVICE else None,
            retired_at=now if status == Asset.Status.RETIRED else None,
            created_at=now,
            updated_at=now,
            **values,
        )
        context.names[asset.name.lower()] = asset.pk
        audit_record(
            actor=actor,
            action="risk.asset.created",
            organization=organization,
            target=asset,
            changes={key: [None, value] for key, value in snapshot(asset, EDITABLE_FIELDS).items()},
        )
        if status == Asset.Status.IN_SERVICE and flag_reanalysis:
            _flag_added(organization, actor, asset)
        request_evaluation_on_commit(organization, "risk.asset_changed")
    return asset


def asset_update(
    *,
    organization: Organization,
    actor: Actor,
    asset: Asset,
    context: AssetContext | None = None,
    flag_reanalysis: bool = True,
    **values: Any,
) -> Asset:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for text_field in ("name", "hosting", "business_associate"):
        if isinstance(values.get(text_field), str):
            values[text_field] = values[text_field].strip()
    context = context or AssetContext.load(organization)
    ServiceError.raise_first(asset_errors(values, context, current=asset))
    with transaction.atomic():
        locked = Asset.objects.select_for_update().get(pk=asset.pk, organization=organization)
        before = snapshot(locked, EDITABLE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        after = snapshot(locked, EDITABLE_FIELDS)
        changes = field_changes(before, after)
        if not changes:
            return locked
        now = timezone.now()
        entering = "status" in changes and locked.status == Asset.Status.IN_SERVICE
        if entering:
            locked.in_service_since = now
            locked.retired_at = None
        if "status" in changes and locked.status == Asset.Status.RETIRED:
            locked.retired_at = now
        material = [name for name in MATERIAL_FIELDS if name in changes]
        if material and locked.status == Asset.Status.IN_SERVICE:
            locked.material_change_at = now
        locked.updated_at = now
        locked.save()
        context.names.pop(str(before["name"]).lower(), None)
        context.names[locked.name.lower()] = locked.pk
        audit_record(
            actor=actor, action="risk.asset.updated", organization=organization, target=locked, changes=changes
        )
        if not flag_reanalysis:
            pass
        elif entering:
            _flag_added(organization, actor, locked)
        elif material and locked.status == Asset.Status.IN_SERVICE:
            _flag_changed(organization, actor, locked, material)
        request_evaluation_on_commit(organization, "risk.asset_changed")
    return locked


def _in_latest_scope(organization: Organization, asset: Asset) -> tuple[bool, date | None]:
    analysis = latest_approved_analysis(organization)
    if analysis is None or analysis.approved_at is None:
        return False, None
    scoped = AnalysisScopeItem.objects.filter(analysis=analysis, asset=asset).exists()
    return scoped, timezone.localdate(analysis.approved_at)


def _flag_added(organization: Organization, actor: Actor, asset: Asset) -> None:
    scoped, approved_on = _in_latest_scope(organization, asset)
    if approved_on is None or scoped:
        return
    reanalysis_flag(
        organization=organization,
        actor=actor,
        kind=ReanalysisTrigger.Kind.ASSET_ADDED,
        reason=f"{asset.get_kind_display()} “{asset.name}” entered service after the analysis of {approved_on}.",
        asset=asset,
    )


def _flag_changed(organization: Organization, actor: Actor, asset: Asset, material: list[str]) -> None:
    scoped, approved_on = _in_latest_scope(organization, asset)
    if approved_on is None:
        return
    if not scoped:
        _flag_added(organization, actor, asset)
        return
    fields = ", ".join(name.replace("_", " ") for name in material)
    reanalysis_flag(
        organization=organization,
        actor=actor,
        kind=ReanalysisTrigger.Kind.ASSET_CHANGED,
        reason=f"“{asset.name}” changed ({fields}) after the analysis of {approved_on}.",
        asset=asset,
    )
