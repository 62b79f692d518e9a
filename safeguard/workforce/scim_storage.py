"""The SCIM server's storage (scim2-server's ScimStorage) over one organization's people.

The client sees the people who have a userName and were not deleted over SCIM; every other row, and every row
of another organization, answers 404 exactly like an id that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from scim2_models import (
    InvalidValueException,
    NotFoundException,
    PreconditionFailedException,
    Resource,
    ResourceType,
    ResponseParameters,
    SearchRequest,
    UniquenessException,
)
from scim2_server.storage import ScimStorage, SearchPage

from safeguard.core.audit import Actor
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person
from safeguard.workforce.scim_filters import filtered, ordered
from safeguard.workforce.scim_mapping import person_to_user, person_values
from safeguard.workforce.scim_people import (
    ScimConflict,
    scim_person_delete,
    scim_person_provision,
    scim_person_update,
)
from safeguard.workforce.scim_schema import EnterpriseUser, User

# The attribute a person_write field is published as, to name it in an error.
ATTRIBUTES = {
    "employee_id": "employeeNumber",
    "given_name": "name.givenName",
    "family_name": "name.familyName",
    "email": "emails.value",
    "job_role": "title",
    "worker_type": "userType",
    "termination_at": "active",
    "manager": "manager",
    "user_name": "userName",
    "department": "department",
}


class PersonStorage(ScimStorage):
    """`removal_deactivates`: this request is a PATCH, whose resource lacks `active` only if the PATCH removed
    it; removing the flag is read as withdrawing it (deactivation). A PUT that leaves it out keeps it."""

    def __init__(self, *, organization: Organization, actor: Actor, trigger: str, removal_deactivates: bool) -> None:
        self.organization = organization
        self.actor = actor
        self.trigger = trigger
        self.removal_deactivates = removal_deactivates

    @contextmanager
    def operation(self) -> Iterator[None]:
        with transaction.atomic():
            yield

    def people(self) -> QuerySet[Person]:
        return (
            Person.objects.filter(organization=self.organization, scim_deleted=False)
            .exclude(user_name="")
            .select_related("manager")
        )

    def person(self, resource_id: str | None, *, lock: bool = False) -> Person:
        people = self.people().select_for_update(of=("self",)) if lock else self.people()
        try:
            found = people.filter(public_id=UUID(str(resource_id))).first()
        except ValueError:
            found = None
        if found is None:
            raise NotFoundException(detail=f"No user {resource_id}.")
        return found

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        return person_to_user(self.person(resource_id))

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> SearchPage:
        found = filtered(self.people(), search_request.filter)
        total = found.count()
        start = search_request.start_index_0 or 0
        stop = None if search_request.count is None else start + search_request.count
        page = ordered(found, search_request)[start:stop] if stop != start else []
        return SearchPage(total, [person_to_user(person) for person in page])

    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        user: User[EnterpriseUser] = resource  # type: ignore[assignment]
        with _refusals():
            person = scim_person_provision(
                organization=self.organization,
                actor=self.actor,
                trigger=self.trigger,
                values=person_values(user, self.organization),
                active=user.active,
            )
        return person_to_user(self.person(str(person.public_id)))

    def update(
        self,
        resource_type: ResourceType,
        resource: Resource[Any],
        *,
        expected_version: str | None = None,
    ) -> Resource[Any]:
        user: User[EnterpriseUser] = resource  # type: ignore[assignment]
        person = self._current(resource.id, expected_version)
        active = False if user.active is None and self.removal_deactivates else user.active
        with _refusals():
            scim_person_update(
                organization=self.organization,
                actor=self.actor,
                trigger=self.trigger,
                person=person,
                values=person_values(user, self.organization),
                active=active,
            )
        return person_to_user(self.person(resource.id))

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        person = self._current(resource_id, expected_version)
        scim_person_delete(organization=self.organization, actor=self.actor, trigger=self.trigger, person=person)

    def _current(self, resource_id: str | None, expected_version: str | None) -> Person:
        """The person, locked until the operation ends, still at the version the change was computed from."""
        person = self.person(resource_id, lock=True)
        if expected_version is not None and person_to_user(person).meta.version != expected_version:  # type: ignore[union-attr]
            raise PreconditionFailedException(detail="The user changed since it was read; read it again.")
        return person


@contextmanager
def _refusals() -> Iterator[None]:
    """A service's refusal as the SCIM error a client understands: 409 for a taken value, 400 for the rest."""
    try:
        yield
    except ScimConflict as conflict:
        raise UniquenessException(detail=conflict.message) from conflict
    except ServiceError as error:
        attribute = ATTRIBUTES.get(error.field or "")
        detail = f"{attribute}: {error.message}" if attribute else error.message
        raise InvalidValueException(detail=detail) from error
    except IntegrityError as clash:
        # Two requests racing for the same userName or employee id: the database's constraint decides.
        raise UniquenessException(detail="A unique value of this user was taken meanwhile; try again.") from clash
