"""Role profiles (minimum necessary): what each job may hold, and how the roster is covered by them.

Matching ignores case, as ProfileBook does, so uniqueness ignores case too: "Nursing / Nurse" and
"nursing / nurse" would be the same job, and two profiles for it would only hide which one was meant.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from safeguard.access.models import ProfileGrant, RoleProfile, System
from safeguard.access.queries import profile_matches
from safeguard.access.rules import ANY_ROLE
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.workforce.models import Person

PROFILE_FIELDS = ("name", "department", "job_role", "requires_clearance", "description")
TRIGGER = "access.profiles"
LIMITS = {"name": 200, "department": 100, "job_role": 100}
ROLE_MAX = 200


# ---- reads the pages and the API share -------------------------------------------------------------------------


def scope_text(department: str, job_role: str) -> str:
    """Who a profile (or a roster group) is, in words."""
    if department and job_role:
        return f"job role “{job_role}” in department “{department}”"
    if department:
        return f"every job role in department “{department}”"
    if job_role:
        return f"job role “{job_role}” in every department"
    return "everyone (no department or job role given)"


def on_roster(organization: Organization) -> QuerySet[Person]:
    """The people profiles are for: everyone not terminated (people on leave keep their access)."""
    return Person.objects.filter(organization=organization).exclude(status=Person.Status.TERMINATED)


def matched_people(profile: RoleProfile) -> QuerySet[Person]:
    people = on_roster(profile.organization)
    if profile.department:
        people = people.filter(department__iexact=profile.department)
    if profile.job_role:
        people = people.filter(job_role__iexact=profile.job_role)
    return people


@dataclass(frozen=True)
class JobGroup:
    department: str
    job_role: str
    people: int

    @property
    def scope(self) -> str:
        return scope_text(self.department, self.job_role)


@dataclass
class Coverage:
    """How the roster falls into profiles: people each profile matches, and the jobs no profile matches."""

    matched: dict[int, int] = field(default_factory=dict)  # profile id → people it matches
    uncovered: list[JobGroup] = field(default_factory=list)  # most people first

    @property
    def uncovered_people(self) -> int:
        return sum(group.people for group in self.uncovered)


def coverage(organization: Organization, profiles: list[RoleProfile] | None = None) -> Coverage:
    """Two queries at most, however large the roster: people are counted per job, then jobs matched in memory."""
    if profiles is None:
        profiles = list(RoleProfile.objects.filter(organization=organization))
    found = Coverage(matched={profile.pk: 0 for profile in profiles})
    jobs = on_roster(organization).values_list("department", "job_role").annotate(n=Count("pk")).order_by()
    merged: dict[tuple[str, str], JobGroup] = {}
    for department, job_role, n in jobs:
        matching = [p for p in profiles if profile_matches(p, department, job_role)]
        for profile in matching:
            found.matched[profile.pk] += n
        if not matching:
            # The roster may spell one job in several cases; the page shows it once.
            key = (department.lower(), job_role.lower())
            seen = merged.get(key)
            merged[key] = JobGroup(department, job_role, n + (seen.people if seen else 0))
    found.uncovered = sorted(merged.values(), key=lambda g: (-g.people, g.department.lower(), g.job_role.lower()))
    return found


def profiles_with_grants(organization: Organization) -> QuerySet[RoleProfile]:
    grants = ProfileGrant.objects.select_related("system__asset").order_by("system__asset__name", "role")
    return RoleProfile.objects.filter(organization=organization).prefetch_related(Prefetch("grants", queryset=grants))


def grant_text(grant: ProfileGrant) -> str:
    role = "any role that is not privileged" if grant.role == ANY_ROLE else f"“{grant.role}”"
    return f"{role} on {grant.system.asset.name}{' (privileged)' if grant.privileged else ''}"


# ---- profiles -----------------------------------------------------------------------------------------------------


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    return {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}


def _check_profile(organization: Organization, profile: RoleProfile) -> None:
    errors: dict[str, str] = {}
    if not profile.name:
        errors["name"] = "Give the profile a name, e.g. “Nurses”."
    for name, limit in LIMITS.items():
        if len(getattr(profile, name)) > limit:
            errors.setdefault(name, f"At most {limit} characters.")
    others = RoleProfile.objects.filter(organization=organization).exclude(pk=profile.pk)
    if profile.name and others.filter(name__iexact=profile.name).exists():
        errors.setdefault("name", f"Another profile is already named “{profile.name}”: pick another name.")
    same_job = others.filter(department__iexact=profile.department, job_role__iexact=profile.job_role).first()
    if same_job is not None:
        where = "job_role" if profile.job_role else "department"
        errors.setdefault(
            where,
            f"The profile “{same_job.name}” already covers {scope_text(same_job.department, same_job.job_role)}: "
            "add grants to it rather than a second profile for the same job.",
        )
    ServiceError.raise_first(errors)


def profile_create(
    *,
    organization: Organization,
    actor: Actor,
    name: str,
    department: str = "",
    job_role: str = "",
    requires_clearance: bool = False,
    description: str = "",
) -> RoleProfile:
    values = _clean(
        {
            "name": name,
            "department": department,
            "job_role": job_role,
            "requires_clearance": requires_clearance,
            "description": description,
        }
    )
    profile = RoleProfile(organization=organization, **values)
    with transaction.atomic():
        _check_profile(organization, profile)
        profile.save()
        audit_record(
            actor=actor,
            action="access.profile.created",
            organization=organization,
            target=profile,
            changes={name: [None, value] for name, value in snapshot(profile, PROFILE_FIELDS).items()},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return profile


def _locked(organization: Organization, profile: RoleProfile) -> RoleProfile:
    return RoleProfile.objects.select_for_update().get(pk=profile.pk, organization=organization)


def profile_update(*, organization: Organization, actor: Actor, profile: RoleProfile, **values: Any) -> RoleProfile:
    """Change any of the profile's fields; fields left out keep their value."""
    unknown = set(values) - set(PROFILE_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = _locked(organization, profile)
        before = snapshot(locked, PROFILE_FIELDS)
        for name, value in _clean(values).items():
            setattr(locked, name, value)
        _check_profile(organization, locked)
        changes = field_changes(before, snapshot(locked, PROFILE_FIELDS))
        if changes:
            locked.updated_at = timezone.now()
            locked.save()
            audit_record(
                actor=actor, action="access.profile.updated", organization=organization, target=locked, changes=changes
            )
            request_evaluation_on_commit(organization, TRIGGER)
    return locked


def _grant_record(grant: ProfileGrant) -> dict[str, object]:
    return {"system": grant.system.asset.name, "role": grant.role, "privileged": grant.privileged}


def profile_delete(*, organization: Organization, actor: Actor, profile: RoleProfile) -> None:
    """Nothing depends on a profile but its grants, which go with it. The audit event keeps what it allowed, since
    the people it matched may now hold access beyond profile."""
    with transaction.atomic():
        locked = _locked(organization, profile)
        grants = [_grant_record(g) for g in locked.grants.select_related("system__asset").order_by("system_id", "role")]
        changes: dict[str, list[object]] = {
            name: [value, None] for name, value in snapshot(locked, PROFILE_FIELDS).items()
        }
        changes["grants"] = [grants, None]
        audit_record(
            actor=actor,
            action="access.profile.deleted",
            organization=organization,
            target=locked,
            changes=changes,
        )
        locked.delete()
        request_evaluation_on_commit(organization, TRIGGER)


# ---- grants -------------------------------------------------------------------------------------------------------


def _check_system(organization: Organization, system: System) -> None:
    if system.organization_id != organization.pk:
        raise ServiceError("That system is not one of this organization's.", field="system")


def _role(role: str) -> str:
    role = role.strip()
    if not role:
        raise ServiceError(f"Name the role, or “{ANY_ROLE}” for any role that is not privileged.", field="role")
    if len(role) > ROLE_MAX:
        raise ServiceError(f"A role name has at most {ROLE_MAX} characters.", field="role")
    return role


def _same_grant(profile: RoleProfile, system: System, role: str) -> Q:
    return Q(profile=profile, system=system, role__iexact=role)


def grant_add(
    *,
    organization: Organization,
    actor: Actor,
    profile: RoleProfile,
    system: System,
    role: str,
    privileged: bool = False,
) -> ProfileGrant:
    """Allow a role on a system to everyone the profile matches. "*" allows every role that is not privileged; a
    privileged grant also allows privileged (administrative) accounts on the system."""
    _check_system(organization, system)
    role = _role(role)
    with transaction.atomic():
        locked = _locked(organization, profile)
        if ProfileGrant.objects.filter(_same_grant(locked, system, role)).exists():
            what = "any role" if role == ANY_ROLE else f"“{role}”"
            raise ServiceError(
                f"The profile already allows {what} on {system.asset.name}: remove that grant first to change it.",
                field="role",
            )
        grant = ProfileGrant.objects.create(profile=locked, system=system, role=role, privileged=privileged)
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action="access.profile.grant_added",
            organization=organization,
            target=locked,
            changes={"grant": [None, _grant_record(grant)]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
    return grant


def grant_remove(*, organization: Organization, actor: Actor, profile: RoleProfile, system: System, role: str) -> None:
    _check_system(organization, system)
    role = _role(role)
    with transaction.atomic():
        locked = _locked(organization, profile)
        grant = ProfileGrant.objects.filter(_same_grant(locked, system, role)).select_related("system__asset").first()
        if grant is None:
            raise ServiceError(f"The profile has no grant of “{role}” on {system.asset.name}.", field="role")
        record = _grant_record(grant)
        grant.delete()
        locked.updated_at = timezone.now()
        locked.save(update_fields=["updated_at"])
        audit_record(
            actor=actor,
            action="access.profile.grant_removed",
            organization=organization,
            target=locked,
            changes={"grant": [record, None]},
        )
        request_evaluation_on_commit(organization, TRIGGER)
