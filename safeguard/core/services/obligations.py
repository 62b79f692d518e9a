"""Obligations: recurring duties. Completing one records the completion and schedules the next occurrence."""

from __future__ import annotations

from datetime import date

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import add_months, can_add_months, date_range
from safeguard.core.models import Evidence, Membership, Obligation, ObligationCompletion, Organization, User
from safeguard.core.models.obligations import CADENCE_MONTHS, Cadence
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_link, evidence_upload

EDITABLE_FIELDS = ("title", "description", "citation", "cadence", "owner", "due_on", "remind_days_before")
MAX_REMIND_DAYS = 365
DUE_YEARS_AHEAD = 10  # how far ahead a person may set a due date
EVIDENCE_TARGET_TYPE = "core.obligation"


def next_due(due_on: date, cadence: str) -> date | None:
    months = CADENCE_MONTHS.get(Cadence(cadence))
    return add_months(due_on, months) if months else None


def _can_follow(due_on: date, cadence: str) -> bool:
    """Whether the occurrence after `due_on` falls on a real date (not past 9999-12-31)."""
    return can_add_months(due_on, CADENCE_MONTHS.get(Cadence(cadence), 0))


def _check_due_on(due_on: object, today: date) -> None:
    allowed = date_range(today, years_ahead=DUE_YEARS_AHEAD)
    if due_on not in allowed:
        raise ServiceError(f"The due date must be {allowed.describe()}.", field="due_on")


def _validate(
    organization: Organization, *, title: str, citation: str, cadence: str, owner: User, remind_days_before: int
) -> None:
    if not title.strip():
        raise ServiceError("Give the obligation a title.", field="title")
    if cadence not in Cadence.values:
        raise ServiceError(f"Cadence must be one of: {', '.join(Cadence.values)}.", field="cadence")
    if citation and not Requirement.objects.filter(citation=citation).exists():
        raise ServiceError(f"Unknown citation {citation!r}: it is not in the catalog.", field="citation")
    if not 0 <= remind_days_before <= MAX_REMIND_DAYS:
        raise ServiceError(
            f"Reminders start between 0 and {MAX_REMIND_DAYS} days before the due date.", field="remind_days_before"
        )
    membership = Membership.objects.current().filter(organization=organization, user=owner).first()
    if membership is None:
        raise ServiceError("The owner must be a current member of this organization.", field="owner")
    if membership.role == Role.AUDITOR:
        # Auditors have read-only access: nobody but a manager could ever complete the duty.
        raise ServiceError("An auditor cannot own an obligation: auditors have read-only access.", field="owner")


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
    today: date | None = None,
) -> Obligation:
    _check_due_on(due_on, today or timezone.localdate())
    _validate(
        organization,
        title=title,
        citation=citation,
        cadence=cadence,
        owner=owner,
        remind_days_before=remind_days_before,
    )
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
    *, organization: Organization, actor: Actor, obligation: Obligation, today: date | None = None, **values: object
) -> Obligation:
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk, organization=organization)
        if locked.status != Obligation.Status.OPEN:
            status = locked.get_status_display().lower()
            raise ServiceError(f"This obligation is {status}; only an open obligation can be edited.")
        before = snapshot(locked, EDITABLE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value.strip() if name == "title" and isinstance(value, str) else value)
        _validate(
            organization,
            title=locked.title,
            citation=locked.citation,
            cadence=locked.cadence,
            owner=locked.owner,
            remind_days_before=locked.remind_days_before,
        )
        changes = field_changes(before, snapshot(locked, EDITABLE_FIELDS))
        if "due_on" in changes:
            _check_due_on(locked.due_on, today or timezone.localdate())
        if changes:
            if "due_on" in changes:
                # A new due date starts the reminder and escalation cycle afresh.
                locked.last_reminded_on = None
                locked.escalated_on = None
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
    evidence_file: UploadedFile | None = None,
    due_on: date | None = None,
    today: date | None = None,
) -> ObligationCompletion:
    """Record completion. A recurring duty moves to its next due date (from the due date, not from today).

    `due_on` names the occurrence being completed, as the person saw it: a second submission of the same
    completion (a double click, a retried request) no longer matches the moved-on duty and is refused.
    Proof may be existing evidence or a new file (stored as evidence); either is linked to the obligation.
    """
    today = today or timezone.localdate()
    if actor.user is None:
        raise ServiceError("Only a person can complete an obligation.")
    if evidence is not None and evidence_file is not None:
        raise ServiceError("Pick existing evidence or upload a file, not both.", field="evidence_file")
    if evidence is not None and evidence.organization_id != organization.pk:
        raise ServiceError("That evidence belongs to another organization.", field="evidence")
    if evidence is not None and evidence.is_deleted:
        raise ServiceError("That evidence was deleted.", field="evidence")
    with transaction.atomic():
        locked = Obligation.objects.select_for_update().get(pk=obligation.pk, organization=organization)
        _check_occurrence(locked, due_on)
        evidence = _completion_evidence(organization, actor, locked, evidence, evidence_file, today)
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


def _check_occurrence(locked: Obligation, due_on: date | None) -> None:
    """Refuse a completion of anything but the open occurrence the person saw (`due_on`, when given)."""
    moved_on = due_on != locked.due_on or locked.status != Obligation.Status.OPEN
    if due_on is not None and moved_on and locked.completions.filter(due_on=due_on).exists():
        now = (
            f"the duty is now due on {locked.due_on:%Y-%m-%d}"
            if locked.status == Obligation.Status.OPEN
            else f"the obligation is {locked.get_status_display().lower()}"
        )
        raise ServiceError(f"This occurrence was already completed; {now}.", field="due_on")
    if locked.status != Obligation.Status.OPEN:
        raise ServiceError(f"This obligation is {locked.get_status_display().lower()}, not open.")
    if due_on is not None and due_on != locked.due_on:
        raise ServiceError(
            f"The due date changed to {locked.due_on:%Y-%m-%d} since you opened this page; check it and submit again.",
            field="due_on",
        )
    if not _can_follow(locked.due_on, locked.cadence):
        raise ServiceError(
            f"The due date {locked.due_on:%Y-%m-%d} is too far ahead to schedule the next occurrence; "
            "correct it before recording a completion."
        )


def _completion_evidence(
    organization: Organization,
    actor: Actor,
    obligation: Obligation,
    evidence: Evidence | None,
    evidence_file: UploadedFile | None,
    today: date,
) -> Evidence | None:
    target = (EVIDENCE_TARGET_TYPE, str(obligation.public_id))
    if evidence_file is not None:
        try:
            return evidence_upload(
                organization=organization,
                actor=actor,
                title=f"{obligation.title}: completed {today:%Y-%m-%d}"[:200],
                upload=evidence_file,
                effective_date=today,
                link_to=target,
            )
        except ServiceError as error:
            raise ServiceError(error.message, field="evidence_file") from None
    if evidence is not None:
        evidence_link(organization=organization, actor=actor, evidence=evidence, target=target)
    return evidence


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
