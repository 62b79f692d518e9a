"""Who owns the corrective action a failed or missed imported restore test opens: the asset's owner, else whoever
records the test, else its performer, else the security official — the first who may own an action (a current
member, not an auditor). Run by the system (the command without --as) with none of them, the row is refused by
name before anything is written."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction, RestoreTest
from safeguard.contingency.services.restore_import import KIND
from safeguard.contingency.services.restore_tests import restore_test_record
from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import importer_for
from safeguard.core.models import AuditEvent, Membership, User
from safeguard.core.roles import Role
from safeguard.core.services.file_imports import check_table
from tests.conftest import Cast
from tests.contingency_restore_factories import asset_with_objectives, restore_input
from tests.test_api_support import api_client

HEADER = "Asset,Performed by,Restore point,Started,Finished,Succeeded,Integrity verified,Method,Issues"
UNVERIFIED = "2026-03-02 08:30,2026-03-02 09:00,2026-03-02 10:00,yes,no,,"  # restored, integrity not checked
FAILED = "2026-03-03 08:30,2026-03-03 09:00,2026-03-03 10:00,no,no,,"
MET = "2026-03-04 08:30,2026-03-04 09:00,2026-03-04 10:00,yes,yes,Row counts,"
NOBODY = (
    "row 2, column Performed by: auditor@firm.test cannot own the corrective action this {test} test opens "
    "(only a current member who is not an auditor can), and nobody else can: the import runs as the system, EHR has "
    "no owner who can act and "
    "the organization has no security official. Give the asset an owner, make a member the security official, "
    "or import as a member (--as)."
)


def run(tmp_path: Path, *rows: str, args: tuple[str, ...] = ()) -> tuple[int, str]:
    path = tmp_path / "tests.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    out = StringIO()
    try:
        call_command("restore_tests_import", str(path), "--org", "clinic", *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def row(performer: str, times: str = UNVERIFIED) -> str:
    return f"EHR,{performer},{times}"


def owner_of_the_action() -> User:
    return CorrectiveAction.objects.select_related("owner").get().owner


def without_security_official(cast: Cast) -> None:
    Membership.objects.filter(organization=cast.org, user=cast.official).update(role=Role.PRIVACY_OFFICER)


def test_the_assets_owner_owns_it_when_they_may(cast: Cast, tmp_path: Path) -> None:
    asset_with_objectives(cast.org, "EHR", owner=cast.owner)
    assert run(tmp_path, row("auditor@firm.test"))[0] == 0
    assert owner_of_the_action() == cast.owner


def test_without_an_asset_owner_the_performer_owns_it_when_they_may(cast: Cast, tmp_path: Path) -> None:
    asset_with_objectives(cast.org, "EHR")
    assert run(tmp_path, row("nurse@clinic.test", FAILED))[0] == 0
    assert owner_of_the_action() == cast.workforce  # any current member but an auditor may own an action


@pytest.mark.parametrize("asset_owner", ["none", "auditor", "inactive member", "not a member"])
def test_an_auditor_performer_hands_it_to_the_security_official(cast: Cast, tmp_path: Path, asset_owner: str) -> None:
    owners = {"none": None, "auditor": cast.auditor, "inactive member": cast.owner, "not a member": cast.outsider}
    Membership.objects.filter(organization=cast.org, user=cast.owner).update(is_active=asset_owner != "inactive member")
    asset_with_objectives(cast.org, "EHR", owner=owners[asset_owner])
    status, output = run(tmp_path, row("auditor@firm.test"))
    assert status == 0, output
    assert owner_of_the_action() == cast.official


@pytest.mark.parametrize(("times", "test"), [(UNVERIFIED, "missed"), (FAILED, "failed")])
def test_with_nobody_to_own_it_the_system_import_refuses_the_row_by_name(
    cast: Cast, tmp_path: Path, times: str, test: str
) -> None:
    asset_with_objectives(cast.org, "EHR")
    without_security_official(cast)
    before = AuditEvent.objects.count()
    for args in ((), ("--dry-run",)):
        status, output = run(tmp_path, row("auditor@firm.test", times), args=args)
        assert status == 1
        assert NOBODY.format(test=test) in output
        assert "Nothing committed" in output
    assert not RestoreTest.objects.exists() and not CorrectiveAction.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_met_test_needs_no_owner(cast: Cast, tmp_path: Path) -> None:
    asset_with_objectives(cast.org, "EHR")
    without_security_official(cast)
    assert run(tmp_path, row("auditor@firm.test", MET))[0] == 0
    assert RestoreTest.objects.get().outcome == "met" and not CorrectiveAction.objects.exists()


def test_imported_as_a_member_the_member_who_records_it_owns_it(cast: Cast, tmp_path: Path) -> None:
    asset_with_objectives(cast.org, "EHR")
    without_security_official(cast)
    status, output = run(tmp_path, row("auditor@firm.test"), args=("--as", "owner@clinic.test"))
    assert status == 0, output
    assert owner_of_the_action() == cast.owner


def test_the_import_service_refuses_the_row_only_when_the_system_records(cast: Cast) -> None:
    asset_with_objectives(cast.org, "EHR")
    without_security_official(cast)
    importer = importer_for(KIND)
    table = tabular.read_table(f"{HEADER}\n{row('auditor@firm.test')}\n".encode(), "csv")
    mapping = importer.guess_mapping(table.headers)
    by_system = check_table(
        importer, cast.org, table, mapping, importer.clean_options(cast.org, {"recorded_by_system": True})
    )
    by_member = check_table(importer, cast.org, table, mapping, importer.clean_options(cast.org, {}))
    assert [(e["row"], e["column"]) for e in by_system.errors] == [(2, "Performed by")]
    assert by_member.errors == []


def test_an_upload_by_a_manager_gives_it_to_the_manager_who_commits(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    asset_with_objectives(cast.org, "EHR")
    without_security_official(cast)
    client = api_client(cast.official)  # a privacy officer now: a manager of the program
    upload = SimpleUploadedFile("tests.csv", f"{HEADER}\n{row('auditor@firm.test')}\n".encode())
    job = client.post("/api/v1/orgs/clinic/contingency/restore-tests/imports/", {"file": upload}).json()
    url = f"/api/v1/orgs/clinic/file-imports/{job['public_id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "mapping/", {"mapping": job["mapping"]}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "commit/")
    assert client.get(url).json()["state"] == "committed"
    assert owner_of_the_action() == cast.official


def test_recorded_by_hand_the_recorder_owns_it_before_an_auditor_performer(cast: Cast) -> None:
    ehr = asset_with_objectives(cast.org, "EHR")
    values = restore_input(ehr, cast.auditor, started=timezone.now() - timedelta(hours=3), verified=False)
    restore_test_record(organization=cast.org, actor=Actor(user=cast.owner), values=values)
    assert owner_of_the_action() == cast.owner
