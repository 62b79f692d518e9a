"""What an access review's preparation loads once for the whole campaign: the roster with who may review each
account, and the role profiles and exceptions that allow access. Answers per account are dictionary lookups, so a
campaign of a hundred thousand accounts reads each table once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from safeguard.access.findings import Lapsed, roster_end
from safeguard.access.models import AccessException, ProfileGrant
from safeguard.access.queries import ProfileBook
from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Perm, Role, role_has
from safeguard.workforce.models import Person
from safeguard.workforce.queries import security_official, users_by_email

BASIS_MANAGER = "manager"
BASIS_SYSTEM_OWNER = "system owner"
BASIS_OFFICIAL = "security official"


@dataclass(frozen=True)
class Holder:
    """A roster person, as loaded once for the whole campaign."""

    pk: int
    name: str
    employee_id: str
    email: str
    department: str
    job_role: str
    status: str
    termination_at: datetime | None
    manager_id: int | None


@dataclass  # not frozen: it answers the rules' Allowance protocol, whose attributes are plain
class Excepted:
    """A role an exception valid on the roster day allows."""

    role: str
    privileged: bool


class Roster:
    """The people, their managers' Safeguard users and who may review, loaded once; answers per account are
    lookups."""

    def __init__(self, organization: Organization, roster_as_of: date) -> None:
        self.roster_end = roster_end(roster_as_of)
        fields = ("pk", "given_name", "family_name", "employee_id", "email", "department", "job_role", "status")
        rows = Person.objects.filter(organization=organization).values_list(*fields, "termination_at", "manager_id")
        self.people: dict[int, Holder] = {}
        for pk, given, family, employee_id, email, department, job_role, status, ended, manager_id in rows:
            name = " ".join(part for part in (given, family) if part) or employee_id
            self.people[pk] = Holder(pk, name, employee_id, email, department, job_role, status, ended, manager_id)
        manager_emails = {
            self.people[m].email for m in {p.manager_id for p in self.people.values()} if m in self.people
        }
        reviewing_roles = [role for role in Role.values if role_has(role, Perm.REVIEW_ACCESS)]
        self.may_review = set(
            Membership.objects.current()
            .filter(organization=organization, role__in=reviewing_roles)
            .values_list("user_id", flat=True)
        )
        self.users = {
            email: user
            for email, user in users_by_email(organization, manager_emails).items()
            if user.pk in self.may_review
        }
        self.official = security_official(organization)
        self._snapshots: dict[int, dict[str, Any]] = {}

    def name(self, person_id: int) -> str:
        person = self.people[person_id]
        return f"{person.name} ({person.employee_id})"

    def terminated_at(self, holder: Holder) -> datetime | None:
        """The termination if it had happened by the end of the roster day."""
        ended = holder.termination_at
        return ended if ended is not None and ended < self.roster_end else None

    def snapshot(self, person_id: int) -> dict[str, Any]:
        if person_id not in self._snapshots:
            holder = self.people[person_id]
            ended = self.terminated_at(holder)
            status = holder.status
            if ended is not None:
                status = Person.Status.TERMINATED
            elif status == Person.Status.TERMINATED:
                status = Person.Status.ACTIVE  # left after the roster day: still there on it
            manager = self.people.get(holder.manager_id) if holder.manager_id else None
            self._snapshots[person_id] = {
                "name": holder.name,
                "employee_id": holder.employee_id,
                "department": holder.department,
                "job_role": holder.job_role,
                "status": status,
                "terminated_at": ended.isoformat() if ended else None,
                "manager": manager.name if manager else "",
            }
        return self._snapshots[person_id]

    def reviewer(self, holder: Holder | None, owner: tuple[int, str] | None) -> tuple[int | None, str]:
        """The person's manager's Safeguard user, else the system's owner, else the security official: the first
        who may review access and is not the account's holder, since nobody reviews their own access. Nobody
        left: the item stays unassigned, and the campaign cannot close until someone is assigned to it."""
        held_by = holder.email.lower() if holder is not None and holder.email else ""
        for user_id, email, basis in self._candidates(holder, owner):
            if user_id in self.may_review and not (held_by and email.lower() == held_by):
                return user_id, basis
        return None, ""

    def _candidates(self, holder: Holder | None, owner: tuple[int, str] | None) -> Iterator[tuple[int, str, str]]:
        manager = self.people.get(holder.manager_id) if holder is not None and holder.manager_id else None
        user = self.users.get(manager.email.lower()) if manager is not None and manager.email else None
        if user is not None:
            yield user.pk, user.email, BASIS_MANAGER
        if owner is not None:
            yield owner[0], owner[1], BASIS_SYSTEM_OWNER
        if self.official is not None:
            yield self.official.pk, self.official.email, BASIS_OFFICIAL


class Allowances:
    """Profiles, grants and exceptions, loaded once and indexed by job and by (person, system)."""

    def __init__(self, organization: Organization, roster_as_of: date, system_ids: Sequence[int]) -> None:
        self.book = ProfileBook(organization)
        self._jobs: dict[tuple[str, str], tuple[tuple[str, ...], dict[int, list[ProfileGrant]]]] = {}
        self.valid: dict[tuple[int, int], list[Excepted]] = defaultdict(list)
        self.lapsed: dict[tuple[int, int], list[Lapsed]] = defaultdict(list)
        self.frozen_exceptions: list[dict[str, Any]] = []
        approved = AccessException.objects.filter(
            organization=organization, status=AccessException.Status.APPROVED, system_id__in=list(system_ids)
        ).order_by("pk")
        for exception in approved:
            valid = exception.expires_on >= roster_as_of
            key = (exception.person_id, exception.system_id)
            if valid:
                self.valid[key].append(Excepted(exception.role, exception.privileged))
            else:
                self.lapsed[key].append(Lapsed(exception.role, exception.privileged, exception.expires_on))
            self.frozen_exceptions.append(
                {
                    "id": exception.pk,
                    "public_id": str(exception.public_id),
                    "person_id": exception.person_id,
                    "system_id": exception.system_id,
                    "role": exception.role,
                    "privileged": exception.privileged,
                    "expires_on": exception.expires_on.isoformat(),
                    "valid": valid,
                }
            )

    def job(self, department: str, job_role: str) -> tuple[tuple[str, ...], dict[int, list[ProfileGrant]]]:
        key = (department.lower(), job_role.lower())
        if key not in self._jobs:
            names = tuple(profile.name for profile in self.book.profiles_for(department, job_role))
            self._jobs[key] = (names, self.book.grants_for(department, job_role))
        return self._jobs[key]

    def frozen_profiles(self) -> list[dict[str, Any]]:
        return [
            {
                "id": profile.pk,
                "name": profile.name,
                "department": profile.department,
                "job_role": profile.job_role,
                "grants": [
                    {"system_id": grant.system_id, "role": grant.role, "privileged": grant.privileged}
                    for grant in self.book.grants[profile.pk]
                ],
            }
            for profile in self.book.profiles
        ]
