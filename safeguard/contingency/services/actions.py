"""Corrective actions of contingency planning: what a missed restore test, an exercise's lessons or an emergency
activation require doing, with an owner and a due date. Done needs a note saying what was done (evidence is
optional); cancelled needs a reason. Every change is audited in its transaction."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction, EmergencyActivation, Exercise, RestoreTest
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import date_range
from safeguard.core.models import Evidence, Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.evidence import evidence_upload
from safeguard.risk.models import Asset, Risk

Status = CorrectiveAction.Status
Origin = CorrectiveAction.Origin
OPEN_STATUSES = (Status.OPEN, Status.IN_PROGRESS)
EDITABLE_FIELDS = ("title", "description", "owner", "due_on", "status", "risk")
TITLE_MAX = 200
DUE_YEARS_AHEAD = 5


# Auditors only read, so they cannot own a corrective action.
ROLES_WITHOUT_ACTIONS = (Role.AUDITOR,)


def may_own_actions(role: str) -> bool:
    """Whether a current member in this role may own a corrective action."""
    return role not in ROLES_WITHOUT_ACTIONS


def action_owner_choices(organization: Organization) -> QuerySet[User]:
    """The members who may own a corrective action, for the forms' owner lists."""
    members = Membership.objects.current().filter(organization=organization).exclude(role__in=ROLES_WITHOUT_ACTIONS)
    return User.objects.filter(pk__in=members.values("user_id")).order_by("email")


def check_action_owner(organization: Organization, owner: User | None, *, field: str = "owner") -> User:
    """An owner is a current member who can act: auditors only read."""
    if owner is None:
        raise ServiceError("Choose an owner.", field=field)
    membership = Membership.objects.current().filter(organization=organization, user=owner).first()
    if membership is None:
        raise ServiceError("The owner must be a current member of this organization.", field=field)
    if not may_own_actions(membership.role):
        raise ServiceError("An auditor cannot own a corrective action: auditors have read-only access.", field=field)
    return owner


def _check_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ServiceError(
            "Give the action a title, e.g. “Move the EHR backup to a faster restore tier”.", field="title"
        )
    if len(title) > TITLE_MAX:
        raise ServiceError(f"A title has at most {TITLE_MAX} characters.", field="title")
    return title


def _check_due(due_on: date | None, today: date) -> date:
    if due_on is None:
        raise ServiceError("Give the action a due date.", field="due_on")
    allowed = date_range(today, years_ahead=DUE_YEARS_AHEAD, earliest=today)
    if due_on not in allowed:
        raise ServiceError(f"The due date must be {allowed.describe()}.", field="due_on")
    return due_on


def _check_same_org(organization: Organization, record: Any, field: str, what: str) -> None:
    if record is not None and record.organization_id != organization.pk:
        raise ServiceError(f"No such {what} in this organization.", field=field)


def _check_links(
    organization: Organization,
    *,
    restore_test: RestoreTest | None,
    exercise: Exercise | None,
    activation: EmergencyActivation | None,
    asset: Asset | None,
    risk: Risk | None,
) -> None:
    _check_same_org(organization, restore_test, "restore_test", "restore test")
    _check_same_org(organization, exercise, "exercise", "exercise")
    _check_same_org(organization, activation, "activation", "emergency activation")
    _check_same_org(organization, asset, "asset", "asset")
    _check_same_org(organization, risk, "risk", "risk in the risk register")


def corrective_action_create(
    *,
    organization: Organization,
    actor: Actor,
    origin: str,
    title: str,
    owner: User | None,
    due_on: date,
    description: str = "",
    restore_test: RestoreTest | None = None,
    exercise: Exercise | None = None,
    activation: EmergencyActivation | None = None,
    asset: Asset | None = None,
    risk: Risk | None = None,
    today: date | None = None,
) -> CorrectiveAction:
    today = today or timezone.localdate()
    if origin not in Origin.values:
        raise ServiceError(f"Choose where the action comes from: {', '.join(Origin.values)}.", field="origin")
    title = _check_title(title)
    checked_owner = check_action_owner(organization, owner)
    _check_due(due_on, today)
    _check_links(
        organization, restore_test=restore_test, exercise=exercise, activation=activation, asset=asset, risk=risk
    )
    if asset is None and restore_test is not None:
        asset = restore_test.asset
    now = timezone.now()
    with transaction.atomic():
        action = CorrectiveAction.objects.create(
            organization=organization,
            origin=origin,
            restore_test=restore_test,
            exercise=exercise,
            activation=activation,
            asset=asset,
            risk=risk,
            title=title,
            description=description.strip(),
            owner=checked_owner,
            due_on=due_on,
            created_by=actor.user,
            created_at=now,
            updated_at=now,
        )
        links = {"restore_test": restore_test, "exercise": exercise, "activation": activation, "asset": asset}
        audit_record(
            actor=actor,
            action="contingency.action.created",
            organization=organization,
            target=action,
            changes={
                "origin": [None, origin],
                **{name: [None, value] for name, value in snapshot(action, EDITABLE_FIELDS).items()},
                **{name: [None, value] for name, value in links.items() if value is not None},
            },
        )
        request_evaluation_on_commit(organization, "contingency.action_created")
    return action


