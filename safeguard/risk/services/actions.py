"""Mitigation actions: the work that brings a risk down, each with an owner, a due date and proof when done.

An action closes only with evidence. One still open past its due date becomes an obligation (the daily chore
below), so the usual reminders and escalation to owners and security officials take over from there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.chores import daily_chore
from safeguard.core.dates import DateRange, date_range
from safeguard.core.models import Evidence, Membership, Obligation, Organization
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.core.services.evidence import evidence_link, evidence_upload
from safeguard.core.services.obligations import (
    obligation_cancel,
    obligation_complete,
    obligation_create,
    obligation_update,
)
from safeguard.risk.models import MitigationAction, Risk
from safeguard.risk.queries import program_lead
from safeguard.risk.services.treatment import OPEN_ACTION_STATUSES, check_owner

EDITABLE_FIELDS = ("title", "owner", "due_on", "acceptance_criteria", "status")
OWNER_MAY_CHANGE = {"status"}
DUE_YEARS_AHEAD = 5
RISK_MANAGEMENT = "164.308(a)(1)(ii)(B)"
EVIDENCE_TARGET_TYPE = "risk.mitigationaction"
NEEDS_EVIDENCE = "Closing an action requires evidence: attach a file or choose existing evidence."
SYSTEM = Actor.system("risk")

Status = MitigationAction.Status


def _due_range(today: date) -> DateRange:
    return date_range(today, years_ahead=DUE_YEARS_AHEAD, earliest=today)


def _manages(organization: Organization, actor: Actor) -> bool:
    if actor.user is None:
        return False
    membership = Membership.objects.current().filter(organization=organization, user=actor.user).first()
    return membership is not None and membership.has(Perm.MANAGE_PROGRAM)


def _may_work_on(organization: Organization, actor: Actor, action: MitigationAction) -> bool:
    """The program's managers, or the action's owner while a current member who may act (not an auditor)."""
    if _manages(organization, actor):
        return True
    if actor.user is None or action.owner_id != actor.user.pk:
        return False
    try:
        check_owner(organization, actor.user)
    except ServiceError:
        return False
    return True


def _validate(values: dict[str, Any]) -> None:
    if not str(values["title"]).strip():
        raise ServiceError("Give the action a title.", field="title")
    if len(str(values["title"]).strip()) > 200:
        raise ServiceError("The title is longer than 200 characters.", field="title")
    if not str(values["acceptance_criteria"]).strip():
        raise ServiceError(
            "Say what must be true, and shown, for the action to count as done.", field="acceptance_criteria"
        )


def action_create(
    *,
    organization: Organization,
    actor: Actor,
    risk: Risk,
    title: str,
    owner: Any,
    due_on: date,
    acceptance_criteria: str,
    today: date | None = None,
) -> MitigationAction:
    today = today or timezone.localdate()
    _validate({"title": title, "acceptance_criteria": acceptance_criteria})
    check_owner(organization, owner)
    allowed = _due_range(today)
    if due_on not in allowed:
        raise ServiceError(f"The due date must be {allowed.describe()}.", field="due_on")
    with transaction.atomic():
        locked = Risk.objects.select_for_update().get(pk=risk.pk, organization=organization)
        if locked.status != Risk.Status.OPEN:
            raise ServiceError(f"{locked.reference} is closed; reopen it before adding actions.")
        action = MitigationAction.objects.create(
            organization=organization,
            risk=locked,
            title=title.strip(),
            owner=owner,
            due_on=due_on,
            acceptance_criteria=acceptance_criteria.strip(),
        )
        audit_record(
            actor=actor,
            action="risk.action.created",
            organization=organization,
            target=action,
            changes={
                "risk": [None, locked.reference],
                **{name: [None, value] for name, value in snapshot(action, EDITABLE_FIELDS).items()},
            },
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.action_created"))
    return action


def _lock_open(organization: Organization, action: MitigationAction) -> MitigationAction:
    locked = MitigationAction.objects.select_for_update().get(pk=action.pk, organization=organization)
    if locked.status not in OPEN_ACTION_STATUSES:
        raise ServiceError(f"This action is {locked.get_status_display().lower()}; only an open action can change.")
    return locked


def action_update(
    *, organization: Organization, actor: Actor, action: MitigationAction, today: date | None = None, **values: Any
) -> MitigationAction:
    """Change an open action. Its owner may move it between open and in progress; the rest is for managers."""
    unknown = set(values) - set(EDITABLE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if not _may_work_on(organization, actor, action):
        raise ServiceError("Only the action's owner or the program's managers can change it.")
    if not _manages(organization, actor):
        ruled_out = sorted(
            name for name in values if name not in OWNER_MAY_CHANGE and values[name] != getattr(action, name)
        )
        if ruled_out:
            raise ServiceError(
                "As the action's owner you may change its status; ask the security official to change the rest.",
                field=ruled_out[0],
            )
    if "status" in values and values["status"] not in OPEN_ACTION_STATUSES:
        raise ServiceError(
            "Status here is open or in progress: complete the action with evidence, or cancel it with a reason.",
            field="status",
        )
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _lock_open(organization, action)
        before = snapshot(locked, EDITABLE_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value.strip() if isinstance(value, str) and name != "status" else value)
        _validate(snapshot(locked, EDITABLE_FIELDS))
        changes = field_changes(before, snapshot(locked, EDITABLE_FIELDS))
        if "owner" in changes:
            check_owner(organization, locked.owner)
        if "due_on" in changes:
            allowed = _due_range(today)
            if locked.due_on not in allowed:
                raise ServiceError(f"The due date must be {allowed.describe()}.", field="due_on")
        if changes:
            locked.save()
            audit_record(
                actor=actor, action="risk.action.updated", organization=organization, target=locked, changes=changes
            )
            _follow_obligation(organization, actor, locked, changes, today)
    return locked


def _follow_obligation(
    organization: Organization, actor: Actor, action: MitigationAction, changes: dict[str, Any], today: date
) -> None:
    """An action already escalated as an obligation keeps it in step with its new owner and due date."""
    obligation = action.obligation
    if obligation is None or obligation.status != Obligation.Status.OPEN:
        return
    follow = {name: getattr(action, name) for name in ("owner", "due_on") if name in changes}
    if follow:
        obligation_update(organization=organization, actor=actor, obligation=obligation, today=today, **follow)


def _completion_day(completed_on: date | None, action: MitigationAction, today: date) -> date:
    day = completed_on or today
    earliest = timezone.localdate(action.created_at)
    if not earliest <= day <= today:
        raise ServiceError(
            f"The completion date must be between {earliest:%Y-%m-%d} (when the action was created) and today.",
            field="completed_on",
        )
    return day


def action_complete(
    *,
    organization: Organization,
    actor: Actor,
    action: MitigationAction,
    evidence: Evidence | None = None,
    evidence_file: UploadedFile | None = None,
    note: str = "",
    completed_on: date | None = None,
    today: date | None = None,
) -> MitigationAction:
    """Mark an action done with its proof (existing evidence or a new file), linked to the action; an overdue
    action's obligation is completed with the same proof."""
    today = today or timezone.localdate()
    if evidence is None and evidence_file is None:
        raise ServiceError(NEEDS_EVIDENCE, field="evidence")
    if evidence is not None and evidence_file is not None:
        raise ServiceError("Choose existing evidence or upload a file, not both.", field="evidence_file")
    if evidence is not None and (evidence.organization_id != organization.pk or evidence.is_deleted):
        raise ServiceError("No such evidence in this organization.", field="evidence")
    if actor.user is None:
        raise ServiceError("Only a person can complete an action.")
    if not _may_work_on(organization, actor, action):
        raise ServiceError("Only the action's owner or the program's managers can complete it.")
    with transaction.atomic():
        locked = _lock_open(organization, action)
        day = _completion_day(completed_on, locked, today)
        target = (EVIDENCE_TARGET_TYPE, str(locked.public_id))
        if evidence_file is not None:
            try:
                evidence = evidence_upload(
                    organization=organization,
                    actor=actor,
                    title=f"{locked.title}: done {day:%Y-%m-%d}"[:200],
                    upload=evidence_file,
                    effective_date=day,
                    link_to=target,
                )
            except ServiceError as error:
                raise ServiceError(error.message, field="evidence_file") from None
        elif evidence is not None:
            evidence_link(organization=organization, actor=actor, evidence=evidence, target=target)
        before = snapshot(locked, ("status", "completed_on", "completed_by", "completion_note", "evidence"))
        locked.status, locked.completed_on, locked.completed_by = Status.DONE, day, actor.user
        locked.completion_note, locked.evidence = note.strip(), evidence
        locked.save()
        changes = field_changes(
            before, snapshot(locked, ("status", "completed_on", "completed_by", "completion_note", "evidence"))
        )
        audit_record(
            actor=actor, action="risk.action.completed", organization=organization, target=locked, changes=changes
        )
        obligation = locked.obligation
        if obligation is not None and obligation.status == Obligation.Status.OPEN:
            obligation_complete(
                organization=organization,
                actor=actor,
                obligation=obligation,
                note=f"Risk action completed. {note.strip()}".strip(),
                evidence=evidence,
                today=today,
            )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.action_completed"))
    return locked


