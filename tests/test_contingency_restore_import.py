"""Importing restore tests (command and upload): the same rules as by hand, row by row; all or nothing;
importing again adds nothing; times without an offset in the organization's import zone; exit statuses."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.contingency.models import ContingencySettings, CorrectiveAction, RestoreTest
from safeguard.core.models import AuditEvent
from tests.contingency_restore_factories import asset_with_objectives
from tests.test_api_support import client_as

pytestmark = pytest.mark.django_db
HEADER = "Asset,Performed by,Restore point,Started,Finished,Succeeded,Integrity verified,Method,Issues"
MET = "EHR,so@clinic.test,2026-03-02 08:30,2026-03-02 09:00,2026-03-02 10:00,yes,yes,Row counts,"
MISSED = "PACS,so@clinic.test,2026-03-03 08:00,2026-03-03 09:00,2026-03-03 13:30,yes,no,,Slow tape"


def run(tmp_path: Path, *args: str, text: str, name: str = "tests.csv", org: str = "clinic") -> tuple[str, int]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    out = StringIO()
    try:
        call_command("restore_tests_import", str(path), "--org", org, *args, stdout=out)
    except CommandError as error:
        return out.getvalue() + str(error), error.returncode
    return out.getvalue(), 0


@pytest.fixture
def assets(cast):
    return asset_with_objectives(cast.org, "EHR", rto=120, rpo=60), asset_with_objectives(cast.org, "PACS", rto=240)


def test_a_clean_file_is_committed_and_a_missed_test_opens_its_action(cast, assets, tmp_path):
    output, status = run(tmp_path, text=f"{HEADER}\n{MET}\n{MISSED}\n")
    assert status == 0, output
    assert "Committed: 2 created" in output
    assert "Failed or missed: corrective actions to open: 1" in output
    ehr_test, pacs_test = RestoreTest.objects.order_by("started_at")
    assert (ehr_test.outcome, pacs_test.outcome) == ("met", "missed")
    assert ehr_test.started_at == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the test settings' zone is UTC
    action = CorrectiveAction.objects.get()
    assert (action.restore_test, action.title) == (
        pacs_test,
        "Restore test of PACS missed its RTO by 30 min; integrity not verified",
    )
    assert AuditEvent.objects.filter(action="import.committed").count() == 1
    assert AuditEvent.objects.filter(action="contingency.restore_test.recorded").count() == 2


def test_importing_the_same_file_again_adds_nothing(cast, assets, tmp_path):
    text = f"{HEADER}\n{MET}\n{MISSED}\n"
    run(tmp_path, text=text)
    output, status = run(tmp_path, text=text)
    assert status == 0
    assert "Committed: 0 created" in output
    assert "Already recorded: skipped: 2" in output
    assert (RestoreTest.objects.count(), CorrectiveAction.objects.count()) == (2, 1)


def test_a_row_matching_a_recorded_test_with_other_values_is_refused(cast, assets, tmp_path):
    run(tmp_path, text=f"{HEADER}\n{MET}\n")
    changed = MET.replace("2026-03-02 10:00,yes,yes", "2026-03-02 10:30,yes,yes")
    unverified = MET.replace(",yes,yes,Row counts,", ",yes,no,,")
    fresh = MET.replace("2026-03-02", "2026-03-09")
    output, status = run(tmp_path, text=f"{HEADER}\n{MET}\n{changed}\n{unverified}\n{fresh}\n")
    assert status == 1, output
    assert "row 2" not in output  # identical: still skipped
    assert (
        "row 3, column Started: A restore test of EHR started 2026-03-02 09:00 is already recorded with other values "
        "(finished 2026-03-02 10:00, restore point 2026-03-02 08:30, succeeded, integrity verified): nothing is "
        "overwritten." in output
    )
    assert "row 4, column Started: A restore test of EHR started 2026-03-02 09:00 is already recorded" in output
    assert "Nothing committed" in output
    assert RestoreTest.objects.count() == 1
    assert RestoreTest.objects.get().finished_at == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_two_rows_of_one_test_with_other_values_are_refused(cast, assets, tmp_path):
    changed = MET.replace("2026-03-02 10:00,yes,yes", "2026-03-02 10:30,yes,yes")
    output, status = run(tmp_path, text=f"{HEADER}\n{MET}\n{MET}\n{changed}\n")
    assert status == 1, output
    assert "row 3" not in output
    assert "row 4, column Started: A restore test of EHR started 2026-03-02 09:00 is given on an earlier row" in output
    assert not RestoreTest.objects.exists()


def test_any_bad_row_refuses_the_whole_file_naming_row_and_column(cast, assets, tmp_path):
    rows = [
        MET,
        "Fax,so@clinic.test,2026-03-02 08:30,2026-03-02 09:00,2026-03-02 10:00,yes,no,,",
        "EHR,so@clinic.test,2026-03-04 08:30,2026-03-04 09:00,2026-03-04 08:59,yes,no,,",
        "EHR,so@clinic.test,,2026-03-05 09:00,2026-03-05 10:00,yes,no,,",
        "EHR,so@clinic.test,2026-03-06 09:30,2026-03-06 09:00,2026-03-06 10:00,maybe,no,,",
        "EHR,owner@other.test,2026-03-07 08:30,2026-03-07 09:00,2026-03-07 10:00,yes,no,,",
    ]
    output, status = run(tmp_path, text="\n".join([HEADER, *rows]) + "\n")
    assert status == 1
    assert "row 3, column Asset: No asset named 'Fax'" in output
    assert "row 4, column Finished: The restore cannot finish before it started." in output
    assert "row 5, column Restore point: Give the restore point time" in output
    assert "row 6, column Succeeded: 'maybe' is not yes or no." in output
    assert "row 7, column Performed by: owner@other.test is not a current member" in output
    assert "Nothing committed" in output
    assert not RestoreTest.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="contingency.").exists()


def test_an_asset_without_objectives_is_refused_by_row(cast, tmp_path):
    from tests.risk_factories import asset as plain_asset

    plain_asset(cast.org, "EHR", since=date(2024, 1, 1))
    output, status = run(tmp_path, text=f"{HEADER}\n{MET}\n")
    assert status == 1
    assert "row 2, column Asset: EHR has no recovery objectives" in output


def test_a_dry_run_writes_nothing(cast, assets, tmp_path):
    output, status = run(tmp_path, "--dry-run", text=f"{HEADER}\n{MET}\n")
    assert status == 0
    assert "Nothing committed" in output
    assert not RestoreTest.objects.exists()


def test_ndjson_with_offsets_is_read_line_by_line(cast, assets, tmp_path):
    lines = [
        {
            "asset": "EHR",
            "performed_by": "so@clinic.test",
            "restore_point": "2026-03-02T08:30:00-05:00",
            "started": "2026-03-02T09:00:00-05:00",
            "finished": "2026-03-02T11:00:00-05:00",
            "succeeded": True,
            "integrity_verified": True,
            "method": "Row counts",
        },
        {
            "asset": "EHR",
            "performed_by": "so@clinic.test",
            "restore_point": "2026-03-09T08:30:00-04:00",
            "started": "2026-03-09T09:00:00-04:00",
            "finished": "2026-03-09T09:30:00-04:00",
            "succeeded": False,
        },
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n"
    output, status = run(tmp_path, text=text, name="tests.ndjson")
    assert status == 0, output
    first, second = RestoreTest.objects.order_by("started_at")
    assert first.started_at == datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
    assert (first.outcome, second.outcome) == ("met", "failed")
    broken = json.dumps(lines[0] | {"started": "2026-03-02T09:00:00-05:00", "finished": "2026-03-01T09:00:00-05:00"})
    output, status = run(tmp_path, text=broken + "\n", name="more.jsonl")
    assert status == 1
    assert "row 1, column finished: The restore cannot finish before it started." in output


def test_a_json_array_is_read_too(cast, assets, tmp_path):
    item = {
        "asset": "EHR",
        "performed_by": "so@clinic.test",
        "restore_point": "2026-03-02 08:30",
        "started": "2026-03-02 09:00",
        "finished": "2026-03-02 09:45",
        "succeeded": "yes",
        "integrity_verified": "yes",
        "method": "Checksums",
    }
    output, status = run(tmp_path, text=json.dumps([item]), name="tests.json")
    assert status == 0, output
    assert RestoreTest.objects.get().outcome == "met"


def test_a_time_that_happens_twice_in_the_zone_is_refused(cast, assets, tmp_path):
    ContingencySettings.objects.update_or_create(
        organization=cast.org, defaults={"import_time_zone": "America/New_York"}
    )
    row = "EHR,so@clinic.test,2026-11-01 00:30,2026-11-01 01:30,2026-11-01 02:30,yes,no,,"
    output, status = run(tmp_path, text=f"{HEADER}\n{row}\n")
    assert status == 1
    assert "row 2, column Started: 2026-11-01 01:30 happens twice in America/New_York" in output
    fine = "EHR,so@clinic.test,2026-07-01 08:30,2026-07-01 09:00,2026-07-01 10:00,yes,no,,"
    assert run(tmp_path, text=f"{HEADER}\n{fine}\n")[1] == 0
    assert RestoreTest.objects.get().started_at == datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))


def test_wrong_usage_exits_with_2(cast, assets, tmp_path):
    assert run(tmp_path, text=f"{HEADER}\n{MET}\n", org="nowhere")[1] == 2
    out = StringIO()
    with pytest.raises(CommandError) as missing:
        call_command("restore_tests_import", str(tmp_path / "absent.csv"), "--org", "clinic", stdout=out)
    assert missing.value.returncode == 2


def test_an_unreadable_file_exits_with_1_and_commits_nothing(cast, assets, tmp_path):
    output, status = run(tmp_path, text="not,a,table\n", name="tests.pdf")
    assert (status, output) == (1, "Nothing committed: Upload a .csv, .xlsx or .json file.")
    output, status = run(tmp_path, text=f"{HEADER}\n{MET}\n", name="tests.xlsx")
    assert status == 1
    assert output.startswith("Nothing committed: The file is named .xlsx but its content is not an Excel workbook")
    assert not RestoreTest.objects.exists()


def test_an_upload_is_checked_and_committed_through_the_import_endpoints(
    cast, assets, django_capture_on_commit_callbacks
):
    client = client_as(cast, "owner")
    upload = SimpleUploadedFile("tests.csv", f"{HEADER}\n{MET}\n{MISSED}\n".encode())
    job = client.post("/api/v1/orgs/clinic/contingency/restore-tests/imports/", {"file": upload}, format="multipart")
    url = f"/api/v1/orgs/clinic/file-imports/{job.json()['public_id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url + "mapping/", {"mapping": job.json()["mapping"]}, format="json").status_code == 202
    checked = client.get(url).json()
    assert checked["state"] == "ready", checked
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url + "commit/").status_code == 202
    committed = client.get(url).json()
    assert (committed["state"], committed["created_count"]) == ("committed", 2)
    assert committed["result"] == {"skipped": 0, "actions_opened": 1}
    assert CorrectiveAction.objects.count() == 1