def _lock_open(organization: Organization, action: CorrectiveAction) -> CorrectiveAction:
    locked = CorrectiveAction.objects.select_for_update().get(pk=action.pk, organization=organization)
    if locked.status not in OPEN_STATUSES:
        raise ServiceError(f"This action is {locked.get_status_display().lower()}; only an open action can change.")
    return locked


def corrective_action_update(
    *,
    organization: Organization,
    actor: Actor,
    action: CorrectiveAction,
    today: date | None = None,
    **values: Any,
) -> CorrectiveAction:
    """Change an open action: its title, description, owner, due date, risk link, or open ↔ in progress."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"These cannot be changed: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0])
    if "status" in values and values["status"] not in OPEN_STATUSES:
        raise ServiceError(
            "Status here is open or in progress: complete the action with a note, or cancel it with a reason.",
            field="status",
        )
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_open(organization, action)
        before = snapshot(locked, EDITABLE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.title = _check_title(locked.title)
        locked.description = locked.description.strip()
        changes = field_changes(before, snapshot(locked, EDITABLE_FIELDS))
        if "owner" in changes:
            check_action_owner(organization, locked.owner)
        if "due_on" in changes:
            _check_due(locked.due_on, today)
        if "risk" in changes:
            _check_same_org(organization, locked.risk, "risk", "risk in the risk register")
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(
                actor=actor,
                action="contingency.action.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
            request_evaluation_on_commit(organization, "contingency.action_updated")
    return locked


def corrective_action_complete(
    *,
    organization: Organization,
    actor: Actor,
    action: CorrectiveAction,
    note: str,
    evidence: Evidence | None = None,
    evidence_file: UploadedFile | None = None,
    completed_on: date | None = None,
    today: date | None = None,
) -> CorrectiveAction:
    """Mark an action done, saying what was done; proof (existing evidence or a new file) is optional."""
    today = today or timezone.localdate()
    if not note.strip():
        raise ServiceError("Say what was done to complete the action.", field="note")
    if evidence is not None and evidence_file is not None:
        raise ServiceError("Choose existing evidence or upload a file, not both.", field="evidence_file")
    if evidence is not None and (evidence.organization_id != organization.pk or evidence.is_deleted):
        raise ServiceError("No such evidence in this organization.", field="evidence")
    if actor.user is None:
        raise ServiceError("Only a person can complete an action.")
    with transaction.atomic():
        locked = _lock_open(organization, action)
        day = completed_on or today
        earliest = timezone.localdate(locked.created_at)
        if not earliest <= day <= today:
            raise ServiceError(
                f"The completion date must be between {earliest:%Y-%m-%d} (when the action was created) and today.",
                field="completed_on",
            )
        if evidence_file is not None:
            try:
                evidence = evidence_upload(
                    organization=organization,
                    actor=actor,
                    title=f"{locked.title}: done {day:%Y-%m-%d}"[:200],
                    upload=evidence_file,
                    effective_date=day,
                )
            except ServiceError as error:
                raise ServiceError(error.message, field="evidence_file") from None
        fields = ("status", "completed_on", "completed_by", "completion_note", "evidence")
        before = snapshot(locked, fields)
        locked.status, locked.completed_on, locked.completed_by = Status.DONE, day, actor.user
        locked.completion_note, locked.evidence = note.strip(), evidence
        locked.updated_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action="contingency.action.completed",
            organization=organization,
            target=locked,
            changes=field_changes(before, snapshot(locked, fields)),
        )
        request_evaluation_on_commit(organization, "contingency.action_completed")
    return locked


def corrective_action_cancel(
    *, organization: Organization, actor: Actor, action: CorrectiveAction, reason: str
) -> CorrectiveAction:
    """Drop an action that is no longer the right response, saying why."""
    if not reason.strip():
        raise ServiceError("Say why the action is cancelled.", field="reason")
    with transaction.atomic():
        locked = _lock_open(organization, action)
        before = locked.status
        locked.status, locked.completion_note = Status.CANCELLED, reason.strip()
        locked.updated_at = timezone.now()
        locked.save(update_fields=["status", "completion_note", "updated_at"])
        audit_record(
            actor=actor,
            action="contingency.action.cancelled",
            organization=organization,
            target=locked,
            changes={"status": [before, Status.CANCELLED], "reason": [None, locked.completion_note]},
        )
        request_evaluation_on_commit(organization, "contingency.action_cancelled")
    return locked
