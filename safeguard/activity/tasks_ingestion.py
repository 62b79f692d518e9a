"""Background reading of uploaded log files. The task takes the batch's id and claims the batch (queued →
running) before reading it; a retried or doubled task that loses the claim does nothing, so nothing is stored
twice and the file stays until the reader is done with it."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils import timezone
from django_tasks import task

from safeguard.activity.models import IngestBatch
from safeguard.activity.services.ingestion import IngestionFailed, ingest_batch_file
from safeguard.activity.uploads import local_copy
from safeguard.core.audit import Actor


@task()
def ingest_upload(batch_id: int) -> None:
    if not _claim(batch_id):
        return
    batch = IngestBatch.objects.select_related("source__organization", "created_by").get(pk=batch_id)
    actor = Actor(user=batch.created_by) if batch.created_by else Actor.system("activity.ingest_upload")
    try:
        with local_copy(batch.stored_name) as path:
            ingest_batch_file(batch, path, actor=actor)
    except IngestionFailed:
        pass  # recorded on the batch, which the page shows
    finally:
        default_storage.delete(batch.stored_name)
        IngestBatch.objects.filter(pk=batch.pk).update(stored_name="")


def _claim(batch_id: int) -> bool:
    """Queued → running in one conditional UPDATE: of a retried or doubled task only one reads the file, and the
    other must not delete it under the first."""
    claimed = (
        IngestBatch.objects.filter(pk=batch_id, state=IngestBatch.State.QUEUED)
        .exclude(stored_name="")
        .update(state=IngestBatch.State.RUNNING, started_at=timezone.now())
    )
    return claimed == 1