def action_cancel(
    *, organization: Organization, actor: Actor, action: MitigationAction, reason: str
) -> MitigationAction:
    """Drop an action that is no longer the right response, saying why; its obligation goes with it."""
    if not reason.strip():
        raise ServiceError("Say why the action is cancelled.", field="reason")
    if not _manages(organization, actor):
        raise ServiceError("Only the program's managers can cancel an action.")
    with transaction.atomic():
        locked = _lock_open(organization, action)
        before = locked.status
        locked.status, locked.completion_note = Status.CANCELLED, reason.strip()
        locked.save(update_fields=["status", "completion_note"])
        audit_record(
            actor=actor,
            action="risk.action.cancelled",
            organization=organization,
            target=locked,
            changes={"status": [before, Status.CANCELLED], "reason": [None, locked.completion_note]},
        )
        obligation = locked.obligation
        if obligation is not None and obligation.status == Obligation.Status.OPEN:
            obligation_cancel(organization=organization, actor=actor, obligation=obligation)
        transaction.on_commit(lambda: request_evaluation(organization, "risk.action_cancelled"))
    return locked


# ---- overdue actions become obligations ------------------------------------------------------------------------


def _overdue_obligation(action: MitigationAction, today: date) -> tuple[Obligation | None, str]:
    """Raise the obligation for one overdue action, owned by its owner (or the program lead if they left)."""
    owner, note = action.owner, ""
    try:
        check_owner(action.organization, owner)
    except ServiceError:
        lead = program_lead(action.organization, today)
        if lead is None:
            return None, "its owner has left and there is no security official or owner to take it"
        owner, note = lead, f"; its owner has left, so {lead.email} owns it"
    obligation = obligation_create(
        organization=action.organization,
        actor=SYSTEM,
        title=f"Overdue risk action: {action.title}"[:200],
        description=(
            f"{action.risk.reference} {action.risk.title}. The mitigation action “{action.title}” was due on "
            f"{action.due_on:%Y-%m-%d}. Done when: {action.acceptance_criteria}"
        ),
        citation=RISK_MANAGEMENT,
        owner=owner,
        due_on=action.due_on,
        source="risk.action",
        remind_days_before=0,
        today=today,
    )
    return obligation, note


