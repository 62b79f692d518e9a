"""Daily chores of contingency planning: overdue corrective actions and restore tests coming due become
obligations, so the usual reminders and escalation to owners and security officials take over from there.

A corrective action has no obligation field, so each obligation names what it follows in its `source`
("contingency.action:<action id>", "contingency.restore_test:<asset id>"): the chores find it by that key, keep
at most one open per action or asset, and withdraw (cancel) it once the duty is gone: the action closed or was
rescheduled, a restore test was recorded, the asset left tiers 1–2. Withdrawn rather than completed because a
completion records a person, and the work itself is recorded on the action or the restore test.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db import transaction
from django.db.models import Q

from safeguard.contingency.models import CorrectiveAction, RecoveryProfile, Tier
from safeguard.contingency.queries_restore_tests import AssetRestoreStatus, restore_status
from safeguard.contingency.services.actions import OPEN_STATUSES, may_own_actions
from safeguard.core.audit import Actor, audit_record
from safeguard.core.chores import daily_chore
from safeguard.core.models import Membership, Obligation, Organization, User
from safeguard.core.services.obligations import obligation_cancel, obligation_create, obligation_update
from safeguard.risk.queries import program_lead

SYSTEM = Actor.system("contingency")
ACTION_SOURCE = "contingency.action:"
RESTORE_SOURCE = "contingency.restore_test:"
RESTORE_NOTICE_DAYS = 14
DUE_TIERS = (Tier.PATIENT_SAFETY, Tier.CRITICAL)
TESTING = "164.308(a)(7)(ii)(D)"
Origin = CorrectiveAction.Origin
CITATION_BY_ORIGIN: dict[str, str] = {
    Origin.RESTORE_TEST: TESTING,
    Origin.EXERCISE: TESTING,
    Origin.ACTIVATION: "164.308(a)(7)(ii)(C)",
    Origin.BACKUP: "164.308(a)(7)(ii)(A)",
}
CONTINGENCY_PLAN = "164.308(a)(7)"


def _owner_or_lead(organization: Organization, owner: User | None, today: date) -> tuple[User | None, str]:
    """The intended owner while a current member who can act; else the security official (or first owner)."""
    if owner is not None:
        membership = Membership.objects.current(today).filter(organization=organization, user=owner).first()
        if membership is not None and may_own_actions(membership.role):
            return owner, ""
    lead = program_lead(organization, today)
    if lead is None:
        return None, "nobody can own it (no security official or owner)"
    gone = "it has no owner" if owner is None else "its owner cannot act on it"
    return lead, f"; {gone}, so {lead.email} owns it"


# ---- overdue corrective actions --------------------------------------------------------------------------------


def action_source(action: CorrectiveAction) -> str:
    return f"{ACTION_SOURCE}{action.public_id}"


def _open_by_source(prefix: str) -> dict[str, Obligation]:
    found = Obligation.objects.open().filter(source__startswith=prefix).select_related("organization", "owner")
    return {obligation.source: obligation for obligation in found}


def _raise_for_action(action: CorrectiveAction, today: date) -> str:
    """Create the obligation for one overdue action under a lock on the action; returns the line to print."""
    where = f"{action.organization.slug}: corrective action “{action.title}” (due {action.due_on:%Y-%m-%d})"
    with transaction.atomic():
        locked = (
            CorrectiveAction.objects.select_for_update()
            .filter(pk=action.pk, status__in=OPEN_STATUSES, due_on__lt=today)
            .first()
        )
        # Another run may have got here first: the lock and this re-check keep it to one open obligation.
        if locked is None or Obligation.objects.open().filter(source=action_source(action)).exists():
            return ""
        owner, note = _owner_or_lead(action.organization, action.owner, today)
        if owner is None:
            return f"{where} is overdue but {note}"
        obligation = obligation_create(
            organization=action.organization,
            actor=SYSTEM,
            title=f"Overdue corrective action: {action.title}"[:200],
            description=f"The contingency corrective action “{action.title}” was due on {action.due_on:%Y-%m-%d}. "
            f"{action.description}".strip(),
            citation=CITATION_BY_ORIGIN.get(action.origin, CONTINGENCY_PLAN),
            owner=owner,
            due_on=action.due_on,
            source=action_source(action),
            remind_days_before=0,
            today=today,
        )
        audit_record(
            actor=SYSTEM,
            action="contingency.action.overdue",
            organization=action.organization,
            target=locked,
            changes={"obligation": [None, str(obligation.public_id)]},
        )
    return f"{where} became an obligation{note}"


def _follow_action(obligation: Obligation, action: CorrectiveAction | None, today: date, dry_run: bool) -> str:
    """Keep an open obligation in step with its action: withdrawn once the action is closed or no longer
    overdue, else following its owner and due date."""
    where = f"{obligation.organization.slug}: “{obligation.title}”"
    if action is None or action.status not in OPEN_STATUSES or action.due_on >= today:
        why = "its action is gone" if action is None else f"its action is {action.get_status_display().lower()}"
        if action is not None and action.status in OPEN_STATUSES:
            why = f"its action is now due on {action.due_on:%Y-%m-%d}"
        if not dry_run:
            obligation_cancel(organization=obligation.organization, actor=SYSTEM, obligation=obligation)
        return f"{where} {'would be' if dry_run else 'was'} withdrawn: {why}"
    owner, _ = _owner_or_lead(action.organization, action.owner, today)
    follow: dict[str, object] = {"due_on": action.due_on} if obligation.due_on != action.due_on else {}
    if owner is not None and owner.pk != obligation.owner_id:
        follow["owner"] = owner
    if not follow:
        return ""
    if not dry_run:
        obligation_update(
            organization=obligation.organization, actor=SYSTEM, obligation=obligation, today=today, **follow
        )
    return f"{where} {'would follow' if dry_run else 'follows'} its action's {' and '.join(sorted(follow))}"


@daily_chore("contingency.overdue_actions")
def escalate_overdue_corrective_actions(today: date, dry_run: bool) -> list[str]:
    """Every open corrective action past its due date gets one open obligation (idempotent); obligations whose
    action was closed or rescheduled are withdrawn."""
    open_obligations = _open_by_source(ACTION_SOURCE)
    lines = []
    for obligation in open_obligations.values():
        public_id = obligation.source.removeprefix(ACTION_SOURCE)
        action = (
            CorrectiveAction.objects.filter(organization=obligation.organization, public_id=public_id)
            .select_related("organization", "owner")
            .first()
        )
        lines.append(_follow_action(obligation, action, today, dry_run))
    overdue = (
        CorrectiveAction.objects.filter(status__in=OPEN_STATUSES, due_on__lt=today)
        .select_related("organization", "owner")
        .order_by("organization__slug", "due_on", "pk")
    )
    for action in overdue:
        if action_source(action) in open_obligations:
            continue
        if dry_run:
            lines.append(
                f"{action.organization.slug}: corrective action “{action.title}” (due {action.due_on:%Y-%m-%d}) "
                "would become an obligation"
            )
            continue
        lines.append(_raise_for_action(action, today))
    return [line for line in lines if line]


# ---- restore tests coming due ----------------------------------------------------------------------------------


def restore_source(status: AssetRestoreStatus) -> str:
    return f"{RESTORE_SOURCE}{status.asset.public_id}"


def _due_soon(status: AssetRestoreStatus, today: date) -> bool:
    profile = status.profile
    return profile.in_scope and profile.tier in DUE_TIERS and status.next_due <= today + timedelta(RESTORE_NOTICE_DAYS)


def _raise_restore(organization: Organization, status: AssetRestoreStatus, today: date, dry_run: bool) -> str:
    where = f"{organization.slug}: restore test of {status.asset.name} (due {status.next_due:%Y-%m-%d})"
    owner, note = _owner_or_lead(organization, status.asset.owner, today)
    if owner is None:
        return f"{where} is due but {note}"
    if dry_run:
        return f"{where} would become an obligation{note}"
    last = f"last tested {status.last_tested_on:%Y-%m-%d}" if status.last_tested_on else "never tested"
    obligation_create(
        organization=organization,
        actor=SYSTEM,
        title=f"Restore test due: {status.asset.name}"[:200],
        description=f"Tier {status.profile.tier}, {status.cadence} restore tests, {last}. Record the test under "
        "Contingency → Restore tests; this reminder is withdrawn once it is recorded.",
        citation=TESTING,
        owner=owner,
        due_on=status.next_due,
        source=restore_source(status),
        remind_days_before=RESTORE_NOTICE_DAYS,
        today=today,
    )
    return f"{where} became an obligation{note}"


def _restore_chore_for(organization: Organization, today: date, dry_run: bool) -> list[str]:
    statuses = restore_status(organization, today=today)
    due = {restore_source(status): status for status in statuses.values() if _due_soon(status, today)}
    found = Obligation.objects.open().filter(organization=organization, source__startswith=RESTORE_SOURCE)
    open_obligations = {obligation.source: obligation for obligation in found}
    verb = "would be" if dry_run else "was"
    lines = []
    for source, obligation in open_obligations.items():
        status = due.get(source)
        if status is None:
            if not dry_run:
                obligation_cancel(organization=organization, actor=SYSTEM, obligation=obligation)
            lines.append(f"{organization.slug}: “{obligation.title}” {verb} withdrawn: no restore test is due soon")
        elif status.next_due != obligation.due_on:
            if not dry_run:
                obligation_update(
                    organization=organization, actor=SYSTEM, obligation=obligation, today=today, due_on=status.next_due
                )
            lines.append(f"{organization.slug}: “{obligation.title}” {verb} moved to {status.next_due:%Y-%m-%d}")
    for source, status in due.items():
        if source not in open_obligations:
            lines.append(_raise_restore(organization, status, today, dry_run))
    return lines


@daily_chore("contingency.restore_tests_due")
def remind_restore_tests_due(today: date, dry_run: bool) -> list[str]:
    """A tier 1–2 asset whose restore test is due within RESTORE_NOTICE_DAYS (or overdue) has one open
    obligation "Restore test due: <asset>" (idempotent); it is withdrawn once a test is recorded."""
    with_profiles = RecoveryProfile.objects.filter(tier__in=DUE_TIERS).values("organization")
    with_reminders = Obligation.objects.open().filter(source__startswith=RESTORE_SOURCE).values("organization")
    organizations = Organization.objects.filter(Q(pk__in=with_profiles) | Q(pk__in=with_reminders)).order_by("slug")
    lines = []
    for organization in organizations:
        with transaction.atomic():
            # One run at a time per organization, so two runs cannot both raise the same reminder.
            Organization.objects.select_for_update().filter(pk=organization.pk).first()
            lines.extend(_restore_chore_for(organization, today, dry_run))
    return lines
