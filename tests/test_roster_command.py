"""`manage.py roster_import`: the same checks as the pages, errors by row and column, the exit status, a dry run
that writes nothing, and the roster source it creates when named for the first time."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.core.models import AuditEvent
from safeguard.workforce.models import Person, RosterSource, Workflow
from tests.access_factories import person
from tests.conftest import Cast
from tests.test_roster_support import csv, recent, source, staff

ROWS = (
    "E-101,Ben,Nurse,e-101@clinic.test,Billing,Nurse,E-100,Full-time,2021-04-01,",
    "E-200,Eve,New,e-200@clinic.test,Nursing,Charge nurse,E-100,Full-time,2026-01-05,",
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("roster_import", *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "hr.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_clean_file_is_committed_and_a_new_source_is_created_and_announced(cast: Cast, tmp_path: Path) -> None:
    staff(cast)
    path = write(tmp_path, csv(*ROWS))

    output = run(path, "--org", "clinic", "--source", "Workday", "--time-zone", "America/Denver")

    assert output.splitlines() == [
        "Created the roster source 'Workday' (times read in America/Denver).",
        "Joiners: 1",
        "Movers (department, job role or manager changed): 1",
        "Leavers: 0",
        "Other changes (name, email, dates, status): 0",
        "People who left over 90 days ago, recorded without a workflow: 0",
        "Unchanged: 0",
        "Rows in error: 0",
        "Active people not in this file (left as they are, never terminated by omission): 3",
        "Workflows to open: 2",
        "Committed: 1 created, 1 updated.",
    ]
    created = RosterSource.objects.get(name="Workday")
    assert created.time_zone == "America/Denver"
    assert created.mapping["manager"] == "Supervisor ID"
    assert sorted(w.kind for w in Workflow.objects.all()) == ["joiner", "mover"]
    event = AuditEvent.objects.get(action="import.committed")
    assert event.actor_label == "system:cli"


def test_errors_are_printed_by_row_and_column_exit_1_and_nothing_is_kept(cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, csv("E-1,Ann,One,,ICU,Nurse,E-9,,2020-01-06,", "E-1,Ann,Again,,ICU,Nurse,,,2020-01-06,"))
    out = StringIO()

    with pytest.raises(CommandError, match=r"^Nothing committed: 2 errors in 2 rows\.$") as refused:
        call_command("roster_import", path, "--org", "clinic", "--source", "Workday", stdout=out)

    assert refused.value.returncode == 1
    assert out.getvalue().splitlines()[1:] == [
        "row 2, column Supervisor ID: The manager E-9 is not on the roster: neither in this file nor among the "
        "people already recorded.",
        "row 3, column Employee ID: Employee ID E-1 is already on row 2.",
    ]
    assert Person.objects.count() == 0
    assert not RosterSource.objects.exists()  # the source made for the refused file is not kept


def test_a_dry_run_shows_the_changes_and_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    staff(cast)
    before = AuditEvent.objects.count()
    path = write(tmp_path, csv(*ROWS, f"E-102,Cy,Night,e-102@clinic.test,Nursing,Nurse,E-100,,2021-04-01,{recent(1)}"))

    output = run(path, "--org", "clinic", "--source", "Workday", "--dry-run")

    lines = output.splitlines()
    assert lines[0] == "Would create the roster source 'Workday' (times read in UTC)."
    assert "Leavers: 1" in lines
    assert lines[-1] == "Dry run: all 3 rows are clean. Nothing committed."
    assert not RosterSource.objects.exists()
    assert Person.objects.get(employee_id="E-101").department == "Nursing"
    assert Workflow.objects.count() == 0
    assert AuditEvent.objects.count() == before


def test_initial_load_flags_decide_whether_workflows_open(cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, csv(*ROWS[1:]).replace(",E-100,", ",,"))
    run(path, "--org", "clinic", "--source", "Workday", "--no-initial-load")
    assert [w.kind for w in Workflow.objects.all()] == ["joiner"]

    staff(cast)
    path = write(tmp_path, csv(ROWS[0]), "second.csv")
    run(path, "--org", "clinic", "--source", "Workday", "--initial-load")
    assert Person.objects.get(employee_id="E-101").department == "Billing"
    assert [w.kind for w in Workflow.objects.all()] == ["joiner"]


def test_an_existing_sources_time_zone_changes_only_when_asked(cast: Cast, tmp_path: Path) -> None:
    roster = source(cast.org, "Workday", time_zone="America/New_York")
    person(cast.org, "E-1")
    path = write(tmp_path, "employee_id,termination_date,termination_time\nE-1,2024-01-15,17:00\n")

    output = run(path, "--org", "clinic", "--source", "workday", "--time-zone", "America/Los_Angeles")

    assert output.splitlines()[0] == (
        "The roster source 'Workday' now reads times in America/Los_Angeles (was America/New_York)."
    )
    roster.refresh_from_db()
    assert roster.time_zone == "America/Los_Angeles"
    assert Person.objects.get().termination_at.isoformat() == "2024-01-16T01:00:00+00:00"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "nope", "--source", "S"], "No organization with slug 'nope'."),
        (
            ["--org", "clinic", "--source", "S", "--time-zone", "Mars/Olympus"],
            "Nothing committed: 'Mars/Olympus' is not a time zone: use an Area/City name such as America/New_York.",
        ),
        (["--org", "clinic", "--source", "S", "--map", "badge=Title"], "--map 'badge=Title': write FIELD=HEADER"),
        (
            ["--org", "clinic", "--source", "S", "--as", "nurse@clinic.test"],
            "nurse@clinic.test is not a current member of clinic who may run this import.",
        ),
    ],
)
def test_bad_arguments_are_refused_with_the_reason(cast: Cast, tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, csv(*ROWS))
    with pytest.raises(CommandError) as refused:
        call_command("roster_import", path, *args, stdout=StringIO())
    assert str(refused.value).startswith(message)
    assert Person.objects.count() == 0
    assert not RosterSource.objects.exists()


def test_an_unmappable_file_is_refused_with_its_columns(cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, "Badge,Name\n1,Ann\n")
    with pytest.raises(CommandError, match="The columns cannot be mapped \\(the file has: Badge, Name\\)"):
        call_command("roster_import", path, "--org", "clinic", "--source", "S", stdout=StringIO())


def test_acting_as_a_member_records_them(cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, csv(ROWS[1]).replace(",E-100,", ",,"))
    run(path, "--org", "clinic", "--source", "Workday", "--as", "so@clinic.test")
    assert AuditEvent.objects.get(action="import.committed").actor == cast.official
