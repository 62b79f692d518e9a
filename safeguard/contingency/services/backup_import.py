"""Importing backup results: an upload is kept, its columns mapped (guessed, then confirmed or corrected), and read
by a background task; the API and a backup tool's post-job hook deliver a few runs read at once. Either way a
delivery is one BackupImport and all or nothing: one bad row refuses it whole with every problem listed (the
first 200 kept, all counted), and importing the same runs again adds nothing. One audit event per delivery.

A file is read twice, checked then written, so that memory stays flat whatever its length and the page can
show progress while it is checked (the write is one transaction, invisible until it commits)."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.core.files.base import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone

from safeguard.contingency.models import BackupHookToken, BackupImport, BackupResult
from safeguard.contingency.services.backup_import_check import WRITE, Checked, check_records
from safeguard.contingency.services.backup_import_fields import guess_mapping, mapping_errors
from safeguard.contingency.services.backup_import_files import (
    MAX_UPLOAD_BYTES,
    FileUnreadable,
    Opener,
    file_sha256,
    format_of,
    headers_of,
    json_records,
    opened,
    path_opener,
    records,
    store_upload,
)
from safeguard.contingency.services.backup_import_rows import Policies, Run, import_zone, parse_run
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit

State = BackupImport.State
Channel = BackupImport.Channel
WRITE_BATCH = 5000
MAX_JSON_RUNS = 1000
REMAPPABLE = (State.QUEUED, State.REFUSED)
RACED = (
    "Another delivery stored some of these runs while this one was checked: nothing from it was stored. "
    "Import it again: what is already stored counts as duplicates."
)
TRIGGER = "contingency.backup_results"


def last_mapping(organization: Organization, file_format: str) -> dict[str, str]:
    """The mapping of the organization's latest committed file of this format, to start the next one from."""
    latest = (
        BackupImport.objects.filter(organization=organization, file_format=file_format, state=State.DONE)
        .exclude(mapping={})
        .order_by("-created_at", "-pk")
        .values_list("mapping", flat=True)
        .first()
    )
    return dict(latest or {})


def file_headers(batch: BackupImport) -> list[str]:
    if not batch.stored_name:
        raise ServiceError("The uploaded file is no longer kept: upload it again.")
    try:
        with opened(batch.stored_name) as stream:
            return headers_of(stream, batch.file_format)
    except FileUnreadable as error:
        raise ServiceError(str(error), field="file") from None


def suggested_mapping(batch: BackupImport) -> dict[str, str]:
    """The saved mapping, else one guessed from the headers and the organization's previous file."""
    if batch.mapping:
        return dict(batch.mapping)
    start_from = last_mapping(batch.organization, batch.file_format)
    return guess_mapping(file_headers(batch), start_from=start_from)


def backup_import_upload(
    *,
    organization: Organization,
    actor: Actor,
    upload: File[Any],
    file_format: str = "",
    mapping: dict[str, str] | None = None,
) -> BackupImport:
    """Keep an uploaded file. With a `mapping` (the API and the command: the fields the file names otherwise,
    the rest guessed) it is queued at once; without one (the page) it waits for the mapping to be confirmed
    (backup_import_start)."""
    if (upload.size or 0) > MAX_UPLOAD_BYTES:
        raise ServiceError(f"The file is larger than {MAX_UPLOAD_BYTES // 2**20} MB: split it.", field="file")
    name = (upload.name or "backup-results").replace("\\", "/").rsplit("/", 1)[-1][:255]
    head = upload.read(512)
    upload.seek(0)
    try:
        file_format = format_of(name, head, file_format)
    except FileUnreadable as error:
        raise ServiceError(str(error), field="file_format") from None
    stored, sha256 = store_upload(organization, upload)
    try:
        with transaction.atomic():
            batch = BackupImport.objects.create(
                organization=organization,
                channel=Channel.UPLOAD,
                file_name=name,
                file_format=file_format,
                stored_name=stored,
                sha256=sha256,
                time_zone=import_zone(organization),
                created_by=actor.user,
            )
            file_headers(batch)  # refuse an unreadable file now, not in the background
            audit_record(
                actor=actor,
                action="contingency.backup_import.uploaded",
                organization=organization,
                target=batch,
                changes={
                    "file_name": [None, name],
                    "file_format": [None, file_format],
                    "sha256": [None, sha256],
                    "time_zone": [None, batch.time_zone],
                },
            )
            if mapping is not None:
                wanted = suggested_mapping(batch) | mapping
                batch = backup_import_start(organization=organization, actor=actor, batch=batch, mapping=wanted)
    except BaseException:
        default_storage.delete(stored)  # the import was never recorded: its file must not stay behind
        raise
    return batch


