"""Helpers the systems and accounts tests share: account lists as CSV text, imports run the way the command runs
them (check, then commit in one transaction) or through the background pipeline, and a leaver with an account.

No tests live here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeguard.access.account_import import KIND
from safeguard.access.models import AccountSnapshot, System
from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import CheckedFile, Outcome, importer_for
from safeguard.core.models import AuditEvent, FileImport, User
from safeguard.core.services.file_imports import check_table, import_apply, import_commit, import_map, import_start
from safeguard.workforce.models import Person
from safeguard.workforce.services.people import person_write
from tests import access_factories as make
from tests.conftest import Cast

Capture = Callable[..., AbstractContextManager[Any]]
HEADER = "username,email,employee_id,display_name,roles,status,last_login,mfa_enabled,privileged"
# Well in the past, so a list "as of" it is never in the future.
TAKEN_AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(0))


def lines(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def table(text: str) -> tabular.Table:
    return tabular.read_table(text.encode(), "csv", max_rows=importer_for(KIND).max_rows)


def options(system: str = "EHR", taken_at: datetime | str = TAKEN_AT) -> dict[str, Any]:
    return {"system": system, "taken_at": taken_at.isoformat() if isinstance(taken_at, datetime) else taken_at}


def check(cast: Cast, text: str, **chosen: Any) -> CheckedFile:
    importer = importer_for(KIND)
    data = table(text)
    cleaned = importer.clean_options(cast.org, options(**chosen))
    return check_table(importer, cast.org, data, importer.guess_mapping(data.headers), cleaned)


def commit(cast: Cast, text: str, *, user: User | None = None, **chosen: Any) -> tuple[CheckedFile, Outcome]:
    """Check and write a list in one transaction, as the command does; raises ImportRejected when refused."""
    importer = importer_for(KIND)
    data = table(text)
    cleaned = importer.clean_options(cast.org, options(**chosen))
    return import_apply(
        organization=cast.org,
        actor=Actor(user=user or cast.owner),
        importer=importer,
        table=data,
        mapping=importer.guess_mapping(data.headers),
        options=cleaned,
        file_name="ehr-users.csv",
    )


def upload(text: str, name: str = "ehr-users.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def pipeline(cast: Cast, capture: Capture, text: str, **chosen: Any) -> FileImport:
    """Uploaded, mapped, checked and committed through the background tasks, as the pages drive it."""
    actor = Actor(user=cast.owner)
    job = import_start(organization=cast.org, actor=actor, kind=KIND, upload=upload(text), options=options(**chosen))
    with capture(execute=True):
        import_map(organization=cast.org, actor=actor, job=job, mapping=job.mapping)
    job.refresh_from_db()
    if job.state == FileImport.State.READY:
        with capture(execute=True):
            import_commit(organization=cast.org, actor=actor, job=job)
        job.refresh_from_db()
    return job


def summary(checked: CheckedFile) -> dict[str, int]:
    return {line["key"]: line["count"] for line in checked.summary}


def latest(system: System) -> AccountSnapshot:
    return system.snapshots.order_by("-taken_at", "-pk").first()  # type: ignore[return-value]


def ehr(cast: Cast, name: str = "EHR") -> System:
    return make.system(cast.org, name, owner=cast.official)


def actions(prefix: str = "access.") -> list[str]:
    events = AuditEvent.objects.filter(action__startswith=prefix).order_by("sequence")
    return list(events.values_list("action", flat=True))


def leaver(cast: Cast, system: System, *, username: str, terminated_at: datetime) -> Person:
    """Someone on the roster holding `username` in the system's list before they left, then terminated through
    person_write: the leaver workflow plans one deprovisioning task for the account."""
    actor = Actor(user=cast.owner)
    person, _ = person_write(
        organization=cast.org,
        actor=actor,
        person=None,
        values={"employee_id": "E-900", "given_name": "Lee", "family_name": "Park", "email": "lpark@clinic.test"},
        source=Person.Source.MANUAL,
        trigger="test",
        open_workflows=False,
        now=terminated_at - timedelta(days=30),
    )
    make.snapshot(system, [{"username": username, "person": person}], taken_at=terminated_at - timedelta(days=1))
    person_write(
        organization=cast.org,
        actor=actor,
        person=person,
        values={"termination_at": terminated_at},
        source=Person.Source.MANUAL,
        trigger="test",
        now=terminated_at,
    )
    return person
