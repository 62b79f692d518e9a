"""The upload task claims its batch before reading: a doubled or retried task neither reads the file again nor
deletes it under the first, and an error raised while reading reaches the caller as itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, default_storage

from safeguard.activity import tasks_ingestion
from safeguard.activity.models import IngestBatch
from safeguard.activity.services.ingestion import batch_create
from safeguard.activity.tasks_ingestion import ingest_upload
from safeguard.core.audit import Actor
from tests.activity_factories import make_source
from tests.conftest import Cast
from tests.test_activity_ingestion_fakes import Fakes, install_fakes


def queued_upload(cast: Cast, content: bytes = b'{"uid": "a"}\n') -> IngestBatch:
    source = make_source(cast.org)
    stored = default_storage.save("activity-uploads/test/upload", ContentFile(content))
    return batch_create(
        source, channel=IngestBatch.Channel.UPLOAD, actor=Actor(cast.owner), file_name="in.ndjson", stored_name=stored
    )


def test_a_doubled_task_leaves_the_batch_and_its_file_to_the_first(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = queued_upload(cast)
    stored = batch.stored_name
    reads: list[tuple[str, bool]] = []

    def reading(claimed: IngestBatch, path: Path, *, actor: Actor) -> IngestBatch:
        ingest_upload.call(claimed.pk)  # the second worker, while the first is still reading
        reads.append((IngestBatch.objects.get(pk=claimed.pk).state, path.exists()))
        return claimed

    monkeypatch.setattr(tasks_ingestion, "ingest_batch_file", reading)
    ingest_upload.call(batch.pk)

    assert reads == [(IngestBatch.State.RUNNING, True)]  # read once; the file was still there after the double
    batch.refresh_from_db()
    assert batch.stored_name == ""
    assert not default_storage.exists(stored)


def test_a_retry_of_a_finished_batch_does_nothing(cast: Cast, fakes_installed: Fakes) -> None:
    batch = queued_upload(cast, b'{"uid": "a", "time": "2026-03-02T10:00:00+00:00"}\n')
    ingest_upload.call(batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.accepted, batch.stored_name) == (IngestBatch.State.DONE, 1, "")
    claimed_at = batch.started_at

    ingest_upload.call(batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.accepted, batch.started_at) == (IngestBatch.State.DONE, 1, claimed_at)
    assert len(fakes_installed.store.appends) == 1


def test_the_claim_sets_the_start_time_the_reading_keeps(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = queued_upload(cast)
    seen: list[Any] = []
    monkeypatch.setattr(
        tasks_ingestion, "ingest_batch_file", lambda claimed, path, *, actor: seen.append(claimed.started_at)
    )
    ingest_upload.call(batch.pk)
    batch.refresh_from_db()
    assert seen == [batch.started_at] and batch.started_at is not None
    assert batch.state == IngestBatch.State.RUNNING  # the fake reader finished nothing


def test_a_batch_without_a_file_is_not_claimed(cast: Cast) -> None:
    batch = batch_create(make_source(cast.org), channel=IngestBatch.Channel.UPLOAD, actor=Actor(cast.owner))
    ingest_upload.call(batch.pk)
    batch.refresh_from_db()
    assert (batch.state, batch.started_at) == (IngestBatch.State.QUEUED, None)


def test_not_implemented_raised_while_reading_propagates_as_itself(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = queued_upload(cast)
    stored = batch.stored_name

    def reading(claimed: IngestBatch, path: Path, *, actor: Actor) -> IngestBatch:
        raise NotImplementedError("parser feature missing")

    monkeypatch.setattr(tasks_ingestion, "ingest_batch_file", reading)
    with pytest.raises(NotImplementedError, match="parser feature missing"):
        ingest_upload.call(batch.pk)
    assert not default_storage.exists(stored)


class RemoteStorage:
    """The file storage without local paths, as object storage has none."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner

    def path(self, name: str) -> str:
        raise NotImplementedError("This backend doesn't support absolute paths.")

    def open(self, name: str, mode: str = "rb") -> File:
        return self.inner.open(name, mode)

    def delete(self, name: str) -> None:
        self.inner.delete(name)


def test_storage_without_local_paths_reads_a_temporary_copy(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    batch = queued_upload(cast, b"remote bytes\n")
    stored = batch.stored_name
    remote = RemoteStorage(default_storage)
    monkeypatch.setattr(tasks_ingestion, "default_storage", remote)
    copies: list[tuple[bytes, Path]] = []

    def reading(claimed: IngestBatch, path: Path, *, actor: Actor) -> IngestBatch:
        copies.append((path.read_bytes(), path))
        return claimed

    monkeypatch.setattr(tasks_ingestion, "ingest_batch_file", reading)
    ingest_upload.call(batch.pk)
    assert [content for content, _ in copies] == [b"remote bytes\n"]
    assert not copies[0][1].exists()  # the temporary copy is removed
    assert not default_storage.exists(stored)


@pytest.fixture
def fakes_installed(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    return install_fakes(monkeypatch)
