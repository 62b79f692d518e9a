"""Discarding backup results uploads that will never be read: refused or failed ones, those uploaded and never
mapped, and a done one's file left behind (the reader deletes a committed file as soon as its runs are stored).
The import record stays as evidence, with its file name, SHA-256, counts and errors; only the stored file goes,
and the page then says when. A queued import whose file is gone can never start, so it fails with "upload it
again", as the shared import pipeline's unused uploads do (core.services.file_imports.uploads_discard_unused).
Running imports are left alone. One audit event per import, so each import's page can name its discard date."""

from __future__ import annotations

from datetime import datetime

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from safeguard.contingency.models import BackupImport
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import AuditEvent

State = BackupImport.State
SYSTEM = Actor.system("contingency.backup_uploads")
DISCARDED = "contingency.backup_import.upload_discarded"
UNUSED_DISCARDED = "The file was not read in time and was discarded: upload it again."
# Queued and never mapped: waiting for someone to confirm its columns. A queued import with a mapping waits for the
# reader (a refused file mapped anew is queued again with its old finish time cleared), so it is never discarded.
UNTOUCHED = Q(state=State.QUEUED, started_at__isnull=True, rows_read=0, mapping={})
OVER = Q(state__in=(State.REFUSED, State.FAILED, State.DONE))


def stale_uploads(before: datetime) -> QuerySet[BackupImport]:
    """Imports still holding a file that were last touched (finished, or else created) before `before`: a refused
    file read again with a new mapping counts from that reading."""
    return (
        BackupImport.objects.exclude(stored_name="")
        .filter(OVER | UNTOUCHED)
        .alias(touched=Coalesce("finished_at", "created_at"))
        .filter(touched__lt=before)
    )


def backup_uploads_discard(*, before: datetime, dry_run: bool = False) -> list[str]:
    """Delete the stored files of stale imports, every organization's; a line per file discarded (or to be).
    Idempotent: a discarded import holds no file, so a second run finds nothing."""
    lines = []
    for batch in stale_uploads(before).select_related("organization").order_by("organization__slug", "pk"):
        if dry_run:
            lines.append(_line(batch, "would discard"))
        elif _discard(batch, before):
            lines.append(_line(batch, "discarded"))
    return lines


def _line(batch: BackupImport, verb: str) -> str:
    name, day = batch.file_name or batch.get_channel_display(), timezone.localdate(batch.created_at)
    return f"{batch.organization.slug}: {verb} the backup results upload {name} ({batch.state}, {day:%Y-%m-%d})"


def _discard(listed: BackupImport, before: datetime) -> bool:
    with transaction.atomic():
        # Re-checked under the lock: a refused import may have been mapped anew and queued since it was listed.
        batch = stale_uploads(before).select_for_update().filter(pk=listed.pk).first()
        if batch is None:
            return False
        # The file goes first: an import pointing at no file only says "upload it again", while a file no
        # import points at would stay forever.
        default_storage.delete(batch.stored_name)
        changes: dict[str, list[object]] = {"stored_file": [batch.file_name, None]}
        updates: dict[str, object] = {"stored_name": ""}
        if batch.state == State.QUEUED:
            updates |= {"state": State.FAILED, "failure": UNUSED_DISCARDED, "finished_at": timezone.now()}
            changes["state"] = [State.QUEUED, State.FAILED]
        BackupImport.objects.filter(pk=batch.pk).update(**updates)
        audit_record(actor=SYSTEM, action=DISCARDED, organization=listed.organization, target=batch, changes=changes)
    return True


def upload_discarded_at(batch: BackupImport) -> datetime | None:
    """When this import's file was discarded as unused (None: kept, or deleted once its runs were stored)."""
    if batch.stored_name:
        return None
    return (
        AuditEvent.objects.filter(organization_id=batch.organization_id, action=DISCARDED)
        .filter(object_id=str(batch.public_id))
        .values_list("occurred_at", flat=True)
        .order_by("-sequence")
        .first()
    )
