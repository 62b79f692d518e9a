"""A person as a SCIM User, and a SCIM User as the values person_write takes.

User                                  Person
id                                    public_id
userName                              user_name (unique in the organization, whatever the case)
externalId                            external_id
name.givenName / name.familyName      given_name / family_name
emails (the work one, else the first)  email
title                                 job_role
userType                              worker_type (Employee, Contractor, Volunteer, Trainee, Student)
active                                not terminated
enterprise employeeNumber             employee_id
enterprise department                 department
enterprise manager.value              the manager's public_id
"""

from __future__ import annotations

import hashlib
from typing import Any, cast
from uuid import UUID

from django.db.models import CharField
from scim2_models import InvalidValueException, Meta

from safeguard.core.models import Organization
from safeguard.workforce.models import Person, WorkerType
from safeguard.workforce.scim_schema import WORK, Email, EnterpriseUser, Manager, Name, User, UserModel

# The roster's own words, and the usual identity-provider ones (RFC 7643 names Intern and Temp).
USER_TYPE_SYNONYMS = {"intern": WorkerType.TRAINEE, "temp": WorkerType.CONTRACTOR}


def _limit(field: str) -> int:
    return cast("CharField[str, str]", Person._meta.get_field(field)).max_length or 0


# Lengths person_write leaves to the database, which PostgreSQL would refuse with an error rather than a message.
LIMITS = {
    attribute: (field, _limit(field))
    for attribute, field in (("userName", "user_name"), ("externalId", "external_id"), ("emails.value", "email"))
}


def person_to_user(person: Person) -> User[EnterpriseUser]:
    """The person as the endpoint returns them; `person.manager` should be fetched with the person."""
    user = UserModel(
        id=str(person.public_id),
        user_name=person.user_name,
        external_id=person.external_id or None,
        name=Name(given_name=person.given_name or None, family_name=person.family_name or None)
        if person.given_name or person.family_name
        else None,
        title=person.job_role or None,
        user_type=WorkerType(person.worker_type).label,
        active=person.status != Person.Status.TERMINATED,
        emails=[Email(value=person.email, type=WORK)] if person.email else None,
    )
    manager = person.manager
    user[EnterpriseUser] = EnterpriseUser(
        employee_number=person.employee_id,
        department=person.department or None,
        manager=Manager.model_validate({"value": str(manager.public_id), "$ref": f"Users/{manager.public_id}"})
        if manager
        else None,
    )
    user.meta = Meta(
        resource_type="User",
        created=person.created_at,
        # person_write stamps updated_at a moment before the new row's created_at; RFC 7643 §3.1 wants them equal.
        last_modified=max(person.created_at, person.updated_at),
        version=version_of(user),
    )
    return user


def version_of(user: User[EnterpriseUser]) -> str:
    """A weak ETag over what the client sees: it changes whenever the representation does, whoever wrote it."""
    digest = hashlib.sha256(user.model_dump_json(exclude={"meta"}).encode()).hexdigest()
    return f'W/"{digest[:20]}"'


def person_values(user: User[EnterpriseUser], organization: Organization) -> dict[str, Any]:
    """The values of person_write that a User sets. Attributes the User leaves out are cleared, as a PUT does,
    except the employee id and the worker type, which a person always has: they keep their value."""
    enterprise = user[EnterpriseUser] or EnterpriseUser()
    values: dict[str, Any] = {
        "user_name": (user.user_name or "").strip(),
        "external_id": (user.external_id or "").strip(),
        "given_name": user.name.given_name or "" if user.name else "",
        "family_name": user.name.family_name or "" if user.name else "",
        "email": work_email(user.emails or []),
        "job_role": user.title or "",
        "department": enterprise.department or "",
        "manager": manager_of(enterprise.manager, organization),
    }
    if not values["user_name"]:
        raise InvalidValueException(detail="userName is required.")
    for attribute, (field, limit) in LIMITS.items():
        if len(values[field]) > limit:
            raise InvalidValueException(detail=f"{attribute} has at most {limit} characters.")
    if user.user_type:
        values["worker_type"] = worker_type_of(user.user_type)
    if enterprise.employee_number and enterprise.employee_number.strip():
        values["employee_id"] = enterprise.employee_number.strip()
    return values


def work_email(emails: list[Email]) -> str:
    given = [email for email in emails if email.value]
    if not given:
        return ""
    chosen = next((email for email in given if (email.type or "").casefold() == WORK), given[0])
    return (chosen.value or "").strip()


def worker_type_of(user_type: str) -> str:
    key = user_type.strip().casefold()
    for value, label in WorkerType.choices:
        if key in (value, label.casefold()):
            return value
    if key in USER_TYPE_SYNONYMS:
        return USER_TYPE_SYNONYMS[key]
    labels = ", ".join(label for _, label in WorkerType.choices)
    raise InvalidValueException(detail=f"userType {user_type!r} is not one of {labels}.")


def manager_of(manager: Manager | None, organization: Organization) -> Person | None:
    if manager is None or not manager.value:
        return None
    found = None
    try:
        found = Person.objects.filter(organization=organization, public_id=UUID(manager.value)).first()
    except ValueError:
        pass
    if found is None:
        raise InvalidValueException(detail=f"manager.value {manager.value!r} is not the id of a user here.")
    return found
