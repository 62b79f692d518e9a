"""Obligations: recurring duties. Completing one records the completion and schedules the next occurrence."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import add_months
from safeguard.core.models import Evidence, Membership, Obligation, ObligationCompletion, Organization, User
from safeguard.core.models.obligations import CADENCE_MONTHS, Cadence
from safeguard.core.services.errors import ServiceError

EDITABLE_FIELDS = ("title", "description", "citation", "cadence", "owner", "due_on", "remind_days_before")


def next_due(due_on: date, cadence: str) -> date | None:
    months = CADENCE_MONTHS.get(Cadence(cadence))
    return add_months(due_on, months) if months else None


def _validate(organization: Organization, *, title: str, citation: str, cadence: str, owner: User) -> None:
    if not title.strip():
        raise ServiceError("Give the obligation a title.", field="title")
    if cadence not in Cadence.values:
        raise ServiceError(f"Cadence must be one of: {', '.join(Cadence.values)}.", field="cadence")
    if citation and not Requirement.objects.filter(citation=citation).exists():
        raise ServiceError(f"Unknown citation {citation!r}: it is not in the catalog.", field="citation")
    if not Membership.objects.current().filter(organization=organization, user=owner).exists():
        raise ServiceError("The owner must be a current member of this organization.", field="owner")


def obligation_create(
    *,
    organization: Organization,
    actor: Actor,
    title: str,
    owner: User,
    due_on: date,
    cadence: str = Cadence.ONCE,
    citation: str = "",
    description: str = "",
    remind_days_before: int = 14,
    source: str = "user",
) -> Obligation:
    _validate(organization, title=title, citation=citation, cadence=cadence, owner=owner)
    with transaction.atomic():
        obligation = Obligation.objects.create(
            organization=organization,
            title=title.strip(),
            description=description,
            citation=citation,
            cadence=cadence,
            owner=owner,
            due_on=due_on,
            remind_days_before=remind_days_before,
            source=source,
        )
        audit_record(
            actor=actor,
            action="obligation.created",
            organization=organization,
            target=obligation,
            changes={name: [None, value] for name, value in snapshot(obligation, EDITABLE_FIELDS).items()},
        )
    return obligation


def obligation_update(
    *, organization: Organization, actor: Actor, obligation: Obligation, **values: object
) -> Obligation:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk, organization=organization)
        before = snapshot(locked, EDITABLE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        _validate(
            organization, title=locked.title, citation=locked.citation, cadence=locked.cadence, owner=locked.owner
        )
        changes = field_changes(before, snapshot(locked, EDITABLE_FIELDS))
        if changes:
            locked.last_reminded_on = None if "due_on" in changes else locked.last_reminded_on
            locked.save()
            audit_record(
                actor=actor, action="obligation.updated", organization=organization, target=locked, changes=changes
            )
    return locked


def obligation_complete(
    *,
    organization: Organization,
    actor: Actor,
    obligation: Obligation,
    note: str = "",
    evidence: Evidence | None = None,
    today: date | None = None,
) -> ObligationCompletion:
    """Record completion. A recurring duty moves to its next due date (from the due date, not from today)."""
    today = today or timezone.localdate()
    if actor.user is None:
        raise ServiceError("Only a person can complete an obligation.")
    if evidence is not None and evidence.organization_id != organization.pk:
        raise ServiceError("That evidence belongs to another organization.", field="evidence")
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk, organization=organization)
        if locked.status != Obligation.Status.OPEN:
            raise ServiceError(f"This obligation is {locked.get_status_display().lower()}, not open.")
        completion = ObligationCompletion.objects.create(
            obligation=locked,
            due_on=locked.due_on,
            completed_on=today,
            completed_by=actor.user,
            note=note,
            evidence=evidence,
        )
        following = next_due(locked.due_on, locked.cadence)
        while following is not None and following <= today:
            # A duty done late still falls due on its own rhythm, never in the past.
            following = next_due(following, locked.cadence)
        before = {"status": locked.status, "due_on": locked.due_on}
        if following is None:
            locked.status = Obligation.Status.DONE
        else:
            locked.due_on = following
        locked.last_reminded_on = None
        locked.escalated_on = None
        locked.save()
        audit_record(
            actor=actor,
            action="obligation.completed",
            organization=organization,
            target=locked,
            changes={
                **field_changes(before, {"status": locked.status, "due_on": locked.due_on}),
                "completed_on": [None, today],
                "evidence": [None, evidence],
            },
        )
    return completion


def obligation_cancel(*, organization: Organization, actor: Actor, obligation: Obligation) -> None:
    with transaction.atomic():
        updated = Obligation.objects.filter(
            pk=obligation.pk, organization=organization, status=Obligation.Status.OPEN
        ).update(status=Obligation.Status.CANCELLED)
        if not updated:
            raise ServiceError("Only an open obligation can be cancelled.")
        audit_record(
            actor=actor,
            action="obligation.cancelled",
            organization=organization,
            target=obligation,
            changes={"status": [Obligation.Status.OPEN, Obligation.Status.CANCELLED]},
        )
