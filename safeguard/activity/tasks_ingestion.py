"""Background reading of uploaded log files. The task takes the batch's id and does nothing for a batch already
read (a retried task), so running it twice stores nothing twice."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.storage import default_storage
from django_tasks import task

from safeguard.activity.models import IngestBatch
from safeguard.activity.services.ingestion import IngestionFailed, ingest_batch_file
from safeguard.core.audit import Actor


@task()
def ingest_upload(batch_id: int) -> None:
    batch = IngestBatch.objects.select_related("source__organization", "created_by").filter(pk=batch_id).first()
    if batch is None or batch.state != IngestBatch.State.QUEUED or not batch.stored_name:
        return
    actor = Actor(user=batch.created_by) if batch.created_by else Actor.system("activity.ingest_upload")
    try:
        with _local_copy(batch.stored_name) as path:
            ingest_batch_file(batch, path, actor=actor)
    except IngestionFailed:
        pass  # recorded on the batch, which the page shows
    finally:
        default_storage.delete(batch.stored_name)
        IngestBatch.objects.filter(pk=batch.pk).update(stored_name="")


@contextmanager
def _local_copy(name: str) -> Iterator[Path]:
    """The upload as a local file: parsers read paths, and remote storage has none."""
    try:
        yield Path(default_storage.path(name))
        return
    except NotImplementedError:
        pass
    with default_storage.open(name, "rb") as source, tempfile.NamedTemporaryFile(delete=False) as target:
        shutil.copyfileobj(source, target)
    try:
        yield Path(target.name)
    finally:
        Path(target.name).unlink(missing_ok=True)
