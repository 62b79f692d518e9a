"""Importing backup results: all or nothing with every problem listed by row, idempotent re-import, conflicting
duplicates reported rather than overwritten, NDJSON, the mapping guessed and corrected, the capped error list, and
one audit event per delivery."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.contingency.models import BackupImport, BackupResult, ContingencySettings
from safeguard.contingency.services.backup_import import (
    backup_import_start,
    backup_import_upload,
    backup_results_record,
    suggested_mapping,
)
from safeguard.contingency.services.backup_import_check import ERRORS_KEPT
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.conftest import Cast
from tests.contingency_backup_factories import asset, csv_text, policy, run, utc

ROW_1 = "EHR,nightly,2026-03-01T01:00:00Z,2026-03-01T01:30:00Z,success,100,"
ROW_2 = "EHR,nightly,2026-03-02T01:00:00Z,2026-03-02T01:30:00Z,failed,,"
ROW_3 = "PACS,images,2026-03-02T02:00:00+01:00,2026-03-02T02:30:00+01:00,warning,5,2026-03-02T01:00:00Z"


@pytest.fixture
def jobs(cast: Cast) -> None:
    policy(asset(cast.org, "EHR"), "nightly")
    policy(asset(cast.org, "PACS"), "images")


@pytest.fixture
def upload(cast: Cast, django_capture_on_commit_callbacks: Any) -> Any:
    """Upload and read a file as the page and the API do, running the queued task when the upload commits."""

    def uploaded(data: bytes, name: str = "runs.csv", **mapping: str) -> BackupImport:
        with django_capture_on_commit_callbacks(execute=True):
            batch = backup_import_upload(
                organization=cast.org, actor=Actor(cast.owner), upload=SimpleUploadedFile(name, data), mapping=mapping
            )
        batch.refresh_from_db()
        return batch

    return uploaded


@pytest.fixture
def start(cast: Cast, django_capture_on_commit_callbacks: Any) -> Any:
    def started(batch: BackupImport, mapping: dict[str, str]) -> BackupImport:
        with django_capture_on_commit_callbacks(execute=True):
            backup_import_start(organization=cast.org, actor=Actor(cast.owner), batch=batch, mapping=mapping)
        batch.refresh_from_db()
        return batch

    return started


def test_clean_file_is_stored_and_audited_once(cast: Cast, jobs: None, upload: Any) -> None:
    batch = upload(csv_text(ROW_1, ROW_2, ROW_3))
    assert (batch.state, batch.rows_read, batch.inserted, batch.duplicates) == ("done", 3, 3, 0)
    assert batch.stored_name == ""  # committed: the file is let go, its SHA-256 kept
    images = BackupResult.objects.get(policy__job_name="images")
    assert images.started_at == utc("2026-03-02 01:00")
    assert AuditEvent.objects.filter(action="contingency.backup_import.done").count() == 1
    assert AuditEvent.objects.get(action="contingency.backup_import.done").changes["inserted"] == [None, 3]


def test_one_bad_row_refuses_the_whole_file_listing_every_problem(cast: Cast, jobs: None, upload: Any) -> None:
    ContingencySettings.objects.update_or_create(organization=cast.org, defaults={"import_time_zone": "Europe/Paris"})
    bad = "Billing,nightly,2026-03-03T01:00:00Z,2026-03-03T00:00:00Z,success,-5,"
    skipped = "EHR,nightly,2026-03-29T02:30:00,2026-03-29T02:00:00Z,ok,,"  # Paris skips 02:00–03:00 that night
    batch = upload(csv_text(ROW_1, bad, ROW_2, skipped))
    assert batch.state == "refused"
    assert not BackupResult.objects.exists()
    assert batch.rejected == 2
    assert {(e["row"], e["field"]) for e in batch.errors} == {
        (3, "asset"),
        (3, "finished"),
        (3, "size"),
        (5, "started"),
    }
    assert "2026-03-29 02:30 does not exist in Europe/Paris" in batch.errors[-1]["reason"]
    assert "Nothing was stored" in batch.failure
    assert batch.stored_name  # kept, so the mapping can be corrected and the file read again


def test_reimporting_the_same_file_adds_nothing(cast: Cast, jobs: None, upload: Any) -> None:
    data = csv_text(ROW_1, ROW_2, ROW_3)
    upload(data)
    again = upload(data)
    assert (again.state, again.inserted, again.duplicates) == ("done", 0, 3)
    assert BackupResult.objects.count() == 3


def test_a_file_adding_to_stored_runs_stores_only_the_new(cast: Cast, jobs: None, upload: Any) -> None:
    upload(csv_text(ROW_1))
    batch = upload(csv_text(ROW_1, ROW_2))
    assert (batch.inserted, batch.duplicates) == (1, 1)


def test_a_duplicate_with_other_values_is_reported_not_overwritten(cast: Cast, jobs: None, upload: Any) -> None:
    upload(csv_text(ROW_1))
    batch = upload(csv_text(ROW_1.replace("success", "failed")))
    assert batch.state == "refused"
    assert "already recorded with other values" in batch.errors[0]["reason"]
    assert BackupResult.objects.get().status == "success"


def test_the_same_run_twice_in_a_file_counts_once(cast: Cast, jobs: None, upload: Any) -> None:
    batch = upload(csv_text(ROW_1, ROW_1))
    assert (batch.inserted, batch.duplicates) == (1, 1)
    conflicting = upload(csv_text(ROW_2, ROW_2.replace("failed", "ok")))
    assert conflicting.state == "refused"
    assert "Repeats the run of row 2" in conflicting.errors[0]["reason"]


def test_error_list_is_capped_but_every_row_counted(cast: Cast, jobs: None, upload: Any) -> None:
    rows = [f"Nowhere,nightly,2026-03-01T01:00:{n % 60:02d}Z,2026-03-01T02:00:00Z,ok,," for n in range(250)]
    batch = upload(csv_text(*rows))
    assert len(batch.errors) == ERRORS_KEPT
    assert batch.rejected == 250
    assert "250 problems in 250 rows; the first 200 are listed" in batch.failure


def test_ndjson_with_its_own_keys_is_mapped(cast: Cast, jobs: None, upload: Any) -> None:
    lines = [
        '{"system": "EHR", "job_name": "nightly", "start_time": "2026-03-01T01:00:00Z",'
        ' "end_time": "2026-03-01T01:30:00Z", "result": "OK", "bytes": 12}',
        "",
        '{"system": "EHR", "job_name": "nightly", "start_time": "2026-03-02T01:00:00Z",'
        ' "end_time": "2026-03-02T01:30:00Z", "result": "Error", "bytes": null}',
    ]
    batch = upload("\n".join(lines).encode(), name="runs.ndjson")
    assert (batch.state, batch.inserted) == ("done", 2)
    assert batch.mapping["started"] == "start_time"
    assert BackupResult.objects.get(status="success").size_bytes == 12


def test_ndjson_line_that_is_not_json_is_refused_by_line(cast: Cast, jobs: None, upload: Any) -> None:
    line = (
        '{"asset": "EHR", "job": "nightly", "started": "2026-03-01T01:00:00Z", '
        '"finished": "2026-03-01T02:00:00Z", "status": "ok"}'
    )
    batch = upload(f"{line}\nnot json\n".encode(), name="runs.ndjson")
    assert batch.state == "refused"
    assert batch.errors[0]["row"] == 2 and "Not JSON" in batch.errors[0]["reason"]


def test_page_upload_waits_for_the_mapping_which_can_be_corrected(cast: Cast, jobs: None, start: Any) -> None:
    data = csv_text(
        "EHR,nightly,2026-03-01T01:00:00Z,2026-03-01T01:30:00Z,ok,1", header="Client,Job Name,Begin,When,Outcome,Bytes"
    )
    batch = backup_import_upload(
        organization=cast.org, actor=Actor(cast.owner), upload=SimpleUploadedFile("r.csv", data)
    )
    assert (batch.state, batch.mapping) == ("queued", {})
    guessed = suggested_mapping(batch)
    assert guessed == {"asset": "Client", "job": "Job Name", "started": "Begin", "status": "Outcome", "size": "Bytes"}
    started = start(batch, guessed | {"finished": "When"})
    assert (started.state, started.inserted) == ("done", 1)


def test_a_refused_file_is_read_again_with_a_corrected_mapping(cast: Cast, jobs: None, upload: Any, start: Any) -> None:
    data = csv_text("EHR,nightly,2026-03-01T01:00:00Z,2026-03-01T01:30:00Z,ok,1", header="asset,job,a,b,status,size")
    batch = upload(data, started="b", finished="a")  # swapped: finish before start
    assert batch.state == "refused"
    swapped = dict(batch.mapping)
    again = start(batch, dict(batch.mapping, started="a", finished="b"))
    assert (again.state, again.inserted, again.errors) == ("done", 1, [])
    remapped = AuditEvent.objects.filter(action="contingency.backup_import.queued").order_by("pk").last()
    assert remapped is not None
    assert remapped.object_id == str(batch.public_id)
    assert remapped.changes["mapping"] == [swapped, again.mapping]
    assert remapped.changes["state"] == ["refused", "queued"]


def test_hook_runs_are_stored_at_once_and_idempotent(cast: Cast, jobs: None) -> None:
    one = {
        "asset": "EHR",
        "job": "nightly",
        "started": "2026-03-01T01:00:00Z",
        "finished": "2026-03-01T01:30:00Z",
        "status": "ok",
    }
    first = backup_results_record(organization=cast.org, actor=Actor(cast.owner), runs=[one])
    second = backup_results_record(organization=cast.org, actor=Actor(cast.owner), runs=[one])
    assert (first.state, first.inserted) == ("done", 1)
    assert (second.state, second.inserted, second.duplicates) == ("done", 0, 1)


def test_stored_run_of_another_organization_is_not_a_duplicate(cast: Cast, jobs: None, upload: Any) -> None:
    run(policy(asset(cast.other_org, "EHR")), utc("2026-03-01 01:00"))
    batch = upload(csv_text(ROW_1))
    assert (batch.inserted, batch.duplicates) == (1, 0)


def test_progress_is_saved_while_the_file_is_checked(
    cast: Cast, jobs: None, upload: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[int] = []
    monkeypatch.setattr("safeguard.contingency.services.backup_import_check.PROGRESS_EVERY", 2)
    original = BackupImport.objects.filter

    def spy(*args: Any, **kwargs: Any) -> Any:
        rows = original(*args, **kwargs)
        update = rows.update

        def recorded(**values: Any) -> int:
            if set(values) == {"rows_read"}:
                seen.append(values["rows_read"])
            return update(**values)

        rows.update = recorded  # type: ignore[method-assign]
        return rows

    monkeypatch.setattr(BackupImport.objects, "filter", spy)
    batch = upload(csv_text(ROW_1, ROW_2, ROW_3, ROW_1.replace("03-01", "02-28")))
    assert seen == [2, 4]
    assert batch.rows_read == 4


def test_a_file_that_is_not_utf8_is_refused_at_upload(cast: Cast, jobs: None) -> None:
    from safeguard.core.services.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        backup_import_upload(
            organization=cast.org,
            actor=Actor(cast.owner),
            upload=SimpleUploadedFile("r.csv", "asset,job\n".encode("utf-16")),
        )
    assert "not UTF-8" in refused.value.message
    assert not BackupImport.objects.exists()
