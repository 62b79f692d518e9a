"""One rule for times without a UTC offset in every contingency import: read in the organization's import zone
(contingency settings), an explicit offset always wins, a wall-clock time the zone skips or repeats is refused by
row and column. Backup results (upload, hook, command) and restore tests (upload, API, command); the pages name
the zone."""

from __future__ import annotations

import json
from datetime import datetime
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.contingency.models import BackupImport, BackupResult, ContingencySettings, RestoreTest
from safeguard.contingency.services.backup_import import backup_import_upload
from safeguard.core.audit import Actor
from safeguard.core.models import FileImport, Membership, Organization
from safeguard.core.roles import Role
from tests.conftest import Cast, client_for
from tests.contingency_backup_factories import asset, csv_text, policy, utc
from tests.contingency_restore_factories import asset_with_objectives
from tests.test_api_support import api_client

RUNS = csv_text("EHR,nightly,2026-03-02T01:00:00,2026-03-02T01:30:00,ok,100,")
RESTORE_HEADER = "Asset,Performed by,Restore point,Started,Finished,Succeeded,Integrity verified,Method"
RESTORE_ROW = "EHR,so@clinic.test,2026-03-02 08:30,2026-03-02 09:00,2026-03-02 10:00,yes,yes,Row counts"


def set_zone(organization: Organization, name: str) -> None:
    ContingencySettings.objects.update_or_create(organization=organization, defaults={"import_time_zone": name})


