"""Helpers the role profile and access exception tests share: a clinic with a roster manager who is also a
Safeguard member, her report, another manager, and a system. No tests live here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils import timezone

from safeguard.access.models import AccessException, System
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.core.roles import Role
from safeguard.workforce.models import Person
from tests import access_factories as make
from tests.conftest import Cast, make_member

TODAY = timezone.localdate()


def member(org: Organization, email: str, role: str) -> User:
    return make_member(org, email, role).user


@dataclass
class Team:
    """Maria manages Dana on the roster and is a Safeguard manager; Omar manages someone else."""

    maria: User  # Dana's manager, a Safeguard member (manager role)
    omar: User  # another manager
    reviewer: User
    privacy: User
    maria_person: Person
    dana: Person
    sam: Person  # Omar's report
    ehr: System


def team(cast: Cast) -> Team:
    maria = member(cast.org, "maria@clinic.test", Role.MANAGER)
    omar = member(cast.org, "omar@clinic.test", Role.MANAGER)
    reviewer = member(cast.org, "reviewer@clinic.test", Role.REVIEWER)
    privacy = member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER)
    maria_person = make.person(cast.org, "E-100", name="Maria Lopez", email="Maria@clinic.test", job_role="Manager")
    omar_person = make.person(cast.org, "E-101", name="Omar Haddad", email="omar@clinic.test", job_role="Manager")
    dana = make.person(cast.org, "E-200", name="Dana Reyes", manager=maria_person)
    sam = make.person(cast.org, "E-201", name="Sam Ito", manager=omar_person)
    return Team(maria, omar, reviewer, privacy, maria_person, dana, sam, make.system(cast.org, "EHR"))


def who(cast: Cast, crew: Team, name: str) -> User:
    users = {
        "owner": cast.owner,
        "official": cast.official,
        "workforce": cast.workforce,
        "auditor": cast.auditor,
        "outsider": cast.outsider,
        "maria": crew.maria,
        "omar": crew.omar,
        "reviewer": crew.reviewer,
        "privacy": crew.privacy,
    }
    return users[name]


def requested(
    cast: Cast,
    crew: Team,
    *,
    by: User | None = None,
    role: str = "billing",
    person: Person | None = None,
    expires_on: date | None = None,
) -> AccessException:
    return make.exception(
        cast.org,
        person or crew.dana,
        crew.ehr,
        role,
        approver=by or cast.owner,
        expires_on=expires_on or TODAY + timedelta(days=30),
        status=AccessException.Status.REQUESTED,
    )


def actor(user: User) -> Actor:
    return Actor(user=user)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))
