"""Reads of the roster that pages, workflows, checks and other apps share."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role
from safeguard.workforce.models import Person, WorkforceSettings


def workforce_settings(organization: Organization) -> WorkforceSettings:
    found = WorkforceSettings.objects.filter(organization=organization).first()
    return found or WorkforceSettings(organization=organization)


def people(organization: Organization) -> QuerySet[Person]:
    return Person.objects.filter(organization=organization)


def member_users(organization: Organization) -> dict[str, User]:
    """Every current member (not an auditor) by lower-cased email: who in Safeguard a roster person is."""
    members = (
        Membership.objects.current().filter(organization=organization).exclude(role=Role.AUDITOR).select_related("user")
    )
    return {member.user.email.lower(): member.user for member in members}


def users_by_email(organization: Organization, emails: Iterable[str]) -> dict[str, User]:
    """The current members (not auditors) among `emails`, by lower-cased email."""
    wanted = {email.lower() for email in emails if email}
    if not wanted:
        return {}
    return {email: user for email, user in member_users(organization).items() if email in wanted}


def user_for_person(organization: Organization, person: Person | None) -> User | None:
    """The Safeguard member who is this person (same email), if any."""
    if person is None or not person.email:
        return None
    return users_by_email(organization, [person.email]).get(person.email.lower())


def security_official(organization: Organization) -> User | None:
    member = (
        Membership.objects.current()
        .filter(organization=organization, role=Role.SECURITY_OFFICIAL)
        .select_related("user")
        .order_by("created_at")
        .first()
    )
    return member.user if member else None
