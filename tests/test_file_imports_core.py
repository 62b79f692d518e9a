"""The shared import pipeline (core/imports.py, core/services/file_imports.py) with a small importer of its own:
mapping rules, cell parsing, wall-clock times across daylight-saving changes, and the all-or-nothing commit."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safeguard.core import imports, tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import CheckedFile, Column, Importer, ImportRefused, LocalTimeError, Outcome, Tick
from safeguard.core.models import AuditEvent, FileImport, Obligation, Organization
from safeguard.core.services import file_imports
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast, client_for

NEW_YORK = ZoneInfo("America/New_York")
State = FileImport.State


class DutyImporter(Importer):
    """Imports obligations' titles, so a test can see what was written; refuses a title 'boom' at write time."""

    kind = "tests.duties"
    label = "Duties"
    columns = (
        Column("title", "Title", required=True, aliases=("duty",)),
        Column("due", "Due date"),
        Column("note", "Note", free_text=True),
    )

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        checked = CheckedFile(plan=[])
        reader = self.reader(table.headers, mapping)
        for position, row in enumerate(table.rows, start=1):
            cells = reader.cells(row)
            problems = {}
            if not cells.get("title"):
                problems["title"] = "Give the title."
            due = imports.parse_date(cells.get("due", "")) if cells.get("due") else None
            if cells.get("due") and due is None:
                problems["due"] = f"{cells['due']!r} is not a date."
            if problems:
                checked.errors.extend(reader.errors(row.number, problems))
            else:
                checked.plan.append((cells["title"], due))
            tick(position)
        checked.count("duties", "Duties", len(checked.plan))
        checked.preview = [{"row": n, "action": "Create", "cells": [t]} for n, (t, _) in enumerate(checked.plan, 2)]
        return checked

    def apply(
        self,
        organization: Organization,
        actor: Actor,
        checked: CheckedFile,
        options: dict[str, Any],
        file_name: str,
        *,
        file_sha256: str = "",
        file_import: FileImport | None = None,
    ) -> Outcome:
        assert actor.user is not None
        for title, due in checked.plan:
            if title == "boom":
                raise ServiceError("The duty 'boom' cannot be written.")
            Obligation.objects.create(
                organization=organization, title=title, due_on=due or date(2027, 1, 1), owner=actor.user
            )
        return Outcome(created=len(checked.plan), updated=0, result={"titles": len(checked.plan)})


@pytest.fixture(autouse=True)
def duty_importer():
    importer = DutyImporter()
    imports._importers[importer.kind] = importer
    yield importer
    imports._importers.pop(importer.kind, None)


def upload(text: str, name: str = "duties.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def start(cast: Cast, text: str) -> FileImport:
    return file_imports.import_start(
        organization=cast.org, actor=Actor(user=cast.owner), kind="tests.duties", upload=upload(text)
    )


# ---- mapping ---------------------------------------------------------------------------------------------------


def test_the_mapping_is_guessed_from_names_labels_and_aliases(duty_importer: DutyImporter) -> None:
    assert duty_importer.guess_mapping(["Duty", "Due Date", "Other"]) == {"title": "Duty", "due": "Due Date"}


@pytest.mark.parametrize(
    ("mapping", "field", "message"),
    [
        ({}, "title", "Choose the column for “Title”: it is required."),
        ({"title": "Nope"}, "title", "The file has no column headed 'Nope'."),
        ({"title": "Title", "due": "Title"}, "due", "The column 'Title' is already used for “Title”."),
        ({"title": "Title", "owner": "Title"}, "owner", "'owner' is not a column of this import"),
    ],
)
def test_a_mapping_that_cannot_work_names_the_field_and_why(
    duty_importer: DutyImporter, mapping: dict[str, str], field: str, message: str
) -> None:
    problems = duty_importer.mapping_errors(["Title", "Due date"], mapping)
    assert problems[field].startswith(message)


def test_a_file_without_an_identifying_column_is_refused_when_the_importer_needs_one(
    duty_importer: DutyImporter,
) -> None:
    duty_importer.one_of = ("due", "note")  # type: ignore[misc]
    try:
        problems = duty_importer.mapping_errors(["Title"], {"title": "Title"})
        assert duty_importer.mapping_errors(["Title", "Note"], {"title": "Title", "note": "Note"}) == {}
    finally:
        del duty_importer.one_of
    assert problems == {"due": "The file needs a column identifying each row: map “Due date” or “Note”."}


# ---- cells and wall-clock times --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-03-08", date(2026, 3, 8)), ("03/08/2026", date(2026, 3, 8)), ("8.3.2026", date(2026, 3, 8)), ("x", None)],
)
def test_dates_in_the_formats_hr_exports_use(text: str, expected: date | None) -> None:
    assert imports.parse_date(text) == expected


