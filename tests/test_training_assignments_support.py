"""Helpers the assignment rule and assignment tests share. No tests live here."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import AuditEvent, Organization, User
from safeguard.core.roles import Role
from safeguard.risk.models import SanctionLevel, SanctionRecord
from safeguard.training.models import Assignment, Course
from safeguard.training.services.assignment_rules import assignments_sync
from safeguard.workforce.models import Person
from tests.conftest import Cast, make_member

TODAY = date(2026, 4, 15)
AUDIT_TABLES = ('"core_auditevent"', '"core_chainhead"')


def at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def sync(organization: Organization, today: date = TODAY) -> dict[str, int]:
    return assignments_sync(organization=organization, today=today)


def open_rows(organization: Organization | None = None, **filters: Any) -> list[Assignment]:
    rows = Assignment.objects.filter(status=Assignment.Status.OPEN, **filters)
    if organization is not None:
        rows = rows.filter(organization=organization)
    return list(rows.select_related("person", "course", "rule").order_by("person__employee_id", "course__code"))


def open_pairs(organization: Organization) -> list[tuple[str, str]]:
    return [(row.person.employee_id, row.course.code) for row in open_rows(organization)]


def only_open(person: Person, course: Course) -> Assignment:
    return Assignment.objects.get(person=person, course=course, status=Assignment.Status.OPEN)


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def audit_count() -> int:
    return AuditEvent.objects.count()


def counted(run: Any) -> tuple[int, int, int]:
    """Queries `run()` makes: (the others, those writing the audit trail, the INSERTs of assignments)."""
    with CaptureQueriesContext(connection) as captured:
        run()
    sqls = [query["sql"] for query in captured.captured_queries]
    audit = sum(1 for sql in sqls if any(table in sql for table in AUDIT_TABLES))
    inserts = sum(1 for sql in sqls if sql.startswith('INSERT INTO "training_assignment"'))
    return len(sqls) - audit - inserts, audit, inserts


def privacy_officer(cast: Cast) -> User:
    return make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user


def manager_member(cast: Cast) -> User:
    return make_member(cast.org, "manager@clinic.test", Role.MANAGER).user


def sanction(
    cast: Cast, person: User | None, decided_on: date, *, organization: Organization | None = None
) -> SanctionRecord:
    """A sanction naming `person` (a user), or only a typed name when None; recorded directly (no signal)."""
    return SanctionRecord.objects.create(
        organization=organization or cast.org,
        person_name="Typed Name",
        person=person,
        occurred_on=decided_on,
        decided_on=decided_on,
        violation="Shared a password",
        policy_breached="Passwords",
        level=SanctionLevel.WRITTEN_WARNING,
        decided_by=cast.official,
        created_by=cast.official,
    )
