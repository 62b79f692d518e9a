"""What a phishing import keeps: never what recipients typed into the landing page (GoPhish's `details`, in its
events CSV and its JSON timeline, is not read), and not the uploaded file once the import is committed, refused at
commit, or left unused for a day (the daily chore); the job keeps the file's name, size and SHA-256, and its page
still opens."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.chores import registered_chores
from safeguard.core.imports import importer_for
from safeguard.core.models import AuditEvent, FileImport
from safeguard.core.services import file_imports
from safeguard.core.services.errors import ServiceError
from safeguard.training.models import PhishingResult
from safeguard.training.phishing_import import KIND_EVENTS, KIND_JSON
from safeguard.training.services.phishing import phishing_import_start
from tests.conftest import Cast, client_for
from tests.test_training_phishing_support import EVENTS_HEADER, campaign_json, csv_bytes, roster, spring_events

SECRET = "hunter2-typed-on-the-landing-page"
State = FileImport.State


def events_with_secret() -> bytes:
    rows = spring_events()
    for row in rows:
        if row[3] == "Submitted Data":
            row[4] = json.dumps({"payload": {"username": ["a"], "password": [SECRET]}})
    return csv_bytes(EVENTS_HEADER, rows)


def json_with_secret() -> bytes:
    payload = json.loads(campaign_json())
    for item in payload["timeline"]:
        if item["message"] == "Submitted Data":
            item["details"] = json.dumps({"payload": {"password": [SECRET]}})
    return json.dumps(payload).encode()


def start(cast: Cast, data: bytes, kind: str = KIND_EVENTS, name: str = "spring.csv") -> FileImport:
    options = {"name": "Spring lure"} if kind == KIND_EVENTS else {}
    return phishing_import_start(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        kind=kind,
        upload=SimpleUploadedFile(name, data),
        options=options,
    )


def commit(cast: Cast, job: FileImport, capture: Any) -> FileImport:
    with capture(execute=True):
        file_imports.import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)
    job.refresh_from_db()
    return job


def kept_anywhere(text: str) -> bool:
    rows = [
        *FileImport.objects.values_list("errors", "preview", "summary", "result", "options"),
        *AuditEvent.objects.values_list("changes", flat=True),
        *PhishingResult.objects.values_list("email", "first_name", "last_name", "position", "external_id"),
    ]
    return text in json.dumps(rows, default=str)


def test_the_event_details_column_is_dropped_as_the_file_is_read() -> None:
    table = importer_for(KIND_EVENTS).read_table(events_with_secret(), "csv")

    assert table.headers == EVENTS_HEADER
    assert all(row.cells[4] == "" for row in table.rows)
    assert SECRET not in repr(table)


@pytest.mark.parametrize(("kind", "name"), [(KIND_EVENTS, "spring.csv"), (KIND_JSON, "spring.json")])
def test_a_committed_import_keeps_no_details_and_deletes_its_file(
    cast: Cast, django_capture_on_commit_callbacks: Any, kind: str, name: str
) -> None:
    roster(cast.org)
    data = events_with_secret() if kind == KIND_EVENTS else json_with_secret()
    with django_capture_on_commit_callbacks(execute=True):
        job = start(cast, data, kind, name)
    job.refresh_from_db()
    stored, sha256 = job.stored_name, job.sha256
    assert job.state == State.READY and default_storage.exists(stored)

    job = commit(cast, job, django_capture_on_commit_callbacks)

    assert job.state == State.COMMITTED
    assert not default_storage.exists(stored)
    assert (job.stored_name, job.sha256, job.file_name, job.result["upload_bytes"]) == ("", sha256, name, len(data))
    assert PhishingResult.objects.count() == 10
    assert not kept_anywhere(SECRET)
    page = client_for(cast.owner).get(reverse("core:file_import_detail", args=["clinic", job.public_id]))
    assert page.status_code == 200 and name in page.content.decode()


def test_an_import_refused_at_commit_deletes_its_file_too(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    roster(cast.org)
    jobs = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            jobs.append(start(cast, events_with_secret()))
    commit(cast, jobs[0], django_capture_on_commit_callbacks)
    stored = FileImport.objects.get(pk=jobs[1].pk).stored_name

    again = commit(cast, jobs[1], django_capture_on_commit_callbacks)

    assert again.state == State.FAILED
    assert again.failure == "Nothing new: every recipient in the file is already recorded as it is."
    assert again.stored_name == "" and not default_storage.exists(stored)
    with pytest.raises(ServiceError, match="The uploaded file is no longer kept: upload it again."):
        file_imports.import_map(organization=cast.org, actor=Actor(user=cast.owner), job=again, mapping=again.mapping)


def test_uploads_left_unused_for_a_day_are_deleted_by_the_daily_chore(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    chore = registered_chores()["training.phishing_uploads"]
    with django_capture_on_commit_callbacks(execute=True):
        old, recent = start(cast, events_with_secret()), start(cast, events_with_secret())
    today = timezone.localdate()
    FileImport.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    old_file, recent_file = old.stored_name, recent.stored_name

    planned = chore(today, True)
    assert default_storage.exists(old_file)
    done = chore(today, False)

    assert planned == ["clinic: would delete the upload spring.csv"]
    assert done == ["clinic: deleted the upload spring.csv"]
    assert chore(today, False) == []  # idempotent
    old.refresh_from_db()
    assert (old.state, old.stored_name, old.sha256) == (State.FAILED, "", recent.sha256)
    assert old.failure.startswith("The uploaded file was deleted unused")
    assert not default_storage.exists(old_file) and default_storage.exists(recent_file)
    assert chore(today + timedelta(days=2), False) == ["clinic: deleted the upload spring.csv"]
    assert not default_storage.exists(recent_file)


def test_the_chore_leaves_files_of_imports_that_keep_their_uploads(cast: Cast) -> None:
    stored = default_storage.save("imports/test/roster.csv", ContentFile(b"Employee ID\nE-1\n"))
    FileImport.objects.create(
        organization=cast.org,
        kind="workforce.roster",
        file_name="roster.csv",
        file_format="csv",
        sha256="0" * 64,
        stored_name=stored,
        created_by=cast.owner,
        created_at=timezone.now() - timedelta(days=30),
    )

    assert registered_chores()["training.phishing_uploads"](timezone.localdate(), False) == []
    assert default_storage.exists(stored)
    default_storage.delete(stored)