def test_a_time_skipped_by_the_spring_change_is_refused() -> None:
    with pytest.raises(LocalTimeError, match="does not exist in America/New_York"):
        imports.aware(datetime(2026, 3, 8, 2, 30), NEW_YORK)  # noqa: DTZ001  (a wall-clock time on purpose)


def test_a_time_that_happens_twice_in_the_autumn_is_refused_unless_it_carries_an_offset() -> None:
    with pytest.raises(LocalTimeError, match="happens twice"):
        imports.aware(datetime(2026, 11, 1, 1, 30), NEW_YORK)  # noqa: DTZ001
    moment = imports.parse_naive_datetime("2026-11-01T01:30:00-05:00")
    assert moment is not None
    assert imports.aware(moment, NEW_YORK).astimezone(UTC) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)


def test_wall_clock_times_either_side_of_the_change_measure_the_real_hours_between() -> None:
    before = imports.aware(datetime(2026, 3, 8, 1, 30), NEW_YORK)  # noqa: DTZ001  EST, UTC-5
    after = imports.aware(datetime(2026, 3, 8, 3, 30), NEW_YORK)  # noqa: DTZ001  EDT, UTC-4
    assert (after - before).total_seconds() == 3600


def test_a_date_without_a_time_ends_at_the_end_of_that_day_in_the_zone() -> None:
    assert imports.end_of_day(date(2026, 7, 1), NEW_YORK).astimezone(UTC) == datetime(2026, 7, 2, 3, 59, tzinfo=UTC)


# ---- the pipeline ----------------------------------------------------------------------------------------------


def test_an_unknown_kind_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="Nothing imports files of kind 'nope'"):
        file_imports.import_start(organization=cast.org, actor=Actor(user=cast.owner), kind="nope", upload=upload("a"))
    with pytest.raises(ImportRefused):
        imports.importer_for("nope")


def test_a_clean_file_is_checked_then_committed_with_its_summary_and_one_audit_event(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    job = start(cast, "Duty,Due date\nReview access,2027-01-15\nTest restore,2027-02-01\n")
    assert job.mapping == {"title": "Duty", "due": "Due date"}
    assert len(job.sha256) == 64
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)
    job.refresh_from_db()
    assert (job.state, job.total_rows, job.processed_rows) == (State.READY, 2, 2)
    assert job.summary == [{"key": "duties", "label": "Duties", "count": 2}]
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)
    job.refresh_from_db()
    assert (job.state, job.created_count, job.result) == (State.COMMITTED, 2, {"titles": 2})
    assert sorted(Obligation.objects.filter(organization=cast.org).values_list("title", flat=True)) == [
        "Review access",
        "Test restore",
    ]
    committed = AuditEvent.objects.get(action="import.committed")
    assert committed.changes["rows"] == [None, 2]


def test_errors_are_listed_by_row_and_the_files_column_and_nothing_can_be_committed(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    job = start(cast, "Duty,Due date\n,2027-01-15\nTest restore,soon\n")
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)
    job.refresh_from_db()
    assert job.state == State.INVALID
    assert job.errors == [
        {"row": 2, "column": "Duty", "message": "Give the title."},
        {"row": 3, "column": "Due date", "message": "'soon' is not a date."},
    ]
    with pytest.raises(ServiceError, match="Only a checked file without errors can be committed"):
        file_imports.import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)


def test_a_row_refused_while_writing_rolls_back_every_row_before_it(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    job = start(cast, "Duty\nFirst\nboom\n")
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)
    job.refresh_from_db()
    assert job.state == State.FAILED
    assert "The duty 'boom' cannot be written." in job.failure
    assert not Obligation.objects.filter(organization=cast.org).exists()
    assert not AuditEvent.objects.filter(action="import.committed").exists()


def test_the_job_page_shows_progress_errors_and_is_hidden_from_other_organizations(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    job = start(cast, "Duty,Due date\nReview,later\n")
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)
    url = reverse("core:file_import_detail", args=[cast.org.slug, job.public_id])
    page = client_for(cast.owner).get(url)
    assert page.status_code == 200
    assert "&#x27;later&#x27; is not a date." in page.content.decode()
    assert client_for(cast.workforce).get(url).status_code == 403
    other = reverse("core:file_import_detail", args=[cast.other_org.slug, job.public_id])
    assert client_for(cast.outsider).get(other).status_code == 404


