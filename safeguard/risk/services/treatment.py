"""Deciding what to do about a risk, and closing or reopening it.

A risk is mitigated (through mitigation actions), accepted (only through a signed acceptance:
services/acceptances.py), transferred or avoided. It closes once a treatment is decided and no action on it is
still open, so the register never hides work in progress.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.risk.models import MitigationAction, Risk, RiskAcceptance, Treatment
from safeguard.risk.queries import acceptances_in_force

OPEN_ACTION_STATUSES = (MitigationAction.Status.OPEN, MitigationAction.Status.IN_PROGRESS)
TREATED_FIELDS = ("treatment", "owner")


def check_owner(organization: Organization, owner: User | None, *, field: str = "owner") -> User:
    """An owner must be a current member who can act: auditors only read."""
    if owner is None:
        raise ServiceError("Choose an owner.", field=field)
    membership = Membership.objects.current().filter(organization=organization, user=owner).first()
    if membership is None:
        raise ServiceError("The owner must be a current member of this organization.", field=field)
    if membership.role == Role.AUDITOR:
        raise ServiceError("An auditor cannot own risk work: auditors have read-only access.", field=field)
    return owner


def active_acceptance(risk: Risk, today: date | None = None) -> RiskAcceptance | None:
    """The signed acceptance in force today, if any (on its expiry day it no longer is)."""
    in_force = acceptances_in_force(today or timezone.localdate())
    return RiskAcceptance.objects.filter(in_force, risk=risk).order_by("-expires_on").first()


def _locked(organization: Organization, risk: Risk) -> Risk:
    return Risk.objects.select_for_update().get(pk=risk.pk, organization=organization)


def risk_treat(
    *,
    organization: Organization,
    actor: Actor,
    risk: Risk,
    treatment: str,
    owner: User | None,
    note: str = "",
    today: date | None = None,
) -> Risk:
    """Record the treatment decision and who owns the risk. "Accept" needs a signed acceptance in force."""
    if treatment not in Treatment.values:
        raise ServiceError(f"Treatment must be one of: {', '.join(v or 'not decided' for v in Treatment.values)}.")
    check_owner(organization, owner)
    with transaction.atomic():
        locked = _locked(organization, risk)
        if locked.status != Risk.Status.OPEN:
            raise ServiceError(f"{locked.reference} is closed; reopen it before changing its treatment.")
        acceptance = active_acceptance(locked, today)
        if treatment == Treatment.ACCEPT and acceptance is None:
            raise ServiceError(
                "Accepting a risk needs a signed acceptance with a rationale and an expiry: "
                "the security official or an owner records it under “Accept this risk”.",
                field="treatment",
            )
        if treatment != Treatment.ACCEPT and acceptance is not None:
            raise ServiceError(
                f"{locked.reference} is accepted until {acceptance.expires_on:%Y-%m-%d} under a signed acceptance; "
                "withdraw it before choosing another treatment.",
                field="treatment",
            )
        before = snapshot(locked, TREATED_FIELDS)
        locked.treatment, locked.owner = treatment, owner
        changes = field_changes(before, snapshot(locked, TREATED_FIELDS))
        if changes:
            locked.updated_at = timezone.now()
            locked.save(update_fields=[*TREATED_FIELDS, "updated_at"])
            if note.strip():
                changes["note"] = [None, note.strip()]
            audit_record(actor=actor, action="risk.treated", organization=organization, target=locked, changes=changes)
            transaction.on_commit(lambda: request_evaluation(organization, "risk.treated"))
    return locked


def risk_close(*, organization: Organization, actor: Actor, risk: Risk, note: str = "") -> Risk:
    """Close a risk whose treatment is decided and whose actions are all done or cancelled."""
    with transaction.atomic():
        locked = _locked(organization, risk)
        if locked.status != Risk.Status.OPEN:
            raise ServiceError(f"{locked.reference} is already closed.")
        if locked.treatment == Treatment.NONE:
            raise ServiceError(f"Decide how {locked.reference} is treated before closing it.", field="treatment")
        still_open = list(
            MitigationAction.objects.filter(risk=locked, status__in=OPEN_ACTION_STATUSES)
            .order_by("due_on", "title")
            .values_list("title", flat=True)
        )
        if still_open:
            named = "; ".join(f"“{title}”" for title in still_open[:5])
            more = f" and {len(still_open) - 5} more" if len(still_open) > 5 else ""
            raise ServiceError(
                f"{locked.reference} still has {len(still_open)} open action{'s' if len(still_open) > 1 else ''}: "
                f"{named}{more}. Complete or cancel them first."
            )
        now = timezone.now()
        locked.status, locked.closed_at, locked.updated_at = Risk.Status.CLOSED, now, now
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        changes: dict[str, list[object]] = {"status": [Risk.Status.OPEN, Risk.Status.CLOSED]}
        if note.strip():
            changes["note"] = [None, note.strip()]
        audit_record(actor=actor, action="risk.closed", organization=organization, target=locked, changes=changes)
        transaction.on_commit(lambda: request_evaluation(organization, "risk.closed"))
    return locked


def risk_reopen(*, organization: Organization, actor: Actor, risk: Risk, note: str = "") -> Risk:
    with transaction.atomic():
        locked = _locked(organization, risk)
        if locked.status != Risk.Status.CLOSED:
            raise ServiceError(f"{locked.reference} is open already.")
        closed_at = locked.closed_at
        locked.status, locked.closed_at, locked.updated_at = Risk.Status.OPEN, None, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        changes: dict[str, list[object]] = {
            "status": [Risk.Status.CLOSED, Risk.Status.OPEN],
            "closed_at": [closed_at, None],
        }
        if note.strip():
            changes["note"] = [None, note.strip()]
        audit_record(actor=actor, action="risk.reopened", organization=organization, target=locked, changes=changes)
        transaction.on_commit(lambda: request_evaluation(organization, "risk.reopened"))
    return locked