def backup_import_start(
    *, organization: Organization, actor: Actor, batch: BackupImport, mapping: dict[str, str]
) -> BackupImport:
    """Save the mapping and queue the reading. A refused file may be mapped anew and read again."""
    mapping = {name: column.strip() for name, column in mapping.items() if column and column.strip()}
    headers = file_headers(batch) if batch.file_format == "csv" else None
    ServiceError.raise_first(mapping_errors(mapping, headers))
    with transaction.atomic():
        locked = BackupImport.objects.select_for_update().get(pk=batch.pk, organization=organization)
        if locked.state not in REMAPPABLE or not locked.stored_name:
            raise ServiceError(f"This import is {locked.get_state_display().lower()}: its mapping cannot change.")
        before = {"mapping": locked.mapping, "state": locked.state}
        locked.mapping = mapping
        locked.state = State.QUEUED
        locked.rows_read = locked.inserted = locked.duplicates = locked.rejected = 0
        locked.errors, locked.failure = [], ""
        locked.started_at = locked.finished_at = None
        locked.save()
        # Which columns were read as what decides every run the import records: the choice is audited.
        audit_record(
            actor=actor,
            action="contingency.backup_import.queued",
            organization=organization,
            target=locked,
            changes={"mapping": [before["mapping"], mapping], "state": [before["state"], State.QUEUED]},
        )

        def enqueue() -> None:
            from safeguard.contingency.tasks_backups import read_backup_import

            read_backup_import.enqueue(locked.pk)

        transaction.on_commit(enqueue)
    return locked


def claim(batch_id: int) -> bool:
    """Queued → running in one conditional UPDATE: of a doubled task only one reads the file."""
    claimed = (
        BackupImport.objects.filter(pk=batch_id, state=State.QUEUED)
        .exclude(mapping={})
        .exclude(stored_name="")
        .update(state=State.RUNNING, started_at=timezone.now())
    )
    return claimed == 1


def stored_file_opener(batch: BackupImport) -> Opener:
    def opener() -> Any:
        with opened(batch.stored_name) as stream:
            yield from records(stream, batch.file_format, dict(batch.mapping))

    return opener


def backup_import_execute(batch: BackupImport, opener: Opener, *, actor: Actor) -> BackupImport:
    """Check every row, then write the new runs in one transaction, or nothing; the batch records the outcome."""
    organization = batch.organization
    # The zone of the delivery: a file uploaded, refused and read again weeks later is read as it was uploaded.
    policies = Policies.load(organization, zone=batch.time_zone or None)
    BackupImport.objects.filter(pk=batch.pk).update(state=State.RUNNING, started_at=timezone.now())

    def progress(rows: int) -> None:
        BackupImport.objects.filter(pk=batch.pk).update(rows_read=rows)

    try:
        checked = check_records(organization, opener, policies, dict(batch.mapping), progress=progress)
    except FileUnreadable as error:
        return _finish(batch, actor, State.REFUSED, Checked(), failure=str(error))
    if checked.rejected:
        return _finish(batch, actor, State.REFUSED, checked)
    try:
        with transaction.atomic():
            inserted = _write(batch, opener, policies, checked)
            return _finish(batch, actor, State.DONE, checked, inserted=inserted)
    except IntegrityError:
        return _finish(batch, actor, State.FAILED, checked, failure=RACED)


def backup_import_check(organization: Organization, opener: Opener, mapping: dict[str, str]) -> Checked:
    """Check without writing anything (a dry run)."""
    return check_records(organization, opener, Policies.load(organization), mapping)


def backup_import_local(
    *, organization: Organization, actor: Actor, path: Path, file_format: str, mapping: dict[str, str]
) -> BackupImport:
    """A file read where it lies (the management command), at once: the same checks and outcome as an upload."""
    batch = BackupImport.objects.create(
        organization=organization,
        channel=Channel.COMMAND,
        file_name=path.name[:255],
        file_format=file_format,
        sha256=file_sha256(path),
        mapping=mapping,
        time_zone=import_zone(organization),
        created_by=actor.user,
    )
    return backup_import_execute(batch, path_opener(path, file_format, mapping), actor=actor)