def test_the_api_follows_an_import_and_refuses_another_organizations(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    from rest_framework.test import APIClient

    job = start(cast, "Duty\nReview\n")
    client = APIClient()
    client.force_login(cast.owner)
    base = f"/api/v1/orgs/{cast.org.slug}/file-imports/{job.public_id}/"
    with django_capture_on_commit_callbacks(execute=True):
        mapped = client.post(f"{base}mapping/", {"mapping": {"title": "Duty"}}, format="json")
    assert mapped.status_code == 202
    assert client.get(base).json()["state"] == State.READY
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"{base}commit/").status_code == 202
    assert client.get(base).json()["created_count"] == 1
    outsider = APIClient()
    outsider.force_login(cast.outsider)
    assert outsider.get(f"/api/v1/orgs/{cast.other_org.slug}/file-imports/{job.public_id}/").status_code == 404


# ---- reading large files ---------------------------------------------------------------------------------------


def test_a_bad_byte_deep_in_a_csv_file_is_a_sentence_not_a_crash() -> None:
    rows = "".join(f"Duty {n},2027-01-01\n" for n in range(60_000))
    data = b"Duty,Due date\n" + rows.encode() + b"Caf\xe9,2027-01-01\n"

    assert tabular.read_headers(data, "csv") == ["Duty", "Due date"]  # the first line alone is decoded
    with pytest.raises(
        tabular.TabularError, match=r"The file stops being UTF-8 text after line \d{5}: save it as “CSV UTF-8”"
    ):
        tabular.read_table(data, "csv", max_rows=100_000)
    with pytest.raises(tabular.TabularError, match="not UTF-8 text"):
        tabular.read_table(b"Duty;Caf\xe9\nx;y\n", "csv")
    assert tabular.sniff_format(data[:-20], "duties.csv") == "csv"
    with pytest.raises(tabular.TabularError, match="its content is not UTF-8 text"):
        tabular.sniff_format(data, "duties.csv")


def test_the_separator_is_the_one_the_header_line_uses() -> None:
    data = b'Duty;"Due; date"\n"Review, then sign";2027-01-15\n'

    table = tabular.read_table(data, "csv")

    assert table.headers == ["Duty", "Due; date"]
    assert table.rows[0].cells == ["Review, then sign", "2027-01-15"]


def test_columns_named_unread_come_out_blank() -> None:
    table = tabular.read_table(b"Duty,Secret\nReview,hunter2\n", "csv", unread=("secret",))

    assert table.rows[0].cells == ["Review", ""]


# ---- uploads that are not kept ---------------------------------------------------------------------------------


@pytest.fixture
def unkept(duty_importer: DutyImporter):
    DutyImporter.keep_upload = False
    yield duty_importer
    DutyImporter.keep_upload = True


def test_an_upload_is_kept_by_default_and_deleted_after_the_commit_when_the_importer_says_so(
    cast: Cast, django_capture_on_commit_callbacks, unkept: DutyImporter
) -> None:
    job = start(cast, "Duty\nReview\n")
    stored = job.stored_name
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)
    assert default_storage.exists(stored)  # the check read it; the commit re-reads it
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)

    job.refresh_from_db()
    assert (job.state, job.stored_name, job.result) == (State.COMMITTED, "", {"titles": 1, "upload_bytes": 12})
    assert not default_storage.exists(stored)
    page = client_for(cast.owner).get(reverse("core:file_import_detail", args=[cast.org.slug, job.public_id]))
    assert page.status_code == 200


def test_an_upload_refused_at_commit_is_deleted_and_cannot_be_checked_again(
    cast: Cast, django_capture_on_commit_callbacks, unkept: DutyImporter
) -> None:
    job = start(cast, "Duty\nboom\n")
    stored = job.stored_name
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)

    job.refresh_from_db()
    assert (job.state, job.stored_name) == (State.FAILED, "")
    assert not default_storage.exists(stored)
    with pytest.raises(ServiceError, match="The uploaded file is no longer kept: upload it again."):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)


def test_a_kept_upload_stays_after_the_commit(cast: Cast, django_capture_on_commit_callbacks) -> None:
    job = start(cast, "Duty\nReview\n")
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=job.mapping)
    with django_capture_on_commit_callbacks(execute=True):
        file_imports.import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)

    job.refresh_from_db()
    assert job.state == State.COMMITTED and default_storage.exists(job.stored_name)
