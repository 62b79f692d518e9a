"""The roster writes an identity provider makes over SCIM: provision, update, delete. All go through person_write,
so a SCIM change is audited and opens the same joiner, mover or leaver workflow as a roster file.

- active=false ends the person's engagement now (termination_at = now, unless already past): a leaver workflow.
  active=true on a terminated person clears the termination: a rehire, which opens a joiner workflow.
- DELETE deactivates the same way and hides the person from the client (scim_deleted). The row stays: it is
  the record of a leaver. Provisioning the same userName again brings that row back (a rehire).
- Provisioning a userName nobody has, with the employeeNumber of a person already on the roster who has no
  userName yet, links that person rather than creating a second one: the HR roster usually comes first. A
  person the roster says has left is not linked (409): the identity provider still has an account for a leaver.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person
from safeguard.workforce.services.people import person_write

SOURCE = Person.Source.SCIM
EMPLOYEE_ID_MAX = Person._meta.get_field("employee_id").max_length or 64


class ScimConflict(ServiceError):
    """A unique value (userName, employeeNumber) belongs to someone else."""


def scim_person_provision(
    *,
    organization: Organization,
    actor: Actor,
    trigger: str,
    values: dict[str, Any],
    active: bool | None,
    now: datetime | None = None,
) -> Person:
    """Create the person a POST describes, or bring back / link the one it names (see the module's rules)."""
    now = now or timezone.now()
    with transaction.atomic():
        person = _claimable(organization, values)
        values = {**values, **_activity(person, True if active is None else active, now)}
        if person is None and "employee_id" not in values:
            values["employee_id"] = _new_employee_id(organization, values["external_id"])
        person, _ = person_write(
            organization=organization,
            actor=actor,
            person=person,
            values=values,
            source=SOURCE,
            trigger=trigger,
            now=now,
        )
        _mark_deleted(organization=organization, actor=actor, person=person, deleted=False)
    return person


def scim_person_update(
    *,
    organization: Organization,
    actor: Actor,
    trigger: str,
    person: Person,
    values: dict[str, Any],
    active: bool | None,
    now: datetime | None = None,
) -> Person:
    """Apply a PUT or PATCH; `active=None` leaves the person's engagement as it is."""
    now = now or timezone.now()
    with transaction.atomic():
        _refuse_taken(organization, values, person)
        values = {**values, **_activity(person, active, now)}
        person, _ = person_write(
            organization=organization,
            actor=actor,
            person=person,
            values=values,
            source=SOURCE,
            trigger=trigger,
            now=now,
        )
    return person


def scim_person_delete(
    *, organization: Organization, actor: Actor, trigger: str, person: Person, now: datetime | None = None
) -> Person:
    """Deactivate the person (a leaver, if they were not one already) and stop serving them to the client."""
    now = now or timezone.now()
    with transaction.atomic():
        values = _activity(person, False, now)
        if values:
            person, _ = person_write(
                organization=organization,
                actor=actor,
                person=person,
                values=values,
                source=SOURCE,
                trigger=trigger,
                now=now,
            )
        _mark_deleted(organization=organization, actor=actor, person=person, deleted=True)
    return person


def _activity(person: Person | None, active: bool | None, now: datetime) -> dict[str, Any]:
    terminated = person is not None and person.status == Person.Status.TERMINATED
    if active is False and not terminated:
        return {"termination_at": now}  # a termination given for a later date ends now
    if active is True and terminated:
        return {"termination_at": None}
    return {}


def _claimable(organization: Organization, values: dict[str, Any]) -> Person | None:
    """The existing row a POST takes over, if any; refuses a POST whose unique values belong to someone else."""
    people = Person.objects.filter(organization=organization)
    same_name = people.filter(user_name__iexact=values["user_name"]).first()
    if same_name is not None:
        if not same_name.scim_deleted:
            raise ScimConflict(f"userName {values['user_name']!r} is already taken.", field="user_name")
        _refuse_taken(organization, values, same_name)
        return same_name
    employee_id = values.get("employee_id")
    same_number = people.filter(employee_id=employee_id).first() if employee_id else None
    if same_number is not None and same_number.user_name == "":
        if same_number.status == Person.Status.TERMINATED:
            # Linking must not quietly rehire a leaver: a live account for them is a finding, not a joiner.
            raise ScimConflict(
                f"employeeNumber {employee_id!r} belongs to a person who has left; rehire them on the roster first.",
                field="employee_id",
            )
        return same_number
    _refuse_taken(organization, values, None)
    return None


def _refuse_taken(organization: Organization, values: dict[str, Any], person: Person | None) -> None:
    others = Person.objects.filter(organization=organization)
    if person is not None:
        others = others.exclude(pk=person.pk)
    if others.filter(user_name__iexact=values["user_name"]).exists():
        raise ScimConflict(f"userName {values['user_name']!r} is already taken.", field="user_name")
    employee_id = values.get("employee_id")
    if employee_id and others.filter(employee_id=employee_id).exists():
        raise ScimConflict(f"employeeNumber {employee_id!r} belongs to another person.", field="employee_id")


def _new_employee_id(organization: Organization, external_id: str) -> str:
    """The roster needs an employee id: the client's externalId when it fits and is free, else a generated one."""
    taken = Person.objects.filter(organization=organization)
    if external_id and len(external_id) <= EMPLOYEE_ID_MAX and not taken.filter(employee_id=external_id).exists():
        return external_id
    while True:
        candidate = f"scim-{secrets.token_hex(4)}"
        if not taken.filter(employee_id=candidate).exists():
            return candidate


def _mark_deleted(*, organization: Organization, actor: Actor, person: Person, deleted: bool) -> None:
    if person.scim_deleted == deleted:
        return
    Person.objects.filter(pk=person.pk).update(scim_deleted=deleted)
    person.scim_deleted = deleted
    audit_record(
        actor=actor,
        action="workforce.person.scim_deleted" if deleted else "workforce.person.scim_restored",
        organization=organization,
        target=person,
        changes={"scim_deleted": [not deleted, deleted]},
    )
