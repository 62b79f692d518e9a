"""Record makers for workforce and access tests: people, systems with account snapshots, profiles, exceptions.

They write through the ORM (fast, at chosen dates); tests of the services' own rules call the services."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from safeguard.access.models import (
    AccessException,
    Account,
    AccountSnapshot,
    AccountStatus,
    Classification,
    MatchMethod,
    ProfileGrant,
    RoleProfile,
    System,
)
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset, AssetKind
from safeguard.workforce.models import Person


def person(organization: Organization, employee_id: str, **values: Any) -> Person:
    given, _, family = values.pop("name", f"Pat {employee_id}").partition(" ")
    defaults: dict[str, Any] = {
        "given_name": given,
        "family_name": family,
        "email": f"{employee_id.lower()}@clinic.test",
        "department": "Nursing",
        "job_role": "Nurse",
        "hire_date": date(2020, 1, 6),
    }
    defaults.update(values)
    if defaults.get("termination_at") is not None and "status" not in values:
        defaults["status"] = Person.Status.TERMINATED
    return Person.objects.create(organization=organization, employee_id=employee_id, **defaults)


def system(organization: Organization, name: str, *, owner: User | None = None) -> System:
    asset = Asset.objects.create(
        organization=organization,
        name=name,
        kind=AssetKind.APPLICATION,
        status=Asset.Status.IN_SERVICE,
        owner=owner,
        in_service_since=timezone.now() - timedelta(days=400),
    )
    return System.objects.create(organization=organization, asset=asset)


def snapshot(target: System, accounts: list[dict[str, Any]], *, taken_at: datetime | None = None) -> AccountSnapshot:
    """A snapshot holding `accounts`: dicts of Account fields; `person` sets the match (by employee id unless
    `match_method` says otherwise) and the classification defaults to person/orphan accordingly."""
    taken = AccountSnapshot.objects.create(
        organization=target.organization,
        system=target,
        taken_at=taken_at or timezone.now(),
        file_name="accounts.csv",
        sha256="0" * 64,
        account_count=len(accounts),
    )
    rows = []
    for number, values in enumerate(accounts, start=2):
        values = dict(values)
        matched = values.get("person")
        values.setdefault("match_method", MatchMethod.EMPLOYEE_ID if matched else MatchMethod.NONE)
        values.setdefault("classification", Classification.PERSON if matched else Classification.ORPHAN)
        values.setdefault("status", AccountStatus.ACTIVE)
        values.setdefault("last_login_at", timezone.now() - timedelta(days=1))
        values.setdefault("mfa_enabled", True)
        rows.append(
            Account(organization=target.organization, system=target, snapshot=taken, row_number=number, **values)
        )
    Account.objects.bulk_create(rows)
    return taken


def profile(
    organization: Organization,
    name: str,
    *,
    department: str = "",
    job_role: str = "",
    grants: list[tuple[System, str, bool]] = (),  # type: ignore[assignment]
    requires_clearance: bool = False,
) -> RoleProfile:
    made = RoleProfile.objects.create(
        organization=organization,
        name=name,
        department=department,
        job_role=job_role,
        requires_clearance=requires_clearance,
    )
    ProfileGrant.objects.bulk_create(
        [
            ProfileGrant(profile=made, system=target, role=role, privileged=privileged)
            for target, role, privileged in grants
        ]
    )
    return made


def exception(
    organization: Organization,
    who: Person,
    target: System,
    role: str,
    *,
    approver: User,
    expires_on: date,
    privileged: bool = False,
    status: str = AccessException.Status.APPROVED,
) -> AccessException:
    return AccessException.objects.create(
        organization=organization,
        person=who,
        system=target,
        role=role,
        privileged=privileged,
        justification="Covering the night shift.",
        expires_on=expires_on,
        status=status,
        requested_by=approver,
        approver=approver if status == AccessException.Status.APPROVED else None,
        decided_at=timezone.now() if status == AccessException.Status.APPROVED else None,
    )
