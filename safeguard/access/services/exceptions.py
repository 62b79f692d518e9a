"""Access exceptions: a person × system × role beyond their profile, justified, decided by their manager or the
security official, and expiring. Valid means approved and not past its expiry day (queries.valid_exceptions).

Segregation of duties: whoever asked for an exception, and the person it is for, cannot approve it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from safeguard.access.models import AccessException, AccountStatus, System
from safeguard.access.queries import current_accounts
from safeguard.access.reconcile import Excess
from safeguard.access.rules import ANY_ROLE, PRIVILEGED
from safeguard.core.audit import Actor, audit_record, snapshot
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Person
from safeguard.workforce.queries import user_for_person

Status = AccessException.Status
MAX_DAYS = 365
ROLE_MAX = 200
DECISION_FIELDS = ("status", "approver", "decided_at", "decision_note")
REQUEST_FIELDS = ("person", "system", "role", "privileged", "justification", "expires_on", "status")
NOT_A_REQUESTER = "Only those who manage the program, and managers or reviewers, can request an access exception."


# ---- who may do what --------------------------------------------------------------------------------------------


def may_request(membership: Membership) -> bool:
    return membership.has(Perm.MANAGE_PROGRAM) or membership.has(Perm.REVIEW_ACCESS)


def may_decide_some(membership: Membership) -> bool:
    """Whether this member can decide any exception at all (the person's manager, or the security official)."""
    return membership.has(Perm.SIGN_DECISIONS) or membership.has(Perm.REVIEW_ACCESS)


def _membership(organization: Organization, user: User | None) -> Membership | None:
    if user is None:
        return None
    return Membership.objects.current().filter(organization=organization, user=user).first()


def decision_refusal(
    organization: Organization, user: User | None, exception: AccessException, *, approving: bool
) -> str | None:
    """Why this user may not approve (or reject) this exception; None when they may. The requester and the person
    the exception is for may still reject it (a manager turning down their own idea); only approving is theirs to
    leave to someone else."""
    person = exception.person
    membership = _membership(organization, user)
    if user is None or membership is None:
        return "Only a current member of this organization can decide an access exception."
    if approving and exception.requested_by_id == user.pk:
        return "You requested this exception: the person's manager or the security official must approve it."
    if approving and person.email and person.email.lower() == user.email.lower():
        return "This exception is for you: the person's manager or the security official must approve it."
    if membership.has(Perm.SIGN_DECISIONS):
        return None
    if membership.has(Perm.REVIEW_ACCESS) and user_for_person(organization, person.manager) == user:
        return None
    manager = person.manager.full_name if person.manager else "no manager is on the roster"
    return (
        f"Only {person.full_name}'s manager ({manager}) or the security official can approve or reject this exception."
    )


# ---- reads the pages and the API share -----------------------------------------------------------------------------


def exception_rows(organization: Organization) -> QuerySet[AccessException]:
    return AccessException.objects.filter(organization=organization).select_related(
        "person", "system__asset", "requested_by", "approver", "revoked_by"
    )


def expired(organization: Organization, today: date | None = None) -> QuerySet[AccessException]:
    """Approved exceptions past their expiry day: findings until someone revokes them (the access is gone) or a new
    exception is approved."""
    today = today or timezone.localdate()
    return exception_rows(organization).filter(status=Status.APPROVED, expires_on__lt=today)


def awaiting(membership: Membership) -> QuerySet[AccessException]:
    """Requests this member may decide: every request for the security official (and owners), their reports'
    for a manager; never their own requests."""
    rows = exception_rows(membership.organization).filter(status=Status.REQUESTED).select_related("person__manager")
    if not membership.has(Perm.SIGN_DECISIONS):
        if not membership.has(Perm.REVIEW_ACCESS):
            return rows.none()
        rows = rows.filter(person__manager__email__iexact=membership.user.email).exclude(person__manager__email="")
    return rows.exclude(requested_by=membership.user).exclude(person__email__iexact=membership.user.email)


def filter_exceptions(
    rows: QuerySet[AccessException], applied: dict[str, Any], today: date
) -> QuerySet[AccessException]:
    """Filters: status, expired (True: approved and past expiry; False: everything else), system, person."""
    if applied.get("status"):
        rows = rows.filter(status=applied["status"])
    if applied.get("expired") is True:
        rows = rows.filter(status=Status.APPROVED, expires_on__lt=today)
    elif applied.get("expired") is False:
        rows = rows.exclude(status=Status.APPROVED, expires_on__lt=today)
    if applied.get("system") is not None:
        rows = rows.filter(system=applied["system"])
    if applied.get("person") is not None:
        rows = rows.filter(person=applied["person"])
    return rows


def is_expired(exception: AccessException, today: date) -> bool:
    return exception.status == Status.APPROVED and exception.expires_on < today


# ---- writes -------------------------------------------------------------------------------------------------------


def latest_expiry(today: date) -> date:
    return today + timedelta(days=MAX_DAYS)


def _check_request(organization: Organization, exception: AccessException, today: date) -> None:
    errors: dict[str, str] = {}
    person, system = exception.person, exception.system
    if person.organization_id != organization.pk:
        errors["person"] = "That person is not on this organization's roster."
    elif person.status == Person.Status.TERMINATED:
        errors["person"] = f"{person.full_name} has left: an exception cannot be granted to a former member."
    if system.organization_id != organization.pk:
        errors["system"] = "That system is not one of this organization's."
    if not exception.role:
        errors["role"] = "Name the role the exception allows, as the system names it."
    elif exception.role == ANY_ROLE:
        errors["role"] = f"Name one role: “{ANY_ROLE}” (any role) belongs in a role profile, not in an exception."
    elif len(exception.role) > ROLE_MAX:
        errors["role"] = f"A role name has at most {ROLE_MAX} characters."
    if not exception.justification:
        errors["justification"] = "Say why this person needs access beyond their profile."
    if exception.expires_on <= today:
        errors["expires_on"] = f"An exception must expire after today ({today:%Y-%m-%d})."
    elif exception.expires_on > latest_expiry(today):
        errors["expires_on"] = (
            f"An exception may last at most {MAX_DAYS} days: pick a date on or before "
            f"{latest_expiry(today):%Y-%m-%d}, and request a new one when it runs out."
        )
    ServiceError.raise_first(errors)


def _open_duplicate(exception: AccessException, today: date) -> AccessException | None:
    same = AccessException.objects.filter(
        organization_id=exception.organization_id,
        person=exception.person,
        system=exception.system,
        role__iexact=exception.role,
    )
    pending = same.filter(status=Status.REQUESTED).first()
    return pending or same.filter(status=Status.APPROVED, expires_on__gte=today).first()


def exception_request(
    *,
    organization: Organization,
    actor: Actor,
    person: Person,
    system: System,
    role: str,
    justification: str,
    expires_on: date,
    privileged: bool = False,
    today: date | None = None,
) -> AccessException:
    today = today or timezone.localdate()
    membership = _membership(organization, actor.user)
    if actor.user is None or membership is None or not may_request(membership):
        raise ServiceError(NOT_A_REQUESTER)
    exception = AccessException(
        organization=organization,
        person=person,
        system=system,
        role=role.strip(),
        privileged=privileged,
        justification=justification.strip(),
        expires_on=expires_on,
        requested_by=actor.user,
    )
    _check_request(organization, exception, today)
    with transaction.atomic():
        duplicate = _open_duplicate(exception, today)
        if duplicate is not None:
            state = "awaits approval" if duplicate.status == Status.REQUESTED else "is approved"
            raise ServiceError(
                f"An exception for “{duplicate.role}” on {system.asset.name} for {person.full_name} already {state} "
                f"(until {duplicate.expires_on:%Y-%m-%d}).",
                field="role",
            )
        exception.save()
        audit_record(
            actor=actor,
            action="access.exception.requested",
            organization=organization,
            target=exception,
            changes={name: [None, value] for name, value in snapshot(exception, REQUEST_FIELDS).items()},
        )
    return exception


def _locked(organization: Organization, exception: AccessException) -> AccessException:
    return (
        AccessException.objects.select_for_update(of=("self",))
        .select_related("person__manager", "system__asset")
        .get(pk=exception.pk, organization=organization)
    )


def _expect_request(locked: AccessException) -> None:
    if locked.status != Status.REQUESTED:
        raise ServiceError(f"This exception is already {locked.get_status_display().lower()}: nothing to decide.")


def _decide(
    organization: Organization, actor: Actor, locked: AccessException, status: str, note: str, action: str
) -> AccessException:
    before = snapshot(locked, DECISION_FIELDS)
    locked.status = status
    locked.approver = actor.user
    locked.decided_at = timezone.now()
    locked.decision_note = note
    locked.save(update_fields=list(DECISION_FIELDS))
    changes = {name: [before[name], value] for name, value in snapshot(locked, DECISION_FIELDS).items()}
    audit_record(actor=actor, action=action, organization=organization, target=locked, changes=changes)
    return locked


def exception_approve(
    *, organization: Organization, actor: Actor, exception: AccessException, note: str = "", today: date | None = None
) -> AccessException:
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked(organization, exception)
        refusal = decision_refusal(organization, actor.user, locked, approving=True)
        if refusal:
            raise ServiceError(refusal)
        _expect_request(locked)
        if locked.expires_on < today:
            raise ServiceError(
                f"The expiry date asked for ({locked.expires_on:%Y-%m-%d}) has passed: reject this request and "
                "ask for a new one."
            )
        decided = _decide(organization, actor, locked, Status.APPROVED, note.strip(), "access.exception.approved")
        request_evaluation_on_commit(organization, "access.exception_approved")
    return decided


def exception_reject(
    *, organization: Organization, actor: Actor, exception: AccessException, note: str
) -> AccessException:
    note = note.strip()
    if not note:
        raise ServiceError("Say why you reject the request: the requester will read it.", field="note")
    with transaction.atomic():
        locked = _locked(organization, exception)
        refusal = decision_refusal(organization, actor.user, locked, approving=False)
        if refusal:
            raise ServiceError(refusal)
        _expect_request(locked)
        return _decide(organization, actor, locked, Status.REJECTED, note, "access.exception.rejected")


def exception_revoke(
    *, organization: Organization, actor: Actor, exception: AccessException, note: str = "", today: date | None = None
) -> AccessException:
    """End an approved exception early, close an expired one (a finding) once the access is gone, or withdraw a
    request. Who approved stays on record beside who revoked, when and why (the note joins the decision note)."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = _locked(organization, exception)
        if locked.status not in (Status.REQUESTED, Status.APPROVED):
            raise ServiceError(f"This exception is already {locked.get_status_display().lower()}.")
        before = snapshot(locked, ("status", "decision_note"))
        line = f"Revoked {today:%Y-%m-%d} by {actor.display}" + (f": {note.strip()}" if note.strip() else ".")
        locked.status = Status.REVOKED
        locked.decision_note = f"{locked.decision_note}\n{line}".strip()
        locked.revoked_by = actor.user
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["status", "decision_note", "revoked_by", "revoked_at"])
        audit_record(
            actor=actor,
            action="access.exception.revoked",
            organization=organization,
            target=locked,
            changes={
                "status": [before["status"], locked.status],
                "decision_note": [before["decision_note"], locked.decision_note],
                "revoked_at": [None, locked.revoked_at],
            },
        )
        request_evaluation_on_commit(organization, "access.exception_revoked")
    return locked


def holdings(organization: Organization, exceptions: list[AccessException]) -> dict[int, str]:
    """Exception id → whether its person still holds what it allowed, from each system's latest account list: what
    a finding about an expired exception needs to say. Two queries, whatever the number of exceptions."""
    if not exceptions:
        return {}
    accounts = (
        current_accounts(organization)
        .filter(
            person_id__in={e.person_id for e in exceptions},
            system_id__in={e.system_id for e in exceptions},
            status=AccountStatus.ACTIVE,
        )
        .values_list("person_id", "system_id", "roles", "privileged")
    )
    held: dict[tuple[int, int], list[tuple[set[str], bool]]] = {}
    for person_id, system_id, roles, privileged in accounts:
        held.setdefault((person_id, system_id), []).append(({r.strip().lower() for r in roles or []}, privileged))
    found = {}
    for exception in exceptions:
        accounts_held = held.get((exception.person_id, exception.system_id), [])
        role = exception.role.lower()
        if not accounts_held:
            found[exception.pk] = "No enabled account on the system any more."
        elif any(role in roles or (exception.privileged and privileged) for roles, privileged in accounts_held):
            found[exception.pk] = f"Still holds “{exception.role}”: remove it or approve a new exception."
        else:
            found[exception.pk] = f"Has an account, without “{exception.role}”."
    return found


@dataclass(frozen=True)
class BeyondRow:
    """One account's access beyond profile, with the records a page or the API shows for it."""

    excess: Excess
    person: Person
    system: System
    pending: dict[str, AccessException]  # missing entitlement → the request awaiting approval for it

    def requests(self) -> list[tuple[str, bool, AccessException | None]]:
        """(role to request, privileged, pending request) for each missing entitlement."""
        return [(role, role == PRIVILEGED, self.pending.get(role)) for role in self.excess.missing]


def beyond_rows(organization: Organization, excesses: list[Excess]) -> list[BeyondRow]:
    """Three queries for a page of reconcile.beyond_profile's rows, whatever its size."""
    people = Person.objects.in_bulk({e.person_id for e in excesses})
    found = System.objects.select_related("asset").in_bulk({e.system_id for e in excesses})
    pending: dict[tuple[int, int, str], AccessException] = {}
    requests = AccessException.objects.filter(
        organization=organization, status=Status.REQUESTED, person_id__in=list(people)
    )
    for request in requests:
        pending[(request.person_id, request.system_id, request.role.strip().lower())] = request
    return [
        BeyondRow(
            excess=e,
            person=people[e.person_id],
            system=found[e.system_id],
            pending={
                role: pending[(e.person_id, e.system_id, role)]
                for role in e.missing
                if (e.person_id, e.system_id, role) in pending
            },
        )
        for e in excesses
    ]