def command(name: str, *args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(name, *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


@pytest.fixture
def two_zones(cast: Cast) -> None:
    """The same job in both organizations; the clinic reads in New York, the other practice in Tokyo."""
    for organization in (cast.org, cast.other_org):
        policy(asset(organization, "EHR"), "nightly")
    set_zone(cast.org, "America/New_York")
    set_zone(cast.other_org, "Asia/Tokyo")


def upload(cast: Cast, organization: Organization, data: bytes, capture: Any) -> BackupImport:
    user = cast.owner if organization == cast.org else cast.outsider
    with capture(execute=True):
        batch = backup_import_upload(
            organization=organization, actor=Actor(user), upload=SimpleUploadedFile("runs.csv", data), mapping={}
        )
    batch.refresh_from_db()
    return batch


# ---- backup results -------------------------------------------------------------------------------------------


def test_one_file_gives_each_organization_its_own_utc_times(
    cast: Cast, two_zones: None, django_capture_on_commit_callbacks: Any
) -> None:
    assert upload(cast, cast.org, RUNS, django_capture_on_commit_callbacks).state == "done"
    assert upload(cast, cast.other_org, RUNS, django_capture_on_commit_callbacks).state == "done"
    ours = BackupResult.objects.get(organization=cast.org)
    theirs = BackupResult.objects.get(organization=cast.other_org)
    assert (ours.started_at, ours.restore_point_at) == (utc("2026-03-02 06:00"), utc("2026-03-02 06:00"))
    assert (theirs.started_at, theirs.finished_at) == (utc("2026-03-01 16:00"), utc("2026-03-01 16:30"))


def test_an_explicit_offset_wins_in_a_file(
    cast: Cast, two_zones: None, django_capture_on_commit_callbacks: Any
) -> None:
    data = csv_text("EHR,nightly,2026-03-02T01:00:00Z,2026-03-02T01:30:00+00:00,ok,100,")
    upload(cast, cast.other_org, data, django_capture_on_commit_callbacks)
    assert BackupResult.objects.get().started_at == utc("2026-03-02 01:00")


def test_a_skipped_and_a_repeated_wall_clock_time_are_refused_by_row_and_column(
    cast: Cast, two_zones: None, django_capture_on_commit_callbacks: Any
) -> None:
    data = csv_text(
        "EHR,nightly,2026-03-08T02:15:00,2026-03-08T03:30:00-04:00,ok,,",
        "EHR,nightly,2026-11-01T00:30:00-04:00,2026-11-01T01:45:00,ok,,",
    )
    batch = upload(cast, cast.org, data, django_capture_on_commit_callbacks)
    assert batch.state == "refused"
    assert [(error["row"], error["field"]) for error in batch.errors] == [(2, "started"), (3, "finished")]
    assert "2026-03-08 02:15 does not exist in America/New_York (clocks go forward)" in batch.errors[0]["reason"]
    assert "2026-11-01 01:45 happens twice in America/New_York (clocks go back)" in batch.errors[1]["reason"]
    assert not BackupResult.objects.exists()


def test_the_hook_reads_a_time_without_offset_in_the_organizations_zone(cast: Cast, two_zones: None) -> None:
    run = {"asset": "EHR", "job": "nightly", "started": "2026-07-01T23:00:00", "finished": "2026-07-01T23:20:00"}
    response = api_client(cast.owner).post(
        "/api/v1/orgs/clinic/contingency/backup-results/", run | {"status": "ok"}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert BackupResult.objects.get().started_at == utc("2026-07-02 03:00")  # EDT is UTC-4


def test_the_command_reads_in_the_zone_of_the_organization_it_imports_into(
    cast: Cast, two_zones: None, tmp_path: Path
) -> None:
    path = tmp_path / "runs.csv"
    path.write_bytes(RUNS)
    assert command("backup_results_import", "--org", "other", "--dry-run", str(path))[0] == 0
    assert not BackupResult.objects.exists()
    status, output = command("backup_results_import", "--org", "other", str(path))
    assert status == 0, output
    assert BackupResult.objects.get(organization=cast.other_org).started_at == utc("2026-03-01 16:00")


def test_the_command_prints_a_skipped_time_with_row_and_field(cast: Cast, two_zones: None, tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_bytes(csv_text("EHR,nightly,2026-03-08T02:15:00,2026-03-08T04:00:00,ok,,"))
    status, output = command("backup_results_import", "--org", "clinic", "--dry-run", str(path))
    assert status == 1
    assert "row 2, field started: 2026-03-08 02:15 does not exist in America/New_York" in output


def test_the_upload_and_mapping_pages_name_the_zone(cast: Cast, two_zones: None) -> None:
    page = client_for(cast.owner).get("/o/clinic/contingency/backups/imports/new/").content.decode()
    assert "without one (2026-01-05T01:00:00) they are read in <strong>America/New_York</strong>" in page
    batch = backup_import_upload(
        organization=cast.org, actor=Actor(cast.owner), upload=SimpleUploadedFile("runs.csv", RUNS)
    )
    detail = client_for(cast.owner).get(f"/o/clinic/contingency/backups/imports/{batch.public_id}/")
    assert "Times without a UTC offset are read in America/New_York" in detail.content.decode()


def test_an_upload_is_read_in_the_zone_it_was_made_in_even_after_the_setting_changes(
    cast: Cast, two_zones: None, django_capture_on_commit_callbacks: Any
) -> None:
    from safeguard.contingency.services.backup_import import backup_import_start

    batch = backup_import_upload(
        organization=cast.org, actor=Actor(cast.owner), upload=SimpleUploadedFile("runs.csv", RUNS)
    )
    assert batch.time_zone == "America/New_York"
    set_zone(cast.org, "Asia/Tokyo")  # changed while the upload waits for its mapping
    detail = client_for(cast.owner).get(f"/o/clinic/contingency/backups/imports/{batch.public_id}/").content.decode()
    assert "read in America/New_York, the import zone when the file was uploaded" in detail
    mapping = {"asset": "asset", "job": "job", "started": "started", "finished": "finished", "status": "status"}
    with django_capture_on_commit_callbacks(execute=True):
        backup_import_start(organization=cast.org, actor=Actor(cast.owner), batch=batch, mapping=mapping)
    assert BackupResult.objects.get().started_at == utc("2026-03-02 06:00")  # 01:00 EST


# ---- restore tests --------------------------------------------------------------------------------------------


@pytest.fixture
def restore_assets(cast: Cast) -> None:
    """EHR in both organizations, and the security official a member of both, so one file suits either."""
    asset_with_objectives(cast.org, "EHR", rto=120, rpo=60)
    asset_with_objectives(cast.other_org, "EHR", rto=120, rpo=60)
    Membership.objects.create(organization=cast.other_org, user=cast.official, role=Role.SECURITY_OFFICIAL)
    set_zone(cast.org, "America/New_York")
    set_zone(cast.other_org, "Asia/Tokyo")


def restore_file(tmp_path: Path, *rows: str) -> str:
    path = tmp_path / "tests.csv"
    path.write_text("\n".join([RESTORE_HEADER, *rows]) + "\n", encoding="utf-8")
    return str(path)


def test_one_restore_file_gives_each_organization_its_own_utc_times(
    cast: Cast, restore_assets: None, tmp_path: Path
) -> None:
    path = restore_file(tmp_path, RESTORE_ROW)
    for slug in ("clinic", "other"):
        status, output = command("restore_tests_import", "--org", slug, "--as", "so@clinic.test", path)
        assert status == 0, output
    ours = RestoreTest.objects.get(organization=cast.org)
    theirs = RestoreTest.objects.get(organization=cast.other_org)
    assert (ours.started_at, ours.restore_point_at) == (utc("2026-03-02 14:00"), utc("2026-03-02 13:30"))
    assert (theirs.started_at, theirs.finished_at) == (utc("2026-03-02 00:00"), utc("2026-03-02 01:00"))


def test_an_explicit_offset_wins_in_a_restore_file(cast: Cast, restore_assets: None, tmp_path: Path) -> None:
    row = "EHR,so@clinic.test,2026-03-02T08:30:00Z,2026-03-02T09:00:00+00:00,2026-03-02 19:00,yes,yes,Counts"
    status, output = command("restore_tests_import", "--org", "other", restore_file(tmp_path, row))
    assert status == 0, output
    made = RestoreTest.objects.get()
    assert (made.started_at, made.finished_at) == (utc("2026-03-02 09:00"), utc("2026-03-02 10:00"))


def test_a_skipped_and_a_repeated_wall_clock_time_refuse_their_rows(
    cast: Cast, restore_assets: None, tmp_path: Path
) -> None:
    skipped = "EHR,so@clinic.test,2026-03-08 01:00,2026-03-08 02:30,2026-03-08 04:00,yes,yes,Counts"
    repeated = "EHR,so@clinic.test,2026-10-31 23:30,2026-11-01 00:30,2026-11-01 01:15,yes,yes,Counts"
    status, output = command("restore_tests_import", "--org", "clinic", restore_file(tmp_path, skipped, repeated))
    assert status == 1
    assert "row 2, column Started: 2026-03-08 02:30 does not exist in America/New_York" in output
    assert "row 3, column Finished: 2026-11-01 01:15 happens twice in America/New_York" in output
    assert not RestoreTest.objects.exists()


def test_data_exactly_as_old_as_the_rpo_across_the_clock_change_meets_it(
    cast: Cast, restore_assets: None, tmp_path: Path
) -> None:
    # 01:30 EST to 03:30 EDT reads as two hours on the wall but is one: exactly the one-hour RPO.
    on_the_edge = "EHR,so@clinic.test,2026-03-08 01:30,2026-03-08 03:30,2026-03-08 04:00,yes,yes,Counts"
    status, output = command("restore_tests_import", "--org", "clinic", restore_file(tmp_path, on_the_edge))
    assert status == 0, output
    made = RestoreTest.objects.get()
    assert (made.rpo_met, made.outcome) == (True, "met")
    over = "EHR,so@clinic.test,2026-03-09 01:29,2026-03-09 02:30,2026-03-09 03:00,yes,yes,Counts"
    assert command("restore_tests_import", "--org", "clinic", restore_file(tmp_path, over))[0] == 0
    assert RestoreTest.objects.get(started_at=utc("2026-03-09 06:30")).rpo_met is False


def test_an_upload_keeps_the_zone_it_was_made_in_through_its_preview_and_commit(
    cast: Cast, restore_assets: None, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_client(cast.owner)
    upload_file = SimpleUploadedFile("tests.csv", f"{RESTORE_HEADER}\n{RESTORE_ROW}\n".encode())
    job = client.post("/api/v1/orgs/clinic/contingency/restore-tests/imports/", {"file": upload_file}).json()
    assert FileImport.objects.get(public_id=job["public_id"]).options == {"time_zone": "America/New_York"}
    set_zone(cast.org, "Asia/Tokyo")  # changed after the upload: this file is still read as uploaded
    url = f"/api/v1/orgs/clinic/file-imports/{job['public_id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url + "mapping/", {"mapping": job["mapping"]}, format="json")
    page = client_for(cast.owner).get(f"/o/clinic/file-imports/{job['public_id']}/").content.decode()
    assert "read in <strong>America/New_York</strong>" in page
    assert "2026-03-02 09:00 -0500" in page  # the start as read
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url + "commit/").status_code == 202
    assert RestoreTest.objects.get().started_at == utc("2026-03-02 14:00")


def test_a_json_time_without_offset_is_read_in_the_zone_too(cast: Cast, restore_assets: None, tmp_path: Path) -> None:
    item = {
        "asset": "EHR",
        "performed_by": "so@clinic.test",
        "restore_point": "2026-07-01T08:30:00",
        "started": "2026-07-01T09:00:00",
        "finished": "2026-07-01T09:45:00",
        "succeeded": True,
        "integrity_verified": True,
        "method": "Checksums",
    }
    path = tmp_path / "tests.json"
    path.write_text(json.dumps([item]), encoding="utf-8")
    assert command("restore_tests_import", "--org", "clinic", "--as", "so@clinic.test", str(path))[0] == 0
    assert RestoreTest.objects.get().started_at == datetime.fromisoformat("2026-07-01T13:00:00+00:00")


def test_the_restore_import_page_names_the_zone(cast: Cast, restore_assets: None) -> None:
    page = client_for(cast.owner).get("/o/clinic/contingency/restore-tests/import/").content.decode()
    assert "read in\n  <strong>America/New_York</strong>, the import zone" in page
