"""The backup_results_import command: exit status 0 when committed (or a clean dry run), 1 when nothing was
committed, 2 when used wrongly; problems printed as 'row N, field F: reason'; --dry-run writes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.contingency.models import BackupImport, BackupResult
from safeguard.core.models import AuditEvent
from tests.conftest import Cast
from tests.contingency_backup_factories import asset, csv_text, policy

GOOD = "EHR,nightly,2026-03-01T01:00:00Z,2026-03-01T01:30:00Z,ok,100,"
BAD = "EHR,nightly,2026-03-02T01:00:00Z,2026-03-02T00:30:00Z,ok,100,"


@pytest.fixture
def ehr(cast: Cast) -> None:
    policy(asset(cast.org, "EHR"), "nightly")


def write(tmp_path: Path, *rows: str, name: str = "runs.csv", header: str | None = None) -> Path:
    path = tmp_path / name
    path.write_bytes(csv_text(*rows) if header is None else csv_text(*rows, header=header))
    return path


def run_command(*args: str) -> tuple[int, str]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("backup_results_import", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def test_clean_file_is_committed_with_status_0(cast: Cast, ehr: None, tmp_path: Path) -> None:
    status, output = run_command("--org", "clinic", str(write(tmp_path, GOOD)))
    assert status == 0
    assert "Committed: 1 new runs stored" in output
    assert BackupImport.objects.get().channel == "command"
    assert AuditEvent.objects.filter(action="contingency.backup_import.done", actor_label="system:cli").exists()


def test_bad_row_commits_nothing_with_status_1_and_says_where(cast: Cast, ehr: None, tmp_path: Path) -> None:
    status, output = run_command("--org", "clinic", str(write(tmp_path, GOOD, BAD)))
    assert status == 1
    assert "row 3, field finished: The run finished" in output
    assert "Nothing committed" in output
    assert not BackupResult.objects.exists()


def test_dry_run_writes_nothing(cast: Cast, ehr: None, tmp_path: Path) -> None:
    status, output = run_command("--org", "clinic", str(write(tmp_path, GOOD)), "--dry-run")
    assert status == 0
    assert "Dry run: all 1 rows are clean (1 new, 0 already stored). Nothing committed." in output
    assert not BackupResult.objects.exists() and not BackupImport.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="contingency.backup_import").exists()


def test_dry_run_of_a_bad_file_exits_1(cast: Cast, ehr: None, tmp_path: Path) -> None:
    status, output = run_command("--org", "clinic", str(write(tmp_path, BAD)), "--dry-run")
    assert status == 1
    assert "row 2, field finished" in output


def test_reimport_commits_nothing_new(cast: Cast, ehr: None, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    run_command("--org", "clinic", str(path))
    status, output = run_command("--org", "clinic", str(path))
    assert status == 0
    assert "0 new runs stored, 1 already stored" in output
    assert BackupResult.objects.count() == 1


def test_map_names_a_column_the_guess_misses(cast: Cast, ehr: None, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD, header="asset,job,Kickoff,finished,status,size,restore_point")
    status, output = run_command("--org", "clinic", str(path))
    assert status == 2
    assert "Choose the column for “Started”" in output
    status, _ = run_command("--org", "clinic", str(path), "--map", "started=Kickoff")
    assert status == 0


@pytest.mark.parametrize(
    "args",
    [
        ("--org", "nowhere", "FILE"),
        ("--org", "clinic", "missing.csv"),
        ("--org", "clinic", "FILE", "--map", "colour=blue"),
        ("--org", "clinic", "FILE", "--as", "auditor@firm.test"),
    ],
)
def test_usage_errors_exit_2(cast: Cast, ehr: None, tmp_path: Path, args: tuple[str, ...]) -> None:
    path = write(tmp_path, GOOD)
    status, _ = run_command(*(str(path) if arg == "FILE" else arg for arg in args))
    assert status == 2
    assert not BackupResult.objects.exists()


def test_ndjson_is_read_by_its_extension(cast: Cast, ehr: None, tmp_path: Path) -> None:
    path = tmp_path / "runs.ndjson"
    path.write_text(
        '{"asset": "EHR", "job": "nightly", "started": "2026-03-01T01:00:00Z", '
        '"finished": "2026-03-01T02:00:00Z", "status": "success"}\n'
    )
    status, _ = run_command("--org", "clinic", str(path))
    assert status == 0
    assert BackupResult.objects.count() == 1
