"""Helpers the roster tests share: a roster source, CSV text, and running a file through the pipeline.

No tests live here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import CheckedFile, importer_for
from safeguard.core.models import FileImport, Organization
from safeguard.core.services import file_imports
from safeguard.workforce.models import Person, RosterSource, Workflow
from safeguard.workforce.roster_import import KIND
from tests.access_factories import person
from tests.conftest import Cast

HEADER = "Employee ID,First Name,Last Name,Work Email,Department,Title,Supervisor ID,Employee Type,Hire Date,Term Date"
HIRED = "2021-04-01"


def recent(days: int) -> str:
    """A date `days` before today, as a roster writes it: recent leavers must be inside the 90-day lookback."""
    return (timezone.localdate() - timedelta(days=days)).isoformat()


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def source(org: Organization, name: str = "Payroll HR", time_zone: str = "America/New_York") -> RosterSource:
    return RosterSource.objects.create(organization=org, name=name, time_zone=time_zone)


def upload(text: str, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def check(org: Organization, text: str, *, roster: RosterSource | None = None, **options: Any) -> CheckedFile:
    """Check a file with the guessed mapping, nothing written."""
    importer = importer_for(KIND)
    roster = roster or RosterSource.objects.filter(organization=org).first() or source(org)
    table = tabular.read_table(text.encode(), "csv")
    cleaned = importer.clean_options(org, {"source": str(roster.public_id), **options})
    return file_imports.check_table(importer, org, table, importer.guess_mapping(table.headers), cleaned)


def commit(cast: Cast, text: str, *, roster: RosterSource | None = None, **options: Any) -> FileImport:
    """Upload, map (guessed), check and commit through the services, as the page does; tasks run inline."""
    roster = roster or RosterSource.objects.filter(organization=cast.org).first() or source(cast.org)
    actor = Actor(user=cast.owner)
    job = file_imports.import_start(
        organization=cast.org,
        actor=actor,
        kind=KIND,
        upload=upload(text),
        options={"source": str(roster.public_id), **options},
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=actor, job=job, mapping=dict(job.mapping))
    job.refresh_from_db()
    if job.state == FileImport.State.READY:
        with TestCase.captureOnCommitCallbacks(execute=True):
            file_imports.import_commit(organization=cast.org, actor=actor, job=job)
        job.refresh_from_db()
    return job


def summary(checked: CheckedFile | FileImport) -> dict[str, int]:
    return {line["key"]: line["count"] for line in checked.summary}


def errors(checked: CheckedFile | FileImport) -> list[tuple[int, str, str]]:
    return [(error["row"], error["column"], error["message"]) for error in checked.errors]


def staff(cast: Cast) -> dict[str, Person]:
    """A small clinic already on the roster: a director, two nurses reporting to her, a billing clerk."""
    director = person(cast.org, "E-100", name="Ana Director", department="Administration", job_role="Director")
    return {
        "director": director,
        "nurse": person(cast.org, "E-101", name="Ben Nurse", manager=director, hire_date=date(2021, 4, 1)),
        "night": person(cast.org, "E-102", name="Cy Night", manager=director, hire_date=date(2021, 4, 1)),
        "clerk": person(
            cast.org, "E-103", name="Di Clerk", department="Billing", job_role="Clerk", hire_date=date(2021, 4, 1)
        ),
    }


def workflows(kind: str | None = None) -> list[str]:
    rows = Workflow.objects.order_by("person__employee_id")
    if kind:
        rows = rows.filter(kind=kind)
    return [f"{w.kind}:{w.person.employee_id}" for w in rows.select_related("person")]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
