"""Who an audience is: everyone, or people in some departments, job roles or worker types.

Rules that assign courses also have event audiences (new hires, privileged access, phishing clickers, people
named in a sanction); those are worked out in services/assignment_rules.py. Reminders and policies use only the
roster audiences here.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from safeguard.core.models import Organization
from safeguard.training.models import ROSTER_AUDIENCES, AudienceKind
from safeguard.workforce.models import Person, WorkerType

# People who are workforce today: active or on leave (termination is what takes someone out of an audience).
CURRENT_STATUSES = (Person.Status.ACTIVE, Person.Status.LEAVE)
VALUED = (AudienceKind.DEPARTMENT, AudienceKind.JOB_ROLE, AudienceKind.WORKER_TYPE)
MAX_VALUES = 100


def current_people(organization: Organization) -> QuerySet[Person]:
    return Person.objects.filter(organization=organization, status__in=CURRENT_STATUSES, scim_deleted=False)


def clean_values(values: object) -> list[str]:
    """Stripped, de-duplicated (case-insensitively, first spelling kept), empty ones dropped."""
    if not isinstance(values, list | tuple):
        return []
    seen: set[str] = set()
    cleaned = []
    for value in values:
        text = str(value).strip()
        if text and text.lower() not in seen:
            seen.add(text.lower())
            cleaned.append(text)
    return cleaned


def audience_error(kind: str, values: list[str], allowed: tuple[str, ...] = ROSTER_AUDIENCES) -> str:
    """Why (kind, values) is not a usable audience, or ""."""
    if kind not in allowed:
        names = ", ".join(str(AudienceKind(k).label).lower() for k in allowed)
        return f"Choose one of the audiences: {names}."
    if kind in VALUED and not values:
        what = {"department": "department", "job_role": "job role", "worker_type": "worker type"}[kind]
        return f"Name at least one {what}."
    if kind not in VALUED and values:
        return f"The audience “{AudienceKind(kind).label}” takes no list of values."
    if len(values) > MAX_VALUES:
        return f"At most {MAX_VALUES} values."
    if kind == AudienceKind.WORKER_TYPE:
        unknown = [value for value in values if value not in WorkerType.values]
        if unknown:
            return f"Unknown worker type {unknown[0]!r}: use {', '.join(WorkerType.values)}."
    return ""


def roster_filter(kind: str, values: list[str]) -> Q:
    """The people of a roster audience, as a filter on Person (case-insensitive on departments and roles)."""
    if kind == AudienceKind.EVERYONE:
        return Q()
    if kind == AudienceKind.WORKER_TYPE:
        return Q(worker_type__in=values)
    field = "department" if kind == AudienceKind.DEPARTMENT else "job_role"
    match = Q(pk__in=[])
    for value in values:
        match |= Q(**{f"{field}__iexact": value})
    return match


def roster_audience(organization: Organization, kind: str, values: list[str]) -> QuerySet[Person]:
    """The current people (active or on leave) in a roster audience."""
    if kind not in ROSTER_AUDIENCES:
        raise ValueError(f"{kind!r} is not a roster audience")
    return current_people(organization).filter(roster_filter(kind, values))


def describe_audience(kind: str, values: list[str]) -> str:
    label = str(AudienceKind(kind).label) if kind in AudienceKind.values else kind
    if values:
        return f"{label}: {', '.join(values)}"
    return label
