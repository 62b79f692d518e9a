"""Data flows: ePHI moving from one asset to another, with how it travels and whether it is encrypted."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset, DataFlow, Transport

EDITABLE_FIELDS = ("source", "destination", "ephi", "transport", "encrypted_in_transit", "notes")
MAX_EPHI = 200


def flow_errors(
    values: dict[str, Any],
    organization: Organization,
    *,
    taken: set[tuple[int, int, str]],
    current: DataFlow | None = None,
) -> dict[str, str]:
    """Every problem with a flow's values, by field. `taken` holds (source pk, destination pk, lower ePHI) keys
    of the flows that exist (an import passes its own running set)."""
    errors: dict[str, str] = {}
    source, destination = values.get("source"), values.get("destination")
    for name, asset in (("source", source), ("destination", destination)):
        if not isinstance(asset, Asset) or asset.organization_id != organization.pk:
            errors[name] = f"Choose the {name} asset from this organization's inventory."
    if isinstance(source, Asset) and isinstance(destination, Asset) and source.pk == destination.pk:
        errors["destination"] = "A flow goes from one asset to a different one."
    ephi = str(values.get("ephi", "")).strip()
    if not ephi:
        errors["ephi"] = "Say what ePHI moves (e.g. 'lab results')."
    elif len(ephi) > MAX_EPHI:
        errors["ephi"] = f"Longer than {MAX_EPHI} characters."
    if values.get("transport") not in Transport.values:
        errors["transport"] = f"{values.get('transport')!r} is not one of: {', '.join(Transport.values)}."
    if not isinstance(values.get("encrypted_in_transit"), bool):
        errors["encrypted_in_transit"] = "Say whether the ePHI is encrypted in transit (yes or no)."
    if not errors and isinstance(source, Asset) and isinstance(destination, Asset):
        key = (source.pk, destination.pk, ephi.lower())
        own = current is not None and (current.source_id, current.destination_id, current.ephi.lower()) == key
        if key in taken and not own:
            errors["ephi"] = f"A flow of {ephi!r} from {source.name} to {destination.name} already exists."
    return errors


def flow_keys(organization: Organization) -> set[tuple[int, int, str]]:
    rows = DataFlow.objects.filter(organization=organization).values_list("source_id", "destination_id", "ephi")
    return {(source, destination, ephi.lower()) for source, destination, ephi in rows}


def flow_create(
    *,
    organization: Organization,
    actor: Actor,
    source: Asset,
    destination: Asset,
    ephi: str,
    transport: str,
    encrypted_in_transit: bool,
    notes: str = "",
    taken: set[tuple[int, int, str]] | None = None,
) -> DataFlow:
    values = {
        "source": source,
        "destination": destination,
        "ephi": ephi.strip(),
        "transport": transport,
        "encrypted_in_transit": encrypted_in_transit,
        "notes": notes,
    }
    taken = flow_keys(organization) if taken is None else taken
    ServiceError.raise_first(flow_errors(values, organization, taken=taken))
    with transaction.atomic():
        flow = DataFlow.objects.create(organization=organization, **values)
        taken.add((source.pk, destination.pk, flow.ephi.lower()))
        audit_record(
            actor=actor,
            action="risk.flow.created",
            organization=organization,
            target=flow,
            changes={key: [None, value] for key, value in snapshot(flow, EDITABLE_FIELDS).items()},
        )
    return flow


def flow_update(
    *,
    organization: Organization,
    actor: Actor,
    flow: DataFlow,
    taken: set[tuple[int, int, str]] | None = None,
    **values: Any,
) -> DataFlow:
    """Change a flow. An import passes `taken`, its running set of flow keys, instead of reloading them per row."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if isinstance(values.get("ephi"), str):
        values["ephi"] = values["ephi"].strip()
    merged = {name: getattr(flow, name) for name in EDITABLE_FIELDS} | values
    taken = flow_keys(organization) if taken is None else taken
    ServiceError.raise_first(flow_errors(merged, organization, taken=taken, current=flow))
    with transaction.atomic():
        locked = DataFlow.objects.select_for_update().get(pk=flow.pk, organization=organization)
        before = snapshot(locked, EDITABLE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        changes = field_changes(before, snapshot(locked, EDITABLE_FIELDS))
        if not changes:
            return locked
        locked.updated_at = timezone.now()
        locked.save()
        taken.discard((before["source"].pk, before["destination"].pk, str(before["ephi"]).lower()))
        taken.add((locked.source_id, locked.destination_id, locked.ephi.lower()))
        audit_record(actor=actor, action="risk.flow.updated", organization=organization, target=locked, changes=changes)
    return locked


def flow_delete(*, organization: Organization, actor: Actor, flow: DataFlow) -> None:
    """A flow that no longer exists is removed; the audit trail keeps what it was."""
    with transaction.atomic():
        deleted, _ = DataFlow.objects.filter(pk=flow.pk, organization=organization).delete()
        if not deleted:
            raise ServiceError("This data flow no longer exists.")
        audit_record(
            actor=actor,
            action="risk.flow.deleted",
            organization=organization,
            object_type="risk.dataflow",
            object_id=str(flow.public_id),
            object_repr=str(flow),
            changes={key: [value, None] for key, value in snapshot(flow, EDITABLE_FIELDS).items()},
        )
