"""`manage.py accounts_import`: the page's checks from the command line, errors by row and column, --dry-run,
--map, --taken-at, --as, and an exit status that says whether anything was committed."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.access.models import Account, AccountSnapshot, System
from safeguard.core.models import AuditEvent
from safeguard.core.roles import Role
from safeguard.risk.models import Asset, AssetKind
from tests import access_factories as make
from tests.conftest import Cast, make_member
from tests.test_accounts_support import ehr, lines

LIST = lines("dreyes,E-1,active", "svc_backup,,active", "frontdesk,,disabled", header="Login,Employee ID,Status")


def run(tmp_path: Path, *args: str, text: str = LIST) -> tuple[str, int]:
    path = tmp_path / "ehr-users.csv"
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    try:
        call_command("accounts_import", str(path), "--org", "clinic", *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


def test_a_clean_list_is_committed(cast: Cast, tmp_path: Path) -> None:
    make.person(cast.org, "E-1", name="Dana Reyes")
    ehr(cast)

    output, status = run(tmp_path, "--system", "ehr", "--taken-at", "2026-03-02T09:00")

    assert status == 0
    assert "Accounts: 3\n" in output and "Matched by employee id: 1\n" in output
    assert output.endswith("Committed: 3 created, 0 updated.\n")
    snapshot = AccountSnapshot.objects.get()
    assert (snapshot.taken_at, snapshot.file_name, snapshot.imported_by) == (
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        "ehr-users.csv",
        None,
    )
    event = AuditEvent.objects.get(action="import.committed")
    assert (event.actor_label, event.changes["created"]) == ("system:cli", [None, 3])


def test_dry_run_checks_every_row_and_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    ehr(cast)

    output, status = run(tmp_path, "--system", "EHR", "--dry-run")

    assert status == 0
    assert output.endswith("Dry run: all 3 rows are clean. Nothing committed.\n")
    assert not AccountSnapshot.objects.exists()


def test_dry_run_does_not_register_an_asset(cast: Cast, tmp_path: Path) -> None:
    Asset.objects.create(organization=cast.org, name="Billing", kind=AssetKind.APPLICATION)

    _, status = run(tmp_path, "--system", "Billing", "--dry-run")

    assert status == 0
    assert not System.objects.exists()


def test_an_unknown_system_is_refused_with_exit_status_1(cast: Cast, tmp_path: Path) -> None:
    ehr(cast)

    output, status = run(tmp_path, "--system", "Payroll")

    assert status == 1
    assert output == "Nothing committed: No system or asset named 'Payroll' in the inventory: add it first."
    assert not AccountSnapshot.objects.exists()


def test_row_errors_are_printed_and_nothing_is_committed(cast: Cast, tmp_path: Path) -> None:
    ehr(cast)
    text = lines("dreyes,active", "sam,sleeping", "DREYES,active", header="Login,Status")

    output, status = run(tmp_path, "--system", "EHR", text=text)

    assert status == 1
    assert output.splitlines() == [
        "row 3, column Status: 'sleeping' is not an account status: use active, disabled or locked (or enabled, "
        "suspended, inactive, true, false).",
        "row 4, column Login: The account 'DREYES' is already on row 2.",
        "Nothing committed: 2 errors in 2 rows.",
    ]
    assert not Account.objects.exists()


def test_a_list_with_no_identifying_column_is_refused(cast: Cast, tmp_path: Path) -> None:
    ehr(cast)

    output, status = run(tmp_path, "--system", "EHR", text=lines("Dana Reyes", header="Full name"))

    assert status == 1
    assert "The file needs a column identifying each row" in output


def test_map_names_the_files_column(cast: Cast, tmp_path: Path) -> None:
    ehr(cast)
    text = lines("dreyes,on", header="Sign-in,Second factor")

    _, status = run(tmp_path, "--system", "EHR", "--map", "username=Sign-in", "--map", "mfa_enabled=Second factor")

    assert status == 1  # the default LIST has no "Sign-in" column
    _, status = run(
        tmp_path, "--system", "EHR", "--map", "username=Sign-in", "--map", "mfa_enabled=Second factor", text=text
    )
    assert status == 0
    assert Account.objects.get().mfa_enabled is True


def test_acting_as_a_member_who_may_not_import_is_refused(cast: Cast, tmp_path: Path) -> None:
    ehr(cast)
    make_member(cast.org, "boss@clinic.test", Role.MANAGER)

    output, status = run(tmp_path, "--system", "EHR", "--as", "boss@clinic.test")

    assert status == 1
    assert "boss@clinic.test is not a current member of clinic who may run this import." in output
    assert not AccountSnapshot.objects.exists()


def test_acting_as_a_member_records_them(cast: Cast, tmp_path: Path) -> None:
    ehr(cast)

    _, status = run(tmp_path, "--system", "EHR", "--as", "so@clinic.test")

    assert status == 0
    assert AccountSnapshot.objects.get().imported_by == cast.official
