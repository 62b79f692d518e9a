"""Helpers the security reminder tests share: reminders and deliveries made straight through the ORM, the members
in roles the shared cast lacks, and a small roster.

No tests live here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.core.roles import Role
from safeguard.training.models import ReminderDelivery, SecurityReminder
from safeguard.workforce.models import Person
from tests.access_factories import person
from tests.conftest import Cast, make_member

BODY = "Lock your screen (**Windows+L**) whenever you step away."


def at(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def member(cast: Cast, who: str) -> User:
    """One of the cast, or a new member in a role the cast lacks (privacy, manager, reviewer)."""
    roles = {"privacy": Role.PRIVACY_OFFICER, "manager": Role.MANAGER, "reviewer": Role.REVIEWER}
    if who in roles:
        return make_member(cast.org, f"{who}@clinic.test", roles[who]).user
    user: User = getattr(cast, who)
    return user


def actor(user: User) -> Actor:
    return Actor(user=user)


def reminder(organization: Organization, title: str = "Lock your screen", **values: Any) -> SecurityReminder:
    values.setdefault("body", BODY)
    values.setdefault("status", SecurityReminder.Status.SCHEDULED)
    values.setdefault("scheduled_for", at(2027, 1, 31))
    return SecurityReminder.objects.create(organization=organization, title=title, **values)


def deliver(sent: SecurityReminder, people: list[Person], *, read: int = 0) -> list[ReminderDelivery]:
    """Mark the reminder sent to `people` (the first `read` of them have read it)."""
    when = sent.sent_at or sent.scheduled_for
    rows = [
        ReminderDelivery.objects.create(
            organization=sent.organization,
            reminder=sent,
            person=who,
            delivered_at=when,
            read_at=when if index < read else None,
        )
        for index, who in enumerate(people)
    ]
    SecurityReminder.objects.filter(pk=sent.pk).update(
        status=SecurityReminder.Status.SENT, sent_at=when, recipients=len(rows)
    )
    sent.refresh_from_db()
    return rows


def roster(organization: Organization) -> dict[str, Person]:
    """Three active people (one is the cast's workforce member, by email), one on leave, one who left."""
    return {
        "nurse": person(organization, "N1", name="Nora Nurse", email="nurse@clinic.test"),
        "clerk": person(organization, "C1", name="Cal Clerk", department="Billing", job_role="Clerk"),
        "noemail": person(organization, "X1", name="Xan Nomail", email=""),
        "leave": person(organization, "L1", name="Lee Leave", status=Person.Status.LEAVE),
        "gone": person(organization, "G1", name="Gus Gone", status=Person.Status.TERMINATED),
    }


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))
