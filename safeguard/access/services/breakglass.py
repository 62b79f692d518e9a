"""The break-glass register (164.312(a)(2)(ii), emergency access procedure): pre-authorized emergency accounts of
the organization's systems, each with its custodians, every use of them, and the review each use gets within its
time limit (24 hours unless the account says otherwise).

This module keeps the accounts; uses and their reviews are in breakglass_uses.py, the reads the pages, API, check
and chore share in access/queries_breakglass.py. Both are re-exported here, the register's one front door.

A review is late when it is signed after the deadline; signed exactly at the deadline it is in time. A use found
unjustified is followed up in the confidential sanctions log: the link is kept here and in the audit trail as ids
only, never the sanction's content.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from safeguard.access.models import BreakGlassAccount, System
from safeguard.access.queries import access_settings
from safeguard.access.queries_breakglass import (
    REVIEW_STATE_LABELS,
    ReviewState,
    account_rows,
    activation_rows,
    custodian_choices,
    filter_activations,
    in_state,
    overdue_unescalated,
    person_by_reference,
    review_state,
)
from safeguard.access.services.breakglass_uses import (
    ACTIVATION_FIELDS,
    SCHEDULER,
    TRIGGER,
    Source,
    activation_escalate,
    activation_link_sanction,
    activation_record,
    activation_review,
    is_own_use,
    review_refusal,
)
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit

__all__ = [
    "ACCOUNT_FIELDS",
    "ACTIVATION_FIELDS",
    "REVIEW_HOURS_MAX",
    "REVIEW_STATE_LABELS",
    "SCHEDULER",
    "TRIGGER",
    "ReviewState",
    "Source",
    "account_rows",
    "activation_escalate",
    "activation_link_sanction",
    "activation_record",
    "activation_review",
    "activation_rows",
    "breakglass_account_create",
    "breakglass_account_deactivate",
    "breakglass_account_reactivate",
    "breakglass_account_update",
    "custodian_choices",
    "filter_activations",
    "in_state",
    "is_own_use",
    "overdue_unescalated",
    "person_by_reference",
    "review_refusal",
    "review_state",
]

ACCOUNT_FIELDS = ("system", "username", "purpose", "review_hours")
REVIEW_HOURS_MAX = 168  # a week: a longer wait is no longer a prompt review of an emergency


def _account_errors(organization: Organization, account: BreakGlassAccount) -> dict[str, str]:
    errors: dict[str, str] = {}
    system = getattr(account, "system", None)  # unset, the relation raises an AttributeError
    if not isinstance(system, System) or system.organization_id != organization.pk:
        errors["system"] = "Pick a system of this organization."
    if not account.username:
        errors["username"] = "Give the emergency account's username as the system knows it."
    elif len(account.username) > 200:
        errors["username"] = "A username has at most 200 characters."
    elif (
        "system" not in errors
        and BreakGlassAccount.objects.filter(system=account.system, username__iexact=account.username)
        .exclude(pk=account.pk)
        .exists()
    ):
        errors["username"] = f"{account.system} already has a break-glass account named {account.username!r}."
    if not account.purpose:
        errors["purpose"] = "Say when the account may be used, e.g. EHR downtime or an emergency with no login."
    hours = account.review_hours
    if not isinstance(hours, int) or isinstance(hours, bool) or not 1 <= hours <= REVIEW_HOURS_MAX:
        errors["review_hours"] = f"The review time limit is between 1 and {REVIEW_HOURS_MAX} hours."
    return errors


def _checked_custodians(organization: Organization, custodians: Iterable[User]) -> list[User]:
    chosen = list(dict.fromkeys(custodians))
    allowed = set(custodian_choices(organization).filter(pk__in=[u.pk for u in chosen]).values_list("pk", flat=True))
    outside = sorted(user.email for user in chosen if user.pk not in allowed)
    if outside:
        raise ServiceError(
            f"Custodians must be current members of this organization, not auditors: {', '.join(outside)}.",
            field="custodians",
        )
    return chosen


def _emails(users: Iterable[User]) -> list[str]:
    return sorted(user.email for user in users)


def breakglass_account_create(
    *,
    organization: Organization,
    actor: Actor,
    system: System,
    username: str,
    purpose: str,
    custodians: Iterable[User] = (),
    review_hours: int | None = None,
) -> BreakGlassAccount:
    """Register an emergency account; its uses are reviewed within `review_hours` (default: the organization's
    setting, 24 hours unless changed)."""
    if review_hours is None:
        review_hours = access_settings(organization).break_glass_review_hours
    account = BreakGlassAccount(
        organization=organization,
        system=system,
        username=username.strip(),
        purpose=purpose.strip(),
        review_hours=review_hours
        if review_hours is not None
        else access_settings(organization).break_glass_review_hours,
    )
    chosen = _checked_custodians(organization, custodians)
    with transaction.atomic():
        ServiceError.raise_first(_account_errors(organization, account))
        account.save()
        account.custodians.set(chosen)
        changes: dict[str, list[Any]] = {
            name: [None, value] for name, value in snapshot(account, ACCOUNT_FIELDS).items()
        }
        audit_record(
            actor=actor,
            action="access.breakglass_account.created",
            organization=organization,
            target=account,
            changes={**changes, "custodians": [None, _emails(chosen)]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return account


def _locked_account(organization: Organization, account: BreakGlassAccount) -> BreakGlassAccount:
    return (
        BreakGlassAccount.objects.select_for_update(of=("self",))
        .select_related("system__asset")
        .get(pk=account.pk, organization=organization)
    )


def breakglass_account_update(
    *, organization: Organization, actor: Actor, account: BreakGlassAccount, **values: Any
) -> BreakGlassAccount:
    """Change the system, username, purpose, review time limit or custodians (`custodians=[...]` replaces them).

    The system is fixed once the account has been used: its uses belong to the account on that system. A new time
    limit applies to uses recorded from then on; deadlines already set stay as they were."""
    unknown = set(values) - {*ACCOUNT_FIELDS, "custodians"}
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    chosen = _checked_custodians(organization, values.pop("custodians")) if "custodians" in values else None
    with transaction.atomic():
        locked = _locked_account(organization, account)
        before = snapshot(locked, ACCOUNT_FIELDS)
        for name, value in values.items():
            setattr(locked, name, value.strip() if isinstance(value, str) else value)
        ServiceError.raise_first(_account_errors(organization, locked))
        changes = field_changes(before, snapshot(locked, ACCOUNT_FIELDS))
        if "system" in changes and locked.activations.exists():
            raise ServiceError("This account has recorded uses: its system cannot change.", field="system")
        if chosen is not None:
            held = _emails(locked.custodians.all())
            if held != _emails(chosen):
                changes["custodians"] = [held, _emails(chosen)]
        if changes:
            locked.save()
            if chosen is not None:
                locked.custodians.set(chosen)
            audit_record(
                actor=actor,
                action="access.breakglass_account.updated",
                organization=organization,
                target=locked,
                changes=changes,
            )
            request_evaluation_on_commit(organization, TRIGGER)
    return locked


def _set_active(
    organization: Organization, actor: Actor, account: BreakGlassAccount, active: bool
) -> BreakGlassAccount:
    with transaction.atomic():
        locked = _locked_account(organization, account)
        if locked.is_active == active:
            raise ServiceError(f"{locked.username} is already {'in the register' if active else 'retired'}.")
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit_record(
            actor=actor,
            action=f"access.breakglass_account.{'reactivated' if active else 'deactivated'}",
            organization=organization,
            target=locked,
            changes={"is_active": [not active, active]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


def breakglass_account_deactivate(
    *, organization: Organization, actor: Actor, account: BreakGlassAccount
) -> BreakGlassAccount:
    """Retire an account (removed from the system, or no longer pre-authorized). Its uses stay on record, and a
    use found later can still be recorded against it."""
    return _set_active(organization, actor, account, False)


def breakglass_account_reactivate(
    *, organization: Organization, actor: Actor, account: BreakGlassAccount
) -> BreakGlassAccount:
    return _set_active(organization, actor, account, True)