def backup_results_record(
    *,
    organization: Organization,
    actor: Actor,
    runs: list[Any],
    channel: str = Channel.HOOK,
    hook_token: BackupHookToken | None = None,
) -> BackupImport:
    """Runs posted as JSON by the API or a backup tool's post-job hook (with the hook token it used), read at once."""
    if not runs:
        raise ServiceError("Send at least one run.", field="runs")
    if len(runs) > MAX_JSON_RUNS:
        raise ServiceError(f"Send at most {MAX_JSON_RUNS} runs per request: use a file import.", field="runs")
    batch = BackupImport.objects.create(
        organization=organization,
        channel=channel,
        file_format="json",
        time_zone=import_zone(organization),
        created_by=actor.user,
        hook_token=hook_token,
    )
    return backup_import_execute(batch, lambda: json_records(runs), actor=actor)


def _write(batch: BackupImport, opener: Opener, policies: Policies, checked: Checked) -> int:
    """Insert the new runs in batches of rows through one prepared statement: model instances and bulk_create cost
    about five times as much per row, which at half a million rows is minutes (bench/contingency.py)."""
    quote = connection.ops.quote_name
    columns = [quote(_column(name)) for name in ("public_id", "organization", "batch", *Run._fields)]
    # Names come from the model, values are parameters.
    sql = (
        f"INSERT INTO {quote(BackupResult._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    moment = connection.ops.adapt_datetimefield_value
    prefix = (batch.organization_id, batch.pk)
    native_uuid = connection.features.has_native_uuid_field  # else stored as 32 hex digits, as UUIDField does
    pending: list[tuple[Any, ...]] = []
    inserted = 0
    with connection.cursor() as cursor:
        for position, (_, values) in enumerate(opener()):
            if checked.skip[position] != WRITE or isinstance(values, str):
                continue
            run = parse_run(values, policies)
            if not isinstance(run, Run):
                raise RuntimeError("a row that passed the check no longer parses")
            point = moment(run.restore_point_at) if run.restore_point_at else None
            public_id = uuid.uuid4()
            pending.append(
                (
                    public_id if native_uuid else public_id.hex,
                    *prefix,
                    run.policy_id,
                    moment(run.started_at),
                    moment(run.finished_at),
                    run.status,
                )
                + (run.size_bytes, point, run.message, run.run_id)
            )
            if len(pending) >= WRITE_BATCH:
                cursor.executemany(sql, pending)
                inserted, pending = inserted + len(pending), []
        if pending:
            cursor.executemany(sql, pending)
            inserted += len(pending)
    return inserted


def _column(name: str) -> str:
    field = BackupResult._meta.get_field(name)
    if not isinstance(field, Field) or not field.column:
        raise TypeError(f"BackupResult.{name} is not a column")
    return field.column


def _finish(
    batch: BackupImport, actor: Actor, state: str, checked: Checked, *, inserted: int = 0, failure: str = ""
) -> BackupImport:
    with transaction.atomic():
        locked = BackupImport.objects.select_for_update().get(pk=batch.pk)
        locked.state = state
        locked.rows_read = checked.rows_read
        locked.inserted = inserted
        locked.duplicates = checked.duplicates
        locked.rejected = checked.rejected
        locked.errors = checked.errors
        locked.failure = failure or _failure(checked)
        locked.finished_at = timezone.now()
        locked.save()
        audit_record(
            actor=actor,
            action=f"contingency.backup_import.{state}",
            organization=locked.organization,
            target=locked,
            changes={
                "state": [None, state],
                "mapping": [None, locked.mapping],
                "rows_read": [None, locked.rows_read],
                "inserted": [None, inserted],
                "duplicates": [None, locked.duplicates],
                "rejected": [None, locked.rejected],
            },
        )
        if inserted:
            request_evaluation_on_commit(locked.organization, TRIGGER)
    return locked


def _failure(checked: Checked) -> str:
    if not checked.rejected:
        return ""
    problems = "1 problem" if checked.error_count == 1 else f"{checked.error_count} problems"
    rows = "1 row" if checked.rejected == 1 else f"{checked.rejected} rows"
    listed = f"; the first {len(checked.errors)} are listed" if checked.error_count > len(checked.errors) else ""
    return f"{problems} in {rows}{listed}. Nothing was stored."
