"""The LMS completion import: matching people and courses, reading dates, scores and pass marks, every bad input
named by row and column, all-or-nothing commits, idempotent re-imports, and the management command's dry run and
exit status."""

from __future__ import annotations

from datetime import date, datetime
from io import StringIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.dates import add_years
from safeguard.core.imports import CheckedFile, importer_for
from safeguard.core.models import AuditEvent, FileImport
from safeguard.core.services import file_imports
from safeguard.core.services.file_imports import ImportRejected
from safeguard.training.completion_import import KIND
from safeguard.training.models import Assignment, Completion, Course
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_completions_support import learner, moment

HEADER = "Employee ID,Email,Course,Completed at,Score,Passed,Reference"


def csv(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def check(cast: Cast, text: str) -> CheckedFile:
    importer = importer_for(KIND)
    table = tabular.read_table(text.encode(), "csv")
    return file_imports.check_table(importer, cast.org, table, importer.guess_mapping(table.headers), {})


def apply(cast: Cast, text: str) -> None:
    importer = importer_for(KIND)
    table = tabular.read_table(text.encode(), "csv")
    file_imports.import_apply(
        organization=cast.org,
        actor=Actor(user=cast.official),
        importer=importer,
        table=table,
        mapping=importer.guess_mapping(table.headers),
        options={},
        file_name="lms.csv",
    )


def commit(cast: Cast, text: str) -> FileImport:
    """Upload, map (guessed), check and commit through the services, as the page does; tasks run inline."""
    actor = Actor(user=cast.official)
    upload = SimpleUploadedFile("lms.csv", text.encode(), content_type="text/csv")
    job = file_imports.import_start(organization=cast.org, actor=actor, kind=KIND, upload=upload)
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


@pytest.fixture
def clinic(cast: Cast) -> dict[str, Any]:
    nurse = learner(cast)  # E-1, nurse@clinic.test
    clerk = make.person(cast.org, "E-2", name="Cal Clerk")  # e-2@clinic.test
    course = make.course(cast.org, "SEC-1", title="Security basics", version=2)
    make.assignment(nurse, course, due_on=date(2025, 12, 31), window_start=date(2025, 1, 1))
    return {"nurse": nurse, "clerk": clerk, "course": course}


CLEAN = csv(
    "E-1,,SEC-1,2025-06-01,85%,yes,LMS-1",
    ",E-2@CLINIC.TEST,security basics,2025-06-02 14:30,90.7,,LMS-2",
    "E-1,,SEC-1,2025-06-03,40,no,LMS-3",
    "E-2,e-2@clinic.test,sec-1,2025-06-04T09:00:00-04:00,,Passed,LMS-4",
)


def test_a_clean_file_is_summarised_and_previewed(clinic: dict[str, Any], cast: Cast) -> None:
    checked = check(cast, CLEAN)

    assert errors(checked) == []
    assert summary(checked) == {"record": 3, "unchanged": 0, "not_passed": 1, "assignments": 1}
    assert [(row["row"], row["action"]) for row in checked.preview] == [
        (2, "Record"),
        (3, "Record"),
        (4, "Skipped: not passed"),
        (5, "Record"),
    ]
    assert checked.preview[0]["person"] == "Nora Nurse (E-1)"
    assert checked.preview[1]["score"] == "90%"  # rounded down, as quiz scores are


def test_commit_records_each_completion_through_the_one_door(clinic: dict[str, Any], cast: Cast) -> None:
    job = commit(cast, CLEAN)

    assert job.state == FileImport.State.COMMITTED, job.failure
    assert (job.created_count, job.result) == (3, {"recorded": 3, "unchanged": 0, "not_passed": 1})
    rows = list(Completion.objects.order_by("completed_at").select_related("person"))
    assert [(c.person.employee_id, c.external_reference, c.score) for c in rows] == [
        ("E-1", "LMS-1", 85),
        ("E-2", "LMS-2", 90),
        ("E-2", "LMS-4", None),
    ]
    assert rows[0].completed_at == moment("2025-06-01 12:00")  # a date alone is noon
    assert rows[1].completed_at == moment("2025-06-02 14:30")
    assert rows[2].completed_at == datetime(2025, 6, 4, 13, 0, tzinfo=ZoneInfo("UTC"))  # its own offset wins
    assert {(c.source, c.file_import, c.course_version, c.recorded_by) for c in rows} == {
        ("import", job, 2, cast.official)
    }
    assert Assignment.objects.get(person=clinic["nurse"]).status == Assignment.Status.COMPLETED
    assert AuditEvent.objects.filter(action="training.completion.recorded").count() == 3


def test_importing_the_same_file_again_records_nothing(clinic: dict[str, Any], cast: Cast) -> None:
    commit(cast, CLEAN)

    assert summary(check(cast, CLEAN)) == {"record": 0, "unchanged": 3, "not_passed": 1, "assignments": 0}
    again = commit(cast, CLEAN)

    assert again.state == FileImport.State.FAILED
    assert again.failure == "Nothing to record: every completion in the file is already recorded or was not passed."
    assert Completion.objects.count() == 3


def test_a_completion_recorded_by_hand_at_the_same_moment_is_unchanged(clinic: dict[str, Any], cast: Cast) -> None:
    make.completion(clinic["nurse"], clinic["course"], at=moment("2025-06-01 12:00"))

    checked = check(cast, csv("E-1,,SEC-1,2025-06-01,85,,", "E-1,,SEC-1,2025-06-02,85,,"))

    assert summary(checked)["unchanged"] == 1
    assert summary(checked)["record"] == 1


BAD_ROWS = [
    ("E-404,,SEC-1,2025-06-01,,,", "Employee ID", "No one on the roster has the employee id 'E-404'."),
    (",nobody@clinic.test,SEC-1,2025-06-01,,,", "Email", "No one on the roster has the email 'nobody@clinic.test'."),
    (
        "E-1,e-2@clinic.test,SEC-1,2025-06-01,,,",
        "Email",
        "The email e-2@clinic.test is Cal Clerk's (employee id E-2), but the employee id E-1 is Nora Nurse's: "
        "check whom the row is about.",
    ),
    (",,SEC-1,2025-06-01,,,", "Employee ID", "Give the person's employee id or email."),
    ("E-1,,SEC-404,2025-06-01,,,", "Course", "No course has the code or title 'SEC-404'."),
    ("E-1,,,2025-06-01,,,", "Course", "Name the course: its code or its title."),
    ("E-1,,DRAFT-1,2025-06-01,,,", "Course",
     "Draft course (DRAFT-1) is a draft: publish it before recording completions."),
    ("E-1,,SEC-1,yesterday,,,", "Completed at",
     "'yesterday' is not a date or a date and time: write it as 2026-03-01 or 2026-03-01 14:30."),
    ("E-1,,SEC-1,,,,", "Completed at", "Give the date the course was completed."),
    ("E-1,,SEC-1,1989-12-31,,,", "Completed at", "1989-12-31 is before 1990: check the date."),
    ("E-1,,SEC-1,2025-06-01,101,,", "Score", "A score is a percent from 0 to 100, not 101."),
    ("E-1,,SEC-1,2025-06-01,great,,", "Score",
     "'great' is not a score: write a percent from 0 to 100, e.g. 85 or 85%."),
    ("E-1,,SEC-1,2025-06-01,,maybe,", "Passed", "'maybe' does not say whether the course was passed: write yes or no."),
]  # fmt: skip


@pytest.mark.parametrize(("row", "column", "message"), BAD_ROWS)
def test_each_bad_row_is_named_by_row_and_column(
    clinic: dict[str, Any], cast: Cast, row: str, column: str, message: str
) -> None:
    make.course(cast.org, "DRAFT-1", title="Draft course", status=Course.Status.DRAFT)

    checked = check(cast, csv("E-2,,SEC-1,2025-05-01,,,", row))

    assert errors(checked) == [(3, column, message)]


def test_two_people_with_one_email_need_the_employee_id(clinic: dict[str, Any], cast: Cast) -> None:
    make.person(cast.org, "E-3", email="shared@clinic.test")
    make.person(cast.org, "E-4", email="Shared@clinic.test")

    checked = check(cast, csv(",shared@clinic.test,SEC-1,2025-06-01,,,"))

    assert errors(checked) == [
        (2, "Email", "2 people on the roster have the email shared@clinic.test: give the employee id.")
    ]


def test_two_courses_with_one_title_need_the_code(clinic: dict[str, Any], cast: Cast) -> None:
    make.course(cast.org, "SEC-1B", title="Security Basics")

    checked = check(cast, csv("E-1,,Security basics,2025-06-01,,,", "E-1,,SEC-1B,2025-06-01,,,"))

    assert errors(checked) == [(2, "Course", "2 courses are titled 'Security basics': give the course code.")]


def test_a_future_date_is_refused(clinic: dict[str, Any], cast: Cast) -> None:
    tomorrow = add_years(timezone.localdate(), 1)

    checked = check(cast, csv(f"E-1,,SEC-1,{tomorrow:%Y-%m-%d},,,"))

    assert errors(checked) == [
        (2, "Completed at", f"{tomorrow:%Y-%m-%d} 12:00 is in the future: give the moment it was completed.")
    ]


def test_a_time_the_clock_skips_is_refused(clinic: dict[str, Any], cast: Cast, settings: Any) -> None:
    settings.TIME_ZONE = "America/New_York"

    checked = check(cast, csv("E-1,,SEC-1,2025-03-09 02:30,,,"))

    assert errors(checked) == [
        (2, "Completed at", "2025-03-09 02:30 does not exist in America/New_York (clocks go forward): check the time.")
    ]


def test_the_same_completion_twice_in_a_file_names_the_first_row(clinic: dict[str, Any], cast: Cast) -> None:
    checked = check(
        cast,
        csv(
            "E-1,,SEC-1,2025-06-01,,,",
            "E-2,,SEC-1,2025-06-01,,,",
            ",nurse@clinic.test,security basics,2025-06-01 12:00,,,",
        ),
    )

    assert errors(checked) == [
        (4, "Completed at", "The same completion (person, course and moment) is already on row 2.")
    ]


def test_a_file_with_one_bad_row_writes_nothing(clinic: dict[str, Any], cast: Cast) -> None:
    before = AuditEvent.objects.count()

    with pytest.raises(ImportRejected) as rejected:
        apply(cast, csv("E-1,,SEC-1,2025-06-01,,,", "E-2,,SEC-1,2025-06-01,,,", "E-404,,SEC-1,2025-06-01,,,"))

    assert rejected.value.failure == "1 error in 1 row: nothing was committed."
    assert not Completion.objects.exists()
    assert Assignment.objects.get(person=clinic["nurse"]).status == Assignment.Status.OPEN
    assert AuditEvent.objects.count() == before


def test_a_file_without_a_person_column_cannot_be_mapped(clinic: dict[str, Any], cast: Cast) -> None:
    importer = importer_for(KIND)
    headers = ["Course", "Completed at"]

    problems = importer.mapping_errors(headers, importer.guess_mapping(headers))

    assert problems == {"employee_id": "The file needs a column identifying each row: map “Employee ID” or “Email”."}


# ---- the command ---------------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("training_import_completions", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "lms.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_command_dry_run_writes_nothing(clinic: dict[str, Any], cast: Cast, tmp_path: Path) -> None:
    output = run(write(tmp_path, CLEAN), "--org", "clinic", "--dry-run")

    assert output.splitlines() == [
        "Completions to record: 3",
        "Already recorded (unchanged): 0",
        "Not passed (skipped): 1",
        "Open assignments they complete: 1",
        "Dry run: all 4 rows are clean. Nothing committed.",
    ]
    assert not Completion.objects.exists()


def test_the_command_commits_then_exits_1_when_the_same_file_has_nothing_new(
    clinic: dict[str, Any], cast: Cast, tmp_path: Path
) -> None:
    path = write(tmp_path, CLEAN)

    output = run(path, "--org", "clinic", "--as", "so@clinic.test")

    assert output.splitlines()[-1] == "Committed: 3 created, 0 updated."
    assert {c.recorded_by for c in Completion.objects.all()} == {cast.official}
    with pytest.raises(CommandError, match="Nothing committed: Nothing to record"):
        run(path, "--org", "clinic")
    assert Completion.objects.count() == 3


def test_the_command_prints_each_error_and_exits_1(clinic: dict[str, Any], cast: Cast, tmp_path: Path) -> None:
    out = StringIO()
    path = write(tmp_path, csv("E-1,,SEC-1,2025-06-01,,,", "E-404,,SEC-1,2025-06-01,,,"))

    with pytest.raises(CommandError, match=r"Nothing committed: 1 error in 1 row\."):
        call_command("training_import_completions", path, "--org", "clinic", "--dry-run", stdout=out)

    assert out.getvalue().splitlines() == [
        "row 3, column Employee ID: No one on the roster has the employee id 'E-404'."
    ]
    assert not Completion.objects.exists()


def test_the_command_maps_columns_by_hand(clinic: dict[str, Any], cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, "Learner,Module,When\nE-1,SEC-1,2025-06-01\n")

    output = run(path, "--org", "clinic", "--map", "employee_id=Learner", "--map", "course=Module",
                 "--map", "completed_at=When")  # fmt: skip

    assert output.splitlines()[-1] == "Committed: 1 created, 0 updated."
