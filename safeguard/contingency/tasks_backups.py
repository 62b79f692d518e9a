"""Background reading of uploaded backup results. The task takes the import's id and claims it (queued → running)
before reading; a doubled task that loses the claim does nothing. A committed file is deleted (the runs and its
SHA-256 stay); a refused one is kept, so it can be mapped anew and read again."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django_tasks import task

from safeguard.contingency.models import BackupImport
from safeguard.contingency.services.backup_import import backup_import_execute, claim, stored_file_opener
from safeguard.core.audit import Actor

UNEXPECTED = "Reading stopped on an unexpected error: nothing was stored. Try again, or ask an administrator."


@task()
def read_backup_import(batch_id: int) -> None:
    if not claim(batch_id):
        return
    batch = BackupImport.objects.select_related("organization", "created_by").get(pk=batch_id)
    actor = Actor(user=batch.created_by) if batch.created_by else Actor.system("contingency.read_backup_import")
    try:
        finished = backup_import_execute(batch, stored_file_opener(batch), actor=actor)
    except Exception:
        # The page must not show "running" forever; the error itself goes to the worker's log.
        BackupImport.objects.filter(pk=batch.pk).update(state=BackupImport.State.FAILED, failure=UNEXPECTED)
        raise
    if finished.state == BackupImport.State.DONE:
        default_storage.delete(batch.stored_name)
        BackupImport.objects.filter(pk=batch.pk).update(stored_name="")