@daily_chore("risk.overdue_actions")
def escalate_overdue_actions(today: date, dry_run: bool) -> list[str]:
    """Every open action past its due date and not yet an obligation becomes one (idempotent)."""
    overdue = (
        MitigationAction.objects.filter(status__in=OPEN_ACTION_STATUSES, due_on__lt=today, obligation__isnull=True)
        .select_related("organization", "risk", "owner")
        .order_by("organization__slug", "due_on", "pk")
    )
    lines = []
    for action in overdue:
        where = f"{action.organization.slug}: {action.risk.reference} “{action.title}” (due {action.due_on:%Y-%m-%d})"
        if dry_run:
            lines.append(f"{where} would become an obligation")
            continue
        with transaction.atomic():
            # Another run may have got here first: the row lock and the re-check keep it to one obligation.
            locked = MitigationAction.objects.select_for_update().filter(pk=action.pk, obligation__isnull=True).first()
            if locked is None:
                continue
            obligation, note = _overdue_obligation(action, today)
            if obligation is None:
                lines.append(f"{where} is overdue but {note}")
                continue
            locked.obligation = obligation
            locked.save(update_fields=["obligation"])
            audit_record(
                actor=SYSTEM,
                action="risk.action.overdue",
                organization=action.organization,
                target=locked,
                changes={"obligation": [None, str(obligation.public_id)]},
            )
        lines.append(f"{where} became an obligation{note}")
    return lines
