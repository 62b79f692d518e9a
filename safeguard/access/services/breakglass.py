"""The break-glass register (164.312(a)(2)(ii), emergency access procedure): pre-authorized emergency accounts of
the organization's systems, each with its custodians, every use of them, and the review each use gets within its
time limit (24 hours unless the account says otherwise).

A review is late when it is signed after the deadline; signed exactly at the deadline it is in time. A use found
unjustified is followed up in the confidential sanctions log: the link is kept here and in the audit trail as ids
only, never the sanction's content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation, System
from safeguard.access.queries import access_settings
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.dates import EARLIEST
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm, Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.risk.models import SanctionRecord
from safeguard.workforce.models import Person

ACCOUNT_FIELDS = ("system", "username", "purpose", "review_hours")
ACTIVATION_FIELDS = ("account", "used_by", "used_by_name", "started_at", "ended_at", "reason", "records_accessed")
REVIEW_HOURS_MAX = 168  # a week: a longer wait is no longer a prompt review of an emergency
TRIGGER = "access.break_glass"
SCHEDULER = Actor.system("scheduler")
Source = BreakGlassActivation.Source


class ReviewState(StrEnum):
    DUE = "due"  # not reviewed, deadline still ahead
    OVERDUE = "overdue"  # not reviewed, deadline passed
    LATE = "late"  # reviewed after the deadline
    REVIEWED = "reviewed"  # reviewed by the deadline


REVIEW_STATE_LABELS = {
    ReviewState.DUE: "Review due",
    ReviewState.OVERDUE: "Review overdue",
    ReviewState.LATE: "Reviewed late",
    ReviewState.REVIEWED: "Reviewed in time",
}


# ---- reads the pages, API, check and chore share ----------------------------------------------------------------


def as_of(today: date) -> datetime:
    """The moment a daily job judges by: now on the current day; the last instant of `today` for another day."""
    now = timezone.now()
    if today == timezone.localdate(now):
        return now
    next_day = datetime.combine(today + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())
    return next_day - timedelta(microseconds=1)


def review_state(activation: BreakGlassActivation, now: datetime) -> ReviewState:
    if activation.reviewed_at is None:
        return ReviewState.OVERDUE if now > activation.review_due_at else ReviewState.DUE
    return ReviewState.LATE if activation.reviewed_at > activation.review_due_at else ReviewState.REVIEWED


def in_state(rows: QuerySet[BreakGlassActivation], state: str, now: datetime) -> QuerySet[BreakGlassActivation]:
    """The rows whose review_state(…, now) is `state` (the same rule, as a query)."""
    unreviewed = Q(reviewed_at__isnull=True)
    return {
        ReviewState.DUE: rows.filter(unreviewed, review_due_at__gte=now),
        ReviewState.OVERDUE: rows.filter(unreviewed, review_due_at__lt=now),
        ReviewState.LATE: rows.filter(reviewed_at__gt=F("review_due_at")),
        ReviewState.REVIEWED: rows.filter(reviewed_at__lte=F("review_due_at")),
    }[ReviewState(state)]


def account_rows(organization: Organization) -> QuerySet[BreakGlassAccount]:
    """Accounts with their system, custodians, number of uses and last use: one query plus one for custodians."""
    return (
        BreakGlassAccount.objects.filter(organization=organization)
        .select_related("system__asset")
        .prefetch_related(Prefetch("custodians", queryset=User.objects.order_by("email")))
        .annotate(last_used_at=Max("activations__started_at"), uses=Count("activations"))
        .order_by("system__asset__name", "username")
    )


def activation_rows(organization: Organization) -> QuerySet[BreakGlassActivation]:
    return BreakGlassActivation.objects.filter(organization=organization).select_related(
        "account__system__asset", "used_by", "reviewed_by", "recorded_by", "sanction"
    )


def filter_activations(
    rows: QuerySet[BreakGlassActivation],
    now: datetime,
    *,
    state: str = "",
    unreviewed: bool = False,
    unlinked: bool = False,
    system: System | None = None,
    account: BreakGlassAccount | None = None,
    source: str = "",
) -> QuerySet[BreakGlassActivation]:
    """The filters the list page and the API share; `state` is a ReviewState value (overdue, due, late, reviewed)."""
    if state:
        rows = in_state(rows, state, now)
    if unreviewed:
        rows = rows.filter(reviewed_at__isnull=True)
    if unlinked:
        rows = rows.filter(justified=False, sanction__isnull=True)
    if system is not None:
        rows = rows.filter(account__system=system)
    if account is not None:
        rows = rows.filter(account=account)
    if source:
        rows = rows.filter(source=source)
    return rows


def person_by_reference(organization: Organization, reference: str) -> Person:
    """A roster person by public id, employee id or work email: how forms and the API name who used an account."""
    text = reference.strip()
    people = Person.objects.filter(organization=organization)
    try:
        found = people.filter(public_id=UUID(text)).first()
    except ValueError:
        found = people.filter(employee_id=text).first() or people.filter(email__iexact=text).order_by("pk").first()
    if found is None:
        raise ServiceError(f"No one on the roster matches {text!r}.", field="used_by")
    return found


def custodian_choices(organization: Organization, keep: Iterable[User] = ()) -> QuerySet[User]:
    """Who may hold an emergency credential: current members who are not auditors (read-only and time-boxed)."""
    members = Membership.objects.current().filter(organization=organization).exclude(role=Role.AUDITOR)
    kept = Q(pk__in=[user.pk for user in keep])
    return User.objects.filter(Q(pk__in=members.values("user_id"), is_active=True) | kept).order_by("email")


def _member_may(organization: Organization, user: User | None, perm: Perm) -> bool:
    if user is None:
        return False
    membership = Membership.objects.current().filter(organization=organization, user=user).first()
    return membership is not None and membership.has(perm)


# ---- accounts ---------------------------------------------------------------------------------------------------


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


# ---- uses -------------------------------------------------------------------------------------------------------


def _moment_errors(started_at: object, ended_at: object, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(started_at, datetime) or timezone.is_naive(started_at):
        return {"started_at": "Give the start of the use as a date and time with its time zone."}
    if started_at > now:
        errors["started_at"] = "A use cannot start in the future."
    elif started_at.date() < EARLIEST:
        errors["started_at"] = f"The use must start on or after {EARLIEST:%Y-%m-%d}."
    if ended_at is not None:
        if not isinstance(ended_at, datetime) or timezone.is_naive(ended_at):
            errors["ended_at"] = "Give the end of the use as a date and time with its time zone."
        elif ended_at < started_at:
            errors["ended_at"] = "A use cannot end before it started."
        elif ended_at > now:
            errors["ended_at"] = "Leave the end blank while the use goes on: it cannot be in the future."
    return errors


def _activation_errors(organization: Organization, activation: BreakGlassActivation, now: datetime) -> dict[str, str]:
    errors: dict[str, str] = {}
    if activation.account.organization_id != organization.pk:
        errors["account"] = "Pick a break-glass account of this organization."
    errors.update(_moment_errors(activation.started_at, activation.ended_at, now))
    if activation.used_by is not None and activation.used_by.organization_id != organization.pk:
        errors["used_by"] = "The person who used it must be on this organization's roster."
    elif activation.used_by is not None and activation.used_by_name:
        errors["used_by_name"] = "Name the person on the roster or type a name, not both."
    elif len(activation.used_by_name) > 200:
        errors["used_by_name"] = "A name has at most 200 characters."
    if activation.source not in Source.values:
        errors["source"] = f"The source is one of: {', '.join(Source.values)}."
    elif activation.source == Source.MANUAL:
        # Entered by hand, whoever records it knows who and why; a use found in logs may not say.
        if activation.used_by is None and not activation.used_by_name:
            errors.setdefault("used_by", "Say who used the account: a person on the roster or their name.")
        if not activation.reason:
            errors["reason"] = "Say why the account was used, as stated at the time."
    return errors


def activation_record(
    *,
    organization: Organization,
    actor: Actor,
    account: BreakGlassAccount,
    started_at: datetime,
    ended_at: datetime | None = None,
    used_by: Person | None = None,
    used_by_name: str = "",
    reason: str = "",
    records_accessed: str = "",
    source: str = Source.MANUAL,
    now: datetime | None = None,
) -> BreakGlassActivation:
    """Record one use of a break-glass account; its review falls due `account.review_hours` after it started.

    People record uses by hand (pages and API: source "manual", who and why required). The activity-review module,
    when it finds a use in a system's logs, calls this same function with source="activity" and a system actor
    (e.g. Actor.system("activity-review")); who used the account and why may then be blank, for the reviewer to
    establish. Either way the use is audited and its review clock starts at `started_at`.
    """
    now = now or timezone.now()
    activation = BreakGlassActivation(
        organization=organization,
        account=account,
        used_by=used_by,
        used_by_name=used_by_name.strip(),
        started_at=started_at,
        ended_at=ended_at,
        reason=reason.strip(),
        records_accessed=records_accessed.strip(),
        source=source,
        recorded_by=actor.user,
        recorded_at=now,
    )
    ServiceError.raise_first(_activation_errors(organization, activation, now))
    activation.review_due_at = started_at + timedelta(hours=account.review_hours)
    with transaction.atomic():
        activation.save()
        recorded = {
            name: value for name, value in snapshot(activation, ACTIVATION_FIELDS).items() if value not in (None, "")
        }
        audit_record(
            actor=actor,
            action="access.breakglass_activation.recorded",
            organization=organization,
            target=activation,
            changes={
                **{name: [None, value] for name, value in recorded.items()},
                "source": [None, source],
                "review_due_at": [None, activation.review_due_at],
            },
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return activation


def _locked_activation(organization: Organization, activation: BreakGlassActivation) -> BreakGlassActivation:
    return (
        BreakGlassActivation.objects.select_for_update(of=("self",))
        .select_related("used_by", "reviewed_by", "sanction")
        .get(pk=activation.pk, organization=organization)
    )


def is_own_use(activation: BreakGlassActivation, user: User) -> bool:
    """Whether the user is the roster person who used the account (same work email)."""
    person = activation.used_by
    return person is not None and bool(person.email) and person.email.lower() == user.email.lower()


def activation_review(
    *,
    organization: Organization,
    actor: Actor,
    activation: BreakGlassActivation,
    justified: bool,
    notes: str,
    reviewed_at: datetime | None = None,
) -> BreakGlassActivation:
    """Decide whether a use was justified. Someone who manages the program, and never the person who used the
    account, reviews it. A review after the deadline is accepted and stays marked late."""
    user = actor.user
    if user is None or not _member_may(organization, user, Perm.MANAGE_PROGRAM):
        raise ServiceError("Only a member who manages the program can review a break-glass use.")
    if not isinstance(justified, bool):
        raise ServiceError("Say whether the use was justified.", field="justified")
    if not notes.strip():
        raise ServiceError("Write what you checked and what you found.", field="notes")
    now = timezone.now()
    reviewed_at = reviewed_at or now
    with transaction.atomic():
        locked = _locked_activation(organization, activation)
        if locked.reviewed_at is not None:
            reviewer = locked.reviewed_by.email if locked.reviewed_by else "someone"
            raise ServiceError(f"This use was already reviewed by {reviewer} on {locked.reviewed_at:%Y-%m-%d %H:%M}.")
        if is_own_use(locked, user):
            raise ServiceError("You used this account: someone else must review the use.")
        if reviewed_at < locked.started_at:
            raise ServiceError("A review cannot come before the use.", field="reviewed_at")
        if reviewed_at > now:
            raise ServiceError("A review cannot be dated in the future.", field="reviewed_at")
        locked.reviewed_at, locked.reviewed_by = reviewed_at, user
        locked.justified, locked.review_notes = justified, notes.strip()
        locked.save(update_fields=["reviewed_at", "reviewed_by", "justified", "review_notes"])
        audit_record(
            actor=actor,
            action="access.breakglass_activation.reviewed",
            organization=organization,
            target=locked,
            changes={
                "reviewed_at": [None, reviewed_at],
                "reviewed_by": [None, user],
                "justified": [None, justified],
                "review_notes": [None, locked.review_notes],
                "late": [None, reviewed_at > locked.review_due_at],
            },
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


def activation_link_sanction(
    *, organization: Organization, actor: Actor, activation: BreakGlassActivation, sanction: SanctionRecord
) -> BreakGlassActivation:
    """Link an unjustified use to the sanction that followed it up (or correct the link). Only members who manage
    sanctions may: the log is theirs. The audit event names the two records by id and nothing of the sanction."""
    if not _member_may(organization, actor.user, Perm.MANAGE_SANCTIONS):
        raise ServiceError("Only a member who manages sanctions can link a sanction.")
    if sanction.organization_id != organization.pk:
        raise ServiceError("No such sanction in this organization.", field="sanction")
    with transaction.atomic():
        locked = _locked_activation(organization, activation)
        if locked.justified is not False:
            raise ServiceError("Only a use reviewed as unjustified is followed up in the sanctions log.")
        if locked.sanction_id == sanction.pk:
            return locked
        before = locked.sanction
        locked.sanction = sanction
        locked.save(update_fields=["sanction"])
        audit_record(
            actor=actor,
            action="access.breakglass_activation.sanction_linked",
            organization=organization,
            target=locked,
            changes={"sanction": [before.public_id if before else None, sanction.public_id]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return locked


# ---- overdue reviews --------------------------------------------------------------------------------------------


def overdue_unescalated(now: datetime) -> QuerySet[BreakGlassActivation]:
    """Uses in every organization whose review is past its deadline and has not been escalated yet."""
    return (
        BreakGlassActivation.objects.filter(reviewed_at__isnull=True, review_due_at__lt=now, escalated_at__isnull=True)
        .select_related("organization", "account__system__asset", "used_by")
        .prefetch_related("account__custodians")
        .order_by("organization_id", "review_due_at", "pk")
    )


def activation_escalate(
    *,
    activation: BreakGlassActivation,
    recipients: tuple[str, ...],
    now: datetime,
    notify: Callable[[BreakGlassActivation, tuple[str, ...]], None],
) -> bool:
    """Tell `recipients` that a review is overdue and mark the use escalated, once: `notify` runs inside the
    transaction, so a failed send leaves the use unescalated for the next run. False when another run, or a
    review, got there first."""
    with transaction.atomic():
        locked = (
            BreakGlassActivation.objects.select_for_update()
            .filter(pk=activation.pk, reviewed_at__isnull=True, escalated_at__isnull=True, review_due_at__lt=now)
            .first()
        )
        if locked is None:
            return False
        notify(activation, recipients)
        locked.escalated_at = now
        locked.save(update_fields=["escalated_at"])
        audit_record(
            actor=SCHEDULER,
            action="access.breakglass_activation.escalated",
            organization=activation.organization,
            target=locked,
            changes={"escalated_at": [None, now], "recipients": [None, list(recipients)]},
        )
    return True
