"""The shared import pipeline: upload → column mapping → background check with progress → errors listed by row
and column, or a preview → background commit that re-checks and writes everything in one transaction, or
nothing. What a file means is the registered importer's business (core/imports.py).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor, audit_record
from safeguard.core.imports import CheckedFile, Importer, ImportRefused, Outcome, RowError, importer_for
from safeguard.core.models import FileImport, Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation

State = FileImport.State
STORAGE_DIR = "imports"
UPLOAD_GONE = "The uploaded file is no longer kept: upload it again."
UNUSED_DISCARDED = "The uploaded file was deleted unused (files of this kind are not kept): upload it again."
PREVIEW_ROWS = 20
PROGRESS_EVERY = 500
REMAPPABLE = (State.UPLOADED, State.INVALID, State.READY, State.FAILED)
WORKING = (State.VALIDATING, State.COMMITTING)


class ImportRejected(Exception):
    """The file cannot be committed as it stands; nothing was written."""

    def __init__(self, failure: str, errors: list[RowError] | None = None) -> None:
        super().__init__(failure)
        self.failure = failure
        self.errors = errors or []


def _options(importer: Importer, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
    try:
        return importer.clean_options(organization, options)
    except ImportRefused as refused:
        raise ServiceError(refused.message, field=refused.field or "options") from None


def read_upload(
    upload: UploadedFile, *, formats: tuple[str, ...] = tabular.FORMATS, max_bytes: int | None = None
) -> tuple[bytes, str, str]:
    """The bytes, a safe file name and the format ("csv"/"xlsx", or one of `formats`) of an upload; ServiceError
    when unreadable or past `max_bytes` (default tabular.MAX_BYTES)."""
    max_bytes = tabular.MAX_BYTES if max_bytes is None else max_bytes
    too_large = f"The file is larger than {max_bytes // (1024 * 1024)} MB."
    if (upload.size or 0) > max_bytes:
        raise ServiceError(too_large, field="file")
    data = upload.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ServiceError(too_large, field="file")
    name = (upload.name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    try:
        file_format = tabular.sniff_format(data, name, formats=formats, max_bytes=max_bytes)
    except tabular.TabularError as error:
        raise ServiceError(str(error), field="file") from None
    return data, name, file_format


def import_start(
    *, organization: Organization, actor: Actor, kind: str, upload: UploadedFile, options: dict[str, Any] | None = None
) -> FileImport:
    """Keep the file, read its header row and start from the saved (else a guessed) mapping."""
    if actor.user is None:
        raise ServiceError("An import is started by a person.")
    try:
        importer = importer_for(kind)
    except ImportRefused as refused:
        raise ServiceError(refused.message, field="kind") from None
    cleaned = _options(importer, organization, dict(options or {}))
    data, name, file_format = read_upload(upload, formats=importer.formats, max_bytes=importer.byte_limit)
    try:
        headers = importer.read_headers(data, file_format)
    except tabular.TabularError as error:
        raise ServiceError(str(error), field="file") from None
    saved = {
        field: header for field, header in importer.saved_mapping(organization, cleaned).items() if header in headers
    }
    mapping = saved or importer.guess_mapping(headers)
    stored = default_storage.save(
        f"{STORAGE_DIR}/{organization.public_id}/{uuid.uuid4().hex}.{file_format}", ContentFile(data)
    )
    try:
        with transaction.atomic():
            job = FileImport.objects.create(
                organization=organization,
                kind=kind,
                options=cleaned,
                file_name=name,
                file_format=file_format,
                sha256=hashlib.sha256(data).hexdigest(),
                stored_name=stored,
                headers=headers,
                mapping=mapping,
                created_by=actor.user,
            )
            audit_record(
                actor=actor,
                action="import.started",
                organization=organization,
                target=job,
                changes={
                    "kind": [None, kind],
                    "options": [None, cleaned],
                    "file_name": [None, name],
                    "sha256": [None, job.sha256],
                    "columns": [None, len(headers)],
                },
            )
    except BaseException:
        default_storage.delete(stored)  # the row never existed: its file must not stay behind
        raise
    return job


def _locked(job: FileImport) -> FileImport:
    return FileImport.objects.select_for_update().get(pk=job.pk, organization_id=job.organization_id)


def import_map(*, organization: Organization, actor: Actor, job: FileImport, mapping: dict[str, str]) -> FileImport:
    """Save the column mapping and check every row in the background."""
    mapping = {name: header for name, header in mapping.items() if header}
    importer = importer_for(job.kind)
    with transaction.atomic():
        locked = _locked(job)
        if locked.state not in REMAPPABLE:
            raise ServiceError(f"The mapping cannot change now: this import is {locked.get_state_display().lower()}.")
        if not locked.stored_name:
            raise ServiceError(UPLOAD_GONE)
        problems = importer.mapping_errors(locked.headers, mapping)
        if problems:
            name, message = next(iter(problems.items()))
            raise ServiceError(message, field=name)
        before = dict(locked.mapping)
        locked.mapping = mapping
        locked.state = State.VALIDATING
        locked.processed_rows = 0
        locked.errors, locked.preview, locked.summary, locked.failure = [], [], [], ""
        locked.finished_at = None
        locked.save()
        audit_record(
            actor=actor,
            action="import.mapped",
            organization=organization,
            target=locked,
            changes={"mapping": [before, mapping]},
        )

        def enqueue() -> None:
            from safeguard.core.tasks import validate_file_import

            validate_file_import.enqueue(locked.pk)

        transaction.on_commit(enqueue)
    return locked


def import_commit(*, organization: Organization, actor: Actor, job: FileImport) -> FileImport:
    """Queue the commit of a clean, checked file; the task writes all of it or nothing."""
    if actor.user is None:
        raise ServiceError("An import is committed by a person.")
    with transaction.atomic():
        locked = _locked(job)
        if locked.state != State.READY:
            raise ServiceError(
                "Only a checked file without errors can be committed; "
                f"this import is {locked.get_state_display().lower()}."
            )
        locked.state = State.COMMITTING
        locked.save(update_fields=["state"])
        user_id, ip = actor.user.pk, actor.ip

        def enqueue() -> None:
            from safeguard.core.tasks import commit_file_import

            commit_file_import.enqueue(locked.pk, user_id, ip)

        transaction.on_commit(enqueue)
    return locked


# ---- the background work -----------------------------------------------------------------------------------------


def _table(job: FileImport, importer: Importer) -> tabular.Table:
    if not job.stored_name:
        raise tabular.TabularError(UPLOAD_GONE)
    with default_storage.open(job.stored_name, "rb") as handle:
        data = handle.read(importer.byte_limit + 1)
    if len(data) > importer.byte_limit:
        raise tabular.TabularError(f"The file is larger than {importer.byte_limit // (1024 * 1024)} MB.")
    return importer.read_table(data, job.file_format)


def _finish(job: FileImport, state: str, **fields: object) -> None:
    FileImport.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)


def _unreadable(error: Exception) -> str:
    if isinstance(error, tabular.TabularError):
        return str(error)
    return "The uploaded file can no longer be read: upload it again."


def check_table(
    importer: Importer,
    organization: Organization,
    table: tabular.Table,
    mapping: dict[str, str],
    options: dict[str, Any],
    progress: Any = None,
) -> CheckedFile:
    """Every row checked, nothing written; `progress(done)` hears the count every few hundred rows."""

    def tick(done: int) -> None:
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done)

    problems = importer.mapping_errors(table.headers, mapping)
    if problems:
        raise ImportRefused(next(iter(problems.values())))
    return importer.check(organization, table, mapping, options, tick)


def import_validate_run(*, job_id: int) -> None:
    """Check every row of a job waiting in VALIDATING; idempotent for a job that has moved on."""
    job = FileImport.objects.select_related("organization").filter(pk=job_id, state=State.VALIDATING).first()
    if job is None:
        return
    importer = importer_for(job.kind)

    def progress(done: int) -> None:
        FileImport.objects.filter(pk=job.pk).update(processed_rows=done)

    try:
        table = _table(job, importer)
        FileImport.objects.filter(pk=job.pk).update(total_rows=len(table.rows))
        checked = check_table(importer, job.organization, table, job.mapping, job.options, progress)
    except (tabular.TabularError, OSError) as error:
        _finish(job, State.FAILED, failure=_unreadable(error))
        return
    except (ImportRefused, ServiceError) as refused:
        _finish(job, State.FAILED, failure=refused.message)
        return
    except BaseException:
        _finish(job, State.FAILED, failure="An unexpected error stopped the check; nothing was written.")
        raise
    _finish(
        job,
        State.INVALID if checked.errors else State.READY,
        processed_rows=len(table.rows),
        errors=list(checked.errors),
        preview=[] if checked.errors else checked.preview[:PREVIEW_ROWS],
        summary=checked.summary,
        failure="",
    )


def import_commit_run(*, job_id: int, user_id: int | None, ip: str | None = None) -> None:
    """Write a job waiting in COMMITTING, all of it or nothing; idempotent for a job that has moved on."""
    job = FileImport.objects.select_related("organization").filter(pk=job_id, state=State.COMMITTING).first()
    if job is None:
        return
    importer = importer_for(job.kind)
    actor = Actor(user=User.objects.filter(pk=user_id).first() if user_id else None, ip=ip)
    try:
        table = _table(job, importer)
        with transaction.atomic():
            locked = _locked(job)
            if locked.state != State.COMMITTING:
                return
            import_apply(
                organization=job.organization,
                actor=actor,
                importer=importer,
                table=table,
                mapping=job.mapping,
                options=job.options,
                file_name=job.file_name,
                file_sha256=job.sha256,
                job=locked,
            )
    except ImportRejected as rejected:
        _finish(job, State.FAILED, failure=rejected.failure, errors=list(rejected.errors), preview=[])
    except (tabular.TabularError, OSError) as error:
        _finish(job, State.FAILED, failure=_unreadable(error))
    except BaseException:
        _finish(job, State.FAILED, failure="An unexpected error stopped the commit; nothing was written.")
        raise
    finally:
        # Only now: the commit re-read the file. Committed or refused, its job is over.
        if not importer.keep_upload:
            upload_discard(job)


def _failure(checked: CheckedFile) -> str:
    count, rows = len(checked.errors), checked.rows_with_errors
    return f"{count} error{'s'[: count != 1]} in {rows} row{'s'[: rows != 1]}: nothing was committed."


def import_apply(
    *,
    organization: Organization,
    actor: Actor,
    importer: Importer,
    table: tabular.Table,
    mapping: dict[str, str],
    options: dict[str, Any],
    file_name: str,
    file_sha256: str = "",
    job: FileImport | None = None,
) -> tuple[CheckedFile, Outcome]:
    """Check the rows against the database now and write them all in one transaction, or raise ImportRejected
    having written nothing. `job` (when there is one: commands import without) records the outcome."""
    with transaction.atomic():
        try:
            checked = check_table(importer, organization, table, mapping, options)
        except (ImportRefused, ServiceError) as refused:
            raise ImportRejected(refused.message) from refused
        if checked.errors:
            raise ImportRejected(_failure(checked), checked.errors)
        try:
            with transaction.atomic():
                outcome = importer.apply(
                    organization, actor, checked, options, file_name, file_sha256=file_sha256, file_import=job
                )
        except ImportRefused as refused:
            raise ImportRejected(refused.message) from refused
        except ServiceError as refused:
            raise ImportRejected(f"The file could not be written: {refused.message} Nothing was committed.") from None
        except IntegrityError as error:
            raise ImportRejected("The database refused a row: nothing was committed.") from error
        importer.save_mapping(organization, options, mapping)
        if job is not None:
            FileImport.objects.filter(pk=job.pk).update(
                state=State.COMMITTED,
                total_rows=len(table.rows),
                processed_rows=len(table.rows),
                created_count=outcome.created,
                updated_count=outcome.updated,
                result=outcome.result,
                summary=checked.summary,
                errors=[],
                failure="",
                finished_at=timezone.now(),
            )
        audit_record(
            actor=actor,
            action="import.committed",
            organization=organization,
            target=job,
            object_type="" if job else "core.fileimport",
            object_id="" if job else "command",
            object_repr="" if job else f"{importer.label} import of {file_name}"[:300],
            changes={
                "kind": [None, importer.kind],
                "file_name": [None, file_name],
                "rows": [None, len(table.rows)],
                "created": [None, outcome.created],
                "updated": [None, outcome.updated],
                "summary": [None, checked.summary],
            },
        )
        transaction.on_commit(lambda: request_evaluation(organization, f"{importer.kind}.import_committed"))
    return checked, outcome


# ---- uploads that are not kept (Importer.keep_upload = False) -----------------------------------------------------


def upload_discard(job: FileImport) -> int | None:
    """Delete a job's stored file, keeping its name, SHA-256 and size (bytes, in `result["upload_bytes"]`) on the
    job; the size, or None when the file was already gone. The file goes first: a job pointing at no file only
    says "upload it again", while a file no job points at would stay forever."""
    stored = FileImport.objects.filter(pk=job.pk).values_list("stored_name", flat=True).first()
    if not stored:
        return None
    try:
        size = default_storage.size(stored)
    except OSError:
        size = 0
    default_storage.delete(stored)
    result = FileImport.objects.filter(pk=job.pk).values_list("result", flat=True).first() or {}
    FileImport.objects.filter(pk=job.pk).update(stored_name="", result={**result, "upload_bytes": size})
    return size


def uploads_discard_unused(*, kinds: tuple[str, ...], before: datetime, dry_run: bool = False) -> list[str]:
    """Delete the stored files of imports of these kinds started before `before` and never committed (nor being
    committed): such a job fails with "upload it again". Idempotent; a line per file deleted (or to delete)."""
    jobs = (
        FileImport.objects.filter(kind__in=kinds, created_at__lt=before)
        .exclude(stored_name="")
        .exclude(state=State.COMMITTING)
        .select_related("organization")
        .order_by("pk")
    )
    lines = []
    for job in jobs:
        lines.append(f"{job.organization.slug}: {'would delete' if dry_run else 'deleted'} the upload {job.file_name}")
        if dry_run:
            continue
        upload_discard(job)
        if job.state != State.COMMITTED:
            FileImport.objects.filter(pk=job.pk).exclude(state=State.COMMITTED).update(
                state=State.FAILED, failure=UNUSED_DISCARDED, preview=[], finished_at=timezone.now()
            )
    return lines
