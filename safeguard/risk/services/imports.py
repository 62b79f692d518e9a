"""CSV/XLSX imports of assets, data flows and risks: upload → column mapping → checked preview → all-or-nothing
commit.

A row whose asset name (case-insensitive) — for a flow, whose source, destination and ePHI — matches an
existing record updates it; any other row creates one. An update sets every mapped column, so a blank optional
cell clears that field (no owner, no hosting, volume band "unknown"); columns left unmapped are untouched. A
blank status is the default ("in service") for a new asset and an error for an existing one. Risk rows, matched
by their reference, have rules of their own: services/import_risk_rows.py.

Checking reads the whole file and writes nothing. Committing checks the file again against the database as it
is then, inside one transaction, and writes every row through the same services the pages use — or, at the
first problem, nothing at all. Assets the import puts in service after an approved risk analysis, outside its
scope, raise one re-analysis trigger for the whole file rather than one per asset.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import cast

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation
from safeguard.risk.models import AnalysisScopeItem, Asset, DataFlow, ImportJob, ReanalysisTrigger
from safeguard.risk.queries import latest_approved_analysis
from safeguard.risk.services.assets import MATERIAL_FIELDS, asset_create, asset_update
from safeguard.risk.services.flows import flow_create, flow_update
from safeguard.risk.services.import_risk_rows import import_target, risk_row_write
from safeguard.risk.services.import_rows import (
    Checked,
    Planned,
    RowError,
    check_rows,
    guess_mapping,
    mapping_errors,
    preview_row,
)
from safeguard.risk.services.triggers import reanalysis_flag

State = ImportJob.State
Kind = ImportJob.Kind
STORAGE_DIR = "risk-imports"
PREVIEW_ROWS = 20
PROGRESS_EVERY = 200
NAMES_IN_REASON = 10
REMAPPABLE = (State.UPLOADED, State.INVALID, State.READY, State.FAILED)


class ImportRejected(Exception):
    """The file cannot be committed as it stands; nothing was written."""

    def __init__(self, failure: str, errors: list[RowError] | None = None) -> None:
        super().__init__(failure)
        self.failure = failure
        self.errors = errors or []


@dataclass(frozen=True)
class Outcome:
    created: int
    updated: int  # rows that matched an existing record…
    unchanged: int  # …of which this many already held the file's values


# ---- upload and mapping ----------------------------------------------------------------------------------------


def import_start(*, organization: Organization, actor: Actor, kind: str, upload: UploadedFile) -> ImportJob:
    """Keep the file, read its header row and guess the mapping; the rows are read when they are checked."""
    if actor.user is None:
        raise ServiceError("An import is started by a person.")
    if kind not in Kind.values:
        raise ServiceError("Import assets, data flows or risks.", field="kind")
    if kind == Kind.RISKS:
        import_target(organization)  # refused now, rather than after the upload is checked
    if (upload.size or 0) > tabular.MAX_BYTES:
        raise ServiceError(f"The file is larger than {tabular.MAX_BYTES // (1024 * 1024)} MB.", field="file")
    data = upload.read(tabular.MAX_BYTES + 1)
    name = (upload.name or "upload").replace("\\", "/").rsplit("/", 1)[-1][:255]
    try:
        file_format = tabular.sniff_format(data, name)
        headers = tabular.read_headers(data, file_format)
    except tabular.TabularError as error:
        raise ServiceError(str(error), field="file") from None
    stored = default_storage.save(
        f"{STORAGE_DIR}/{organization.public_id}/{uuid.uuid4().hex}.{file_format}", ContentFile(data)
    )
    try:
        with transaction.atomic():
            job = ImportJob.objects.create(
                organization=organization,
                kind=kind,
                file_name=name,
                file_format=file_format,
                stored_name=stored,
                headers=headers,
                mapping=guess_mapping(kind, headers),
                created_by=actor.user,
            )
            audit_record(
                actor=actor,
                action="risk.import.started",
                organization=organization,
                target=job,
                changes={
                    "kind": [None, kind],
                    "file_name": [None, name],
                    "file_format": [None, file_format],
                    "columns": [None, len(headers)],
                },
            )
    except BaseException:
        default_storage.delete(stored)  # the row never existed: its file must not stay behind
        raise
    return job


def _locked(job: ImportJob) -> ImportJob:
    return ImportJob.objects.select_for_update().get(pk=job.pk, organization_id=job.organization_id)


def import_map(*, organization: Organization, actor: Actor, job: ImportJob, mapping: dict[str, str]) -> ImportJob:
    """Save the column mapping and check every row in the background."""
    mapping = {name: header for name, header in mapping.items() if header}
    with transaction.atomic():
        locked = _locked(job)
        if locked.state not in REMAPPABLE:
            raise ServiceError(f"The mapping cannot change now: this import is {locked.get_state_display().lower()}.")
        problems = mapping_errors(locked.kind, locked.headers, mapping)
        if problems:
            name, message = next(iter(problems.items()))
            raise ServiceError(message, field=name)
        before = dict(locked.mapping)
        locked.mapping = mapping
        locked.state = State.VALIDATING
        locked.processed_rows = 0
        locked.errors, locked.preview, locked.failure = [], [], ""
        locked.finished_at = None
        locked.save()
        audit_record(
            actor=actor,
            action="risk.import.mapped",
            organization=organization,
            target=locked,
            changes={"mapping": [before, mapping]},
        )

        def enqueue() -> None:
            from safeguard.risk.tasks import validate_import

            validate_import.enqueue(locked.pk)

        transaction.on_commit(enqueue)
    return locked


def import_commit(*, organization: Organization, actor: Actor, job: ImportJob) -> ImportJob:
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
            from safeguard.risk.tasks import commit_import

            commit_import.enqueue(locked.pk, user_id, ip)

        transaction.on_commit(enqueue)
    return locked


# ---- the background work -----------------------------------------------------------------------------------------


def _table(job: ImportJob) -> tabular.Table:
    with default_storage.open(job.stored_name, "rb") as handle:
        data = handle.read(tabular.MAX_BYTES + 1)
    if len(data) > tabular.MAX_BYTES:
        raise tabular.TabularError(f"The file is larger than {tabular.MAX_BYTES // (1024 * 1024)} MB.")
    return tabular.read_table(data, job.file_format)


def _finish(job: ImportJob, state: str, **fields: object) -> None:
    ImportJob.objects.filter(pk=job.pk).update(state=state, finished_at=timezone.now(), **fields)


def import_validate_run(*, job_id: int) -> None:
    """Check every row of a job waiting in VALIDATING; idempotent for a job that has moved on."""
    job = ImportJob.objects.select_related("organization").filter(pk=job_id, state=State.VALIDATING).first()
    if job is None:
        return

    def progress(done: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done)

    try:
        table = _table(job)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(table.rows))
        checked = check_rows(
            organization=job.organization,
            kind=job.kind,
            table=table,
            mapping=job.mapping,
            progress=progress,
            every=PROGRESS_EVERY,
        )
    except (tabular.TabularError, OSError) as error:
        _finish(job, State.FAILED, failure=_unreadable(error))
        return
    except ServiceError as refused:  # the file as a whole cannot go in now, e.g. the analysis is in review
        _finish(job, State.FAILED, failure=refused.message)
        return
    except BaseException:
        _finish(job, State.FAILED, failure="An unexpected error stopped the check; nothing was written.")
        raise
    # A file with errors cannot be committed, so there is nothing to preview.
    planned = [] if checked.errors else checked.planned[:PREVIEW_ROWS]
    _finish(
        job,
        State.INVALID if checked.errors else State.READY,
        processed_rows=len(table.rows),
        errors=list(checked.errors),
        preview=[preview_row(job.kind, row) for row in planned],
        failure="",
    )


def _unreadable(error: Exception) -> str:
    if isinstance(error, tabular.TabularError):
        return str(error)
    return "The uploaded file can no longer be read: upload it again."


def import_commit_run(*, job_id: int, user_id: int | None, ip: str | None = None) -> None:
    """Write a job waiting in COMMITTING, all of it or nothing; idempotent for a job that has moved on."""
    job = ImportJob.objects.select_related("organization").filter(pk=job_id, state=State.COMMITTING).first()
    if job is None:
        return
    actor = Actor(user=User.objects.filter(pk=user_id).first() if user_id else None, ip=ip)
    try:
        table = _table(job)
        with transaction.atomic():
            locked = _locked(job)
            if locked.state != State.COMMITTING:
                return
            import_apply(
                organization=job.organization,
                actor=actor,
                kind=job.kind,
                table=table,
                mapping=job.mapping,
                file_name=job.file_name,
                job=locked,
            )
    except ImportRejected as rejected:
        _finish(job, State.FAILED, failure=rejected.failure, errors=list(rejected.errors), preview=[])
    except (tabular.TabularError, OSError) as error:
        _finish(job, State.FAILED, failure=_unreadable(error))
    except BaseException:
        _finish(job, State.FAILED, failure="An unexpected error stopped the commit; nothing was written.")
        raise


# ---- writing -----------------------------------------------------------------------------------------------------


def import_apply(
    *,
    organization: Organization,
    actor: Actor,
    kind: str,
    table: tabular.Table,
    mapping: dict[str, str],
    file_name: str,
    job: ImportJob | None = None,
    today: date | None = None,
) -> Outcome:
    """Check the rows against the database now and write them all in one transaction, or raise ImportRejected
    having written nothing. `job` (when there is one: commands import without) records the outcome."""
    with transaction.atomic():
        try:
            checked = check_rows(organization=organization, kind=kind, table=table, mapping=mapping)
        except ServiceError as refused:
            raise ImportRejected(refused.message) from refused
        if checked.errors:
            raise ImportRejected(_failure(checked), checked.errors)
        if kind == Kind.ASSETS:
            outcome = _write_assets(organization, actor, checked, file_name, today)
        elif kind == Kind.DATA_FLOWS:
            outcome = _write_flows(organization, actor, checked)
        else:
            outcome = _write_risks(organization, actor, checked)
        changes: dict[str, list[object]] = {
            "file_name": [None, file_name],
            "rows": [None, len(table.rows)],
            "created": [None, outcome.created],
            "updated": [None, outcome.updated],
            "unchanged": [None, outcome.unchanged],
        }
        if kind == Kind.RISKS:
            changes["analysis"] = [None, checked.analysis.public_id if checked.analysis else None]
        if job is not None:
            ImportJob.objects.filter(pk=job.pk).update(
                state=State.COMMITTED,
                total_rows=len(table.rows),
                processed_rows=len(table.rows),
                created_count=outcome.created,
                updated_count=outcome.updated,
                errors=[],
                failure="",
                finished_at=timezone.now(),
            )
        audit_record(
            actor=actor,
            action="risk.import.committed",
            organization=organization,
            target=job,
            object_type="" if job else "risk.importjob",
            object_id="" if job else "command",
            object_repr="" if job else f"{Kind(kind).label} import of {file_name}"[:300],
            changes=changes,
        )
        transaction.on_commit(lambda: request_evaluation(organization, "risk.import_committed"))
    return outcome


def _failure(checked: Checked) -> str:
    count, rows = len(checked.errors), checked.rows_with_errors
    return f"{count} error{'s'[: count != 1]} in {rows} row{'s'[: rows != 1]}: nothing was committed."


def _rejected_row(planned: Planned, error: ServiceError | IntegrityError, mapping: dict[str, str]) -> ImportRejected:
    field_name = getattr(error, "field", None) or ""
    column = mapping.get(field_name, field_name)
    message = error.message if isinstance(error, ServiceError) else "The database refused this row."
    return ImportRejected(
        f"Row {planned.number} could not be written: nothing was committed.",
        [RowError(row=planned.number, column=column, message=message)],
    )


def _write_assets(
    organization: Organization, actor: Actor, checked: Checked, file_name: str, today: date | None
) -> Outcome:
    created = updated = unchanged = 0
    entered: list[Asset] = []
    material: list[Asset] = []
    mapping = checked.mapping
    for planned in checked.planned:
        try:
            if planned.target is None:
                asset = asset_create(
                    organization=organization,
                    actor=actor,
                    context=checked.context,
                    flag_reanalysis=False,
                    **planned.values,
                )
                created += 1
                if asset.status == Asset.Status.IN_SERVICE:
                    entered.append(asset)
                continue
            before = cast(Asset, planned.target)
            asset = asset_update(
                organization=organization,
                actor=actor,
                asset=before,
                context=checked.context,
                flag_reanalysis=False,
                **planned.values,
            )
        except (ServiceError, IntegrityError) as error:
            raise _rejected_row(planned, error, mapping) from error
        updated += 1
        unchanged += asset.updated_at == before.updated_at
        if asset.status != Asset.Status.IN_SERVICE:
            continue
        if before.status != Asset.Status.IN_SERVICE:
            entered.append(asset)
        elif any(getattr(before, name) != getattr(asset, name) for name in MATERIAL_FIELDS):
            material.append(asset)
    _flag_reanalysis(organization, actor, file_name, entered, material, today)
    return Outcome(created, updated, unchanged)


def _write_flows(organization: Organization, actor: Actor, checked: Checked) -> Outcome:
    created = updated = unchanged = 0
    mapping = checked.mapping
    for planned in checked.planned:
        try:
            if planned.target is None:
                flow_create(organization=organization, actor=actor, taken=checked.taken, **planned.values)
                created += 1
                continue
            before = cast(DataFlow, planned.target)
            flow = flow_update(
                organization=organization, actor=actor, flow=before, taken=checked.taken, **planned.values
            )
        except (ServiceError, IntegrityError) as error:
            raise _rejected_row(planned, error, mapping) from error
        updated += 1
        unchanged += flow.updated_at == before.updated_at
    return Outcome(created, updated, unchanged)


def _write_risks(organization: Organization, actor: Actor, checked: Checked) -> Outcome:
    created = updated = unchanged = 0
    for planned in checked.planned:
        try:
            changed = risk_row_write(organization=organization, actor=actor, analysis=checked.analysis, planned=planned)
        except (ServiceError, IntegrityError) as error:
            raise _rejected_row(planned, error, checked.mapping) from error
        if planned.target is None:
            created += 1
        else:
            updated += 1
            unchanged += not changed
    return Outcome(created, updated, unchanged)


def _flag_reanalysis(
    organization: Organization,
    actor: Actor,
    file_name: str,
    entered: list[Asset],
    material: list[Asset],
    today: date | None,
) -> None:
    """One trigger for the assets the file put in service outside the approved analysis's scope, and one for
    in-scope assets it changed materially (kind, hosting, volume, operator)."""
    analysis = latest_approved_analysis(organization)
    if analysis is None or analysis.approved_at is None or not (entered or material):
        return
    scope = set(AnalysisScopeItem.objects.filter(analysis=analysis).values_list("asset_id", flat=True))
    added = [asset for asset in entered + material if asset.pk not in scope]
    changed = [asset for asset in material if asset.pk in scope]
    approved_on = timezone.localdate(analysis.approved_at)
    if added:
        reanalysis_flag(
            organization=organization,
            actor=actor,
            kind=ReanalysisTrigger.Kind.ASSET_ADDED,
            reason=f"The import of {file_name} put {_assets_named(added)} in service after the analysis of "
            f"{approved_on}.",
            today=today,
        )
    if changed:
        reanalysis_flag(
            organization=organization,
            actor=actor,
            kind=ReanalysisTrigger.Kind.ASSET_CHANGED,
            reason=f"The import of {file_name} changed {_assets_named(changed)} materially after the analysis of "
            f"{approved_on}.",
            today=today,
        )


def _assets_named(assets: list[Asset]) -> str:
    names = ", ".join(f"“{asset.name}”" for asset in assets[:NAMES_IN_REASON])
    more = len(assets) - NAMES_IN_REASON
    count = f"{len(assets)} asset{'s'[: len(assets) != 1]}"
    return f"{count} ({names}{f' and {more} more' if more > 0 else ''})"
