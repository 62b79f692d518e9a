"""Emergency-mode activations: the record of a plan being invoked, from start to end, with the systems affected,
the decisions taken (who, when, what) and links to the incident and the break-glass uses of the time.

Activations are kept, never deleted: an activation recorded by mistake is corrected, not removed.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.access.models import BreakGlassActivation
from safeguard.contingency.models import EmergencyActivation, PlanVersion
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import EARLIEST
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.incidents.models import Incident
from safeguard.risk.models import Asset

SCALAR_FIELDS = ("title", "reason", "started_at", "ended_at", "plan_version", "incident")
SET_FIELDS = ("assets", "break_glass")
FIELDS = (*SCALAR_FIELDS, *SET_FIELDS)
TITLE_MAX = 200
DECISION_MAX = 5000


def _check_times(started_at: datetime, ended_at: datetime | None) -> None:
    now = timezone.now()
    if started_at.date() < EARLIEST or started_at > now:
        raise ServiceError("The start must be a past moment.", field="started_at")
    if ended_at is not None:
        if ended_at < started_at:
            raise ServiceError("The end cannot come before the start.", field="ended_at")
        if ended_at > now:
            raise ServiceError("The end cannot be in the future: close the activation when it ends.", field="ended_at")


def _check_text(values: dict[str, Any]) -> None:
    if "title" in values:
        values["title"] = values["title"].strip()
        if not values["title"]:
            raise ServiceError("Give the activation a title, e.g. “EHR outage”.", field="title")
        if len(values["title"]) > TITLE_MAX:
            raise ServiceError(f"The title is longer than {TITLE_MAX} characters.", field="title")
    if "reason" in values:
        values["reason"] = values["reason"].strip()
        if not values["reason"]:
            raise ServiceError("Say why the plan was invoked.", field="reason")


def _check_links(organization: Organization, values: dict[str, Any]) -> None:
    version: PlanVersion | None = values.get("plan_version")
    if version is not None:
        if version.organization_id != organization.pk:
            raise ServiceError("No such plan version in this organization.", field="plan_version")
        if version.status == PlanVersion.Status.DRAFT:
            raise ServiceError("A draft was never in force: invoke an approved version.", field="plan_version")
    incident: Incident | None = values.get("incident")
    if incident is not None and incident.organization_id != organization.pk:
        raise ServiceError("No such incident in this organization.", field="incident")
    assets: Iterable[Asset] = values.get("assets") or ()
    if any(asset.organization_id != organization.pk for asset in assets):
        raise ServiceError("No such asset in this organization.", field="assets")
    uses: Iterable[BreakGlassActivation] = values.get("break_glass") or ()
    if any(use.organization_id != organization.pk for use in uses):
        raise ServiceError("No such break-glass use in this organization.", field="break_glass")


def _set_summary(activation: EmergencyActivation) -> dict[str, list[str]]:
    return {
        "assets": sorted(activation.assets.values_list("name", flat=True), key=str.lower),
        "break_glass": sorted(
            str(public_id) for public_id in activation.break_glass.values_list("public_id", flat=True)
        ),
    }


def activation_create(
    *,
    organization: Organization,
    actor: Actor,
    title: str,
    reason: str,
    started_at: datetime,
    assets: Iterable[Asset],
    ended_at: datetime | None = None,
    plan_version: PlanVersion | None = None,
    incident: Incident | None = None,
    break_glass: Iterable[BreakGlassActivation] = (),
) -> EmergencyActivation:
    if actor.user is None:
        raise ServiceError("Only a person can record an activation.")
    values: dict[str, Any] = {
        "title": title,
        "reason": reason,
        "plan_version": plan_version,
        "incident": incident,
        "assets": list(assets),
        "break_glass": list(break_glass),
    }
    _check_text(values)
    _check_times(started_at, ended_at)
    _check_links(organization, values)
    if not values["assets"]:
        raise ServiceError("Name the systems affected.", field="assets")
    with transaction.atomic():
        activation = EmergencyActivation.objects.create(
            organization=organization,
            title=values["title"],
            reason=values["reason"],
            started_at=started_at,
            ended_at=ended_at,
            plan_version=plan_version,
            incident=incident,
            recorded_by=actor.user,
        )
        activation.assets.set(values["assets"])
        activation.break_glass.set(values["break_glass"])
        recorded = {**snapshot(activation, SCALAR_FIELDS), **_set_summary(activation)}
        audit_record(
            actor=actor,
            action="contingency.activation.recorded",
            organization=organization,
            target=activation,
            changes={name: [None, value] for name, value in recorded.items() if value not in (None, [])},
        )
    return activation


def _locked(organization: Organization, activation: EmergencyActivation) -> EmergencyActivation:
    return EmergencyActivation.objects.select_for_update(of=("self",)).get(pk=activation.pk, organization=organization)


def activation_update(
    *, organization: Organization, actor: Actor, activation: EmergencyActivation, **values: Any
) -> EmergencyActivation:
    """Correct or complete an activation: any of its fields, including the end (None reopens it)."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    for name in SET_FIELDS:
        if name in values:
            values[name] = list(values[name])
    _check_text(values)
    _check_links(organization, values)
    if "assets" in values and not values["assets"]:
        raise ServiceError("Name the systems affected.", field="assets")
    with transaction.atomic():
        locked = _locked(organization, activation)
        _check_times(values.get("started_at", locked.started_at), values.get("ended_at", locked.ended_at))
        scalars = [name for name in SCALAR_FIELDS if name in values]
        before = {**snapshot(locked, scalars), **_set_summary(locked)}
        for name in scalars:
            setattr(locked, name, values[name])
        for name in SET_FIELDS:
            if name in values:
                getattr(locked, name).set(values[name])
        changes = field_changes(before, {**snapshot(locked, scalars), **_set_summary(locked)})
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(
                actor=actor,
                action="contingency.activation.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
    return locked


def activation_close(
    *, organization: Organization, actor: Actor, activation: EmergencyActivation, ended_at: datetime
) -> EmergencyActivation:
    if activation.ended_at is not None:
        raise ServiceError(f"The activation already ended at {timezone.localtime(activation.ended_at):%Y-%m-%d %H:%M}.")
    return activation_update(organization=organization, actor=actor, activation=activation, ended_at=ended_at)


def activation_decision_add(
    *, organization: Organization, actor: Actor, activation: EmergencyActivation, decision: str, at: datetime | None
) -> EmergencyActivation:
    """Append a decision to the log: when it was taken, by whom (the person recording it), what was decided."""
    if actor.user is None:
        raise ServiceError("Only a person can record a decision.")
    decision = decision.strip()
    if not decision:
        raise ServiceError("Write the decision.", field="decision")
    if len(decision) > DECISION_MAX:
        raise ServiceError(f"The decision is longer than {DECISION_MAX} characters.", field="decision")
    at = at or timezone.now()
    with transaction.atomic():
        locked = _locked(organization, activation)
        if at < locked.started_at or at > timezone.now():
            raise ServiceError("A decision is taken between the start of the activation and now.", field="at")
        # Stored in UTC so that the log sorts by time whatever zone each entry was given in.
        entry = {"at": at.astimezone(UTC).isoformat(), "by": actor.user.email, "decision": decision}
        locked.decisions = sorted([*locked.decisions, entry], key=lambda row: row["at"])
        locked.updated_at = timezone.now()
        locked.save(update_fields=["decisions", "updated_at"])
        audit_record(
            actor=actor,
            action="contingency.activation.decision_added",
            organization=organization,
            target=locked,
            changes={"decision": [None, entry]},
        )
    return locked
