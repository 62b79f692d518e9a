"""Designations: what a person decided about an account name on a system (whose it is, or that it is a service
or shared account, and who answers for it). Every later list of the system is matched with it first; the
system's latest snapshot is corrected at once so findings and checks see the decision without a new import, and
an account assigned to someone who has left joins their leaver workflow (services/leavers.py)."""

from __future__ import annotations

from uuid import UUID

from django.db import transaction
from django.utils import timezone

from safeguard.access.matching import unmatched_classification
from safeguard.access.models import Account, AccountDesignation, AccountSnapshot, Classification, MatchMethod, System
from safeguard.access.services.leavers import HeldAccount, leaver_accounts_track, list_name
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Person

DECIDABLE = (Classification.PERSON, Classification.SERVICE, Classification.SHARED, Classification.ORPHAN)
MAX_NOTE = 2000


def find_person(organization: Organization, reference: str, *, field: str = "person") -> Person:
    """A person of the roster by public id, employee id or email (that only one person has)."""
    reference = reference.strip()
    people = Person.objects.filter(organization=organization)
    try:
        found = people.filter(public_id=UUID(reference)).first()
    except ValueError:
        found = people.filter(employee_id__iexact=reference).first()
        if found is None and "@" in reference:
            matches = list(people.filter(email__iexact=reference)[:2])
            found = matches[0] if len(matches) == 1 else None
    if found is None:
        raise ServiceError(f"Nobody on the roster has the id or email {reference!r}.", field=field)
    return found


def designation_errors(
    organization: Organization, classification: str, person: Person | None, owner: Person | None, note: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if classification not in DECIDABLE:
        errors["classification"] = f"Choose one of {', '.join(DECIDABLE)}."
    elif classification == Classification.PERSON and person is None:
        errors["person"] = "Name the person the account belongs to."
    elif classification != Classification.PERSON and person is not None:
        errors["person"] = "Only a person's account names a person: set the owner of a service or shared account."
    if owner is not None and classification not in (Classification.SERVICE, Classification.SHARED):
        errors["owner"] = "Only a service or shared account has an owner."
    for name, who in (("person", person), ("owner", owner)):
        if who is not None and who.organization_id != organization.pk:
            errors.setdefault(name, "No such person on the roster.")
    if len(note) > MAX_NOTE:
        errors["note"] = f"At most {MAX_NOTE} characters."
    return errors


def designation_set(
    *,
    organization: Organization,
    actor: Actor,
    system: System,
    username: str,
    classification: str,
    person: Person | None = None,
    owner: Person | None = None,
    note: str = "",
    action: str = "access.designation.set",
) -> AccountDesignation:
    """Record the decision about `username` on `system` and apply it to the system's latest snapshot."""
    if actor.user is None:
        raise ServiceError("A designation is decided by a person.")
    if system.organization_id != organization.pk:
        raise ServiceError("No such system.")
    key = username.strip().lower()
    if not key:
        raise ServiceError("Name the account.", field="username")
    note = note.strip()
    ServiceError.raise_first(designation_errors(organization, classification, person, owner, note))
    with transaction.atomic():
        designation = AccountDesignation.objects.select_for_update().filter(system=system, username_key=key).first()
        before = _described(designation)
        if designation is None:
            designation = AccountDesignation(organization=organization, system=system, username_key=key)
        designation.classification = classification
        designation.person = person
        designation.owner = owner
        designation.note = note
        designation.decided_by = actor.user
        designation.decided_at = timezone.now()
        designation.save()
        latest = AccountSnapshot.objects.filter(system=system).order_by("-taken_at", "-pk").values("pk")[:1]
        updated = Account.objects.filter(snapshot_id__in=latest, username__iexact=key).update(
            classification=classification,
            person=person,
            owner=owner,
            match_method=MatchMethod.MANUAL if person else MatchMethod.NONE,
        )
        audit_record(
            actor=actor,
            action=action,
            organization=organization,
            target=designation,
            changes={
                "system": [None, system.asset.name],
                "username": [None, key],
                **{
                    name: [before.get(name), value]
                    for name, value in _described(designation).items()
                    if before.get(name) != value
                },
                "accounts_updated": [None, updated],
            },
        )
        if person is not None and updated:
            _leaver_account_track(organization, actor, system, person, key)
        request_evaluation_on_commit(organization, "access.designation_set")
    return designation


def _leaver_account_track(organization: Organization, actor: Actor, system: System, person: Person, key: str) -> None:
    """If the person has left, the account now theirs in the latest list joins their leaver workflow."""
    found = (
        Account.objects.filter(system=system, person=person, username__iexact=key)
        .select_related("snapshot")
        .order_by("-snapshot__taken_at", "-snapshot_id")
        .first()
    )
    if found is None:
        return
    taken_at = found.snapshot.taken_at
    leaver_accounts_track(
        organization=organization,
        actor=actor,
        system=system,
        accounts=[HeldAccount(person.pk, found.username, found.roles, found.status, found.disabled_at)],
        seen_in=list_name(system, taken_at),
        seen_at=taken_at,
    )


def _described(designation: AccountDesignation | None) -> dict[str, str | None]:
    if designation is None:
        return {}
    return {
        "classification": designation.classification,
        "person": str(designation.person.public_id) if designation.person else None,
        "owner": str(designation.owner.public_id) if designation.owner else None,
        "note": designation.note,
    }


def account_designate(
    *,
    organization: Organization,
    actor: Actor,
    account: Account,
    classification: str,
    person: Person | None = None,
    owner: Person | None = None,
    note: str = "",
) -> AccountDesignation:
    """Assign a person by hand, or classify the account as service, shared or orphan (with an owner)."""
    return designation_set(
        organization=organization,
        actor=actor,
        system=account.system,
        username=account.username,
        classification=classification,
        person=person,
        owner=owner,
        note=note,
    )


def _pending(account: Account) -> Person:
    if account.classification != Classification.PENDING or account.person is None:
        raise ServiceError(f"{account.username} is not waiting for a name match to be confirmed.")
    return account.person


def account_confirm(*, organization: Organization, actor: Actor, account: Account) -> AccountDesignation:
    """Confirm that a name-only match is right: the account is the person's, in this list and every later one."""
    person = _pending(account)
    return designation_set(
        organization=organization,
        actor=actor,
        system=account.system,
        username=account.username,
        classification=Classification.PERSON,
        person=person,
        note=f"Name match with {person.full_name} confirmed.",
        action="access.designation.confirmed",
    )


def account_reject(*, organization: Organization, actor: Actor, account: Account) -> AccountDesignation:
    """Refuse a name-only match: the account is classified as if nobody matched (service, shared or orphan)."""
    person = _pending(account)
    return designation_set(
        organization=organization,
        actor=actor,
        system=account.system,
        username=account.username,
        classification=unmatched_classification(account.username),
        note=f"Not {person.full_name}: the name match was rejected.",
        action="access.designation.rejected",
    )
