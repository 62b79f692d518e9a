"""Reads of systems, accounts, profiles and exceptions that pages, planners, reviews and checks share."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from safeguard.access.models import (
    AccessException,
    AccessSettings,
    Account,
    AccountSnapshot,
    AccountStatus,
    ProfileGrant,
    RoleProfile,
    System,
)
from safeguard.core.models import Organization
from safeguard.workforce.models import Person


def access_settings(organization: Organization) -> AccessSettings:
    found = AccessSettings.objects.filter(organization=organization).first()
    return found or AccessSettings(organization=organization)


def systems(organization: Organization) -> QuerySet[System]:
    return System.objects.filter(organization=organization).select_related("asset", "asset__owner")


def latest_snapshot_ids(organization: Organization, system_ids: list[int] | None = None) -> dict[int, int]:
    """System id → the id of its latest snapshot, for systems that have one."""
    latest = AccountSnapshot.objects.filter(system=OuterRef("pk")).order_by("-taken_at", "-pk").values("pk")[:1]
    rows = System.objects.filter(organization=organization)
    if system_ids is not None:
        rows = rows.filter(pk__in=system_ids)
    found = rows.annotate(latest=Subquery(latest)).values_list("pk", "latest")
    return {system_id: snapshot_id for system_id, snapshot_id in found if snapshot_id is not None}


def current_accounts(organization: Organization) -> QuerySet[Account]:
    """Every account of every system's latest snapshot."""
    return Account.objects.filter(snapshot_id__in=list(latest_snapshot_ids(organization).values()))


def accounts_held(
    person: Person, *, enabled_only: bool = True, snapshot_ids: list[int] | None = None
) -> QuerySet[Account]:
    """The person's accounts in each system's latest snapshot (`snapshot_ids` when the caller knows them)."""
    if snapshot_ids is None:
        snapshot_ids = list(latest_snapshot_ids(person.organization).values())
    accounts = Account.objects.filter(snapshot_id__in=snapshot_ids, person=person).select_related("system__asset")
    if enabled_only:
        accounts = accounts.filter(status=AccountStatus.ACTIVE)
    return accounts.order_by("system__asset__name", "username")


# ---- profiles and exceptions ------------------------------------------------------------------------------------


def profile_matches(profile: RoleProfile, department: str, job_role: str) -> bool:
    return (not profile.department or profile.department.lower() == department.lower()) and (
        not profile.job_role or profile.job_role.lower() == job_role.lower()
    )


class ProfileBook:
    """Every profile and grant of an organization loaded once, so a person's allowance is a lookup, not a query."""

    def __init__(self, organization: Organization) -> None:
        self.profiles = list(RoleProfile.objects.filter(organization=organization).order_by("name"))
        self.grants: dict[int, list[ProfileGrant]] = defaultdict(list)
        for grant in ProfileGrant.objects.filter(profile__organization=organization).select_related("system"):
            self.grants[grant.profile_id].append(grant)
        self._cache: dict[tuple[str, str], list[RoleProfile]] = {}

    def profiles_for(self, department: str, job_role: str) -> list[RoleProfile]:
        key = (department.lower(), job_role.lower())
        if key not in self._cache:
            self._cache[key] = [p for p in self.profiles if profile_matches(p, department, job_role)]
        return self._cache[key]

    def grants_for(self, department: str, job_role: str) -> dict[int, list[ProfileGrant]]:
        """System id → the grants every matching profile gives on it."""
        by_system: dict[int, list[ProfileGrant]] = defaultdict(list)
        for profile in self.profiles_for(department, job_role):
            for grant in self.grants[profile.pk]:
                by_system[grant.system_id].append(grant)
        return by_system

    def requires_clearance(self, department: str, job_role: str) -> bool:
        return any(profile.requires_clearance for profile in self.profiles_for(department, job_role))


def valid_exceptions(organization: Organization, today: date | None = None) -> QuerySet[AccessException]:
    """Approved exceptions still in force (through their expiry day)."""
    today = today or timezone.localdate()
    return AccessException.objects.filter(
        organization=organization, status=AccessException.Status.APPROVED, expires_on__gte=today
    )


def exceptions_by_person(organization: Organization, today: date | None = None) -> dict[int, list[AccessException]]:
    found: dict[int, list[AccessException]] = defaultdict(list)
    for exception in valid_exceptions(organization, today):
        found[exception.person_id].append(exception)
    return found
