"""Access beyond profile, now: every enabled account of a person in each system's latest snapshot whose roles
the person's role profiles and valid exceptions do not cover (the minimum-necessary rule of access/rules.py).

Linear in the number of accounts: profiles, exceptions and people are loaded once, accounts stream in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from safeguard.access.models import AccessException, AccountStatus, Classification
from safeguard.access.queries import ProfileBook, current_accounts, exceptions_by_person
from safeguard.access.rules import uncovered
from safeguard.core.models import Organization
from safeguard.workforce.models import Person


@dataclass(frozen=True)
class Excess:
    account_id: int
    account_public_id: str
    system_id: int
    username: str
    person_id: int
    missing: tuple[str, ...]  # the entitlements nothing covers


def beyond_profile(organization: Organization, today: date | None = None) -> Iterator[Excess]:
    today = today or timezone.localdate()
    book = ProfileBook(organization)
    exceptions = exceptions_by_person(organization, today)
    jobs = dict(
        (pk, (department, job_role))
        for pk, department, job_role in Person.objects.filter(organization=organization).values_list(
            "pk", "department", "job_role"
        )
    )
    accounts = (
        current_accounts(organization)
        .filter(status=AccountStatus.ACTIVE, classification=Classification.PERSON, person__isnull=False)
        .values_list("pk", "public_id", "system_id", "username", "person_id", "roles", "privileged")
    )
    for pk, public_id, system_id, username, person_id, roles, privileged in accounts.iterator(chunk_size=5000):
        department, job_role = jobs.get(person_id, ("", ""))
        grants = book.grants_for(department, job_role).get(system_id, [])
        allowed: list[AccessException] = [e for e in exceptions.get(person_id, []) if e.system_id == system_id]
        missing = uncovered(roles=roles or [], privileged=privileged, grants=grants, exceptions=allowed)
        if missing:
            yield Excess(pk, str(public_id), system_id, username, person_id, tuple(missing))


__all__ = ["Excess", "beyond_profile"]
