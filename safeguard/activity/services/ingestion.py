"""Ingestion: a file or a batch of records of one source → parser → event store, with progress, counts and
samples of rejected lines kept on the IngestBatch; then an evaluation over the events' time span.

A batch goes queued → running → done or failed. A wrong format (FormatError) fails it before anything is stored.
A crash part-way fails it too, but what was appended stays: the store deduplicates by event uid, so reading the
same file again stores only what is missing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone

from safeguard.activity.enrichment import reference_data
from safeguard.activity.models import IngestBatch, LogSource
from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import REJECT_SAMPLES, Chunk, FormatError, Parser, Reject, SourceConfig
from safeguard.activity.services.evaluation import request_evaluation
from safeguard.activity.services.settings import activity_settings
from safeguard.activity.store import store_for
from safeguard.activity.store.base import AppendResult, EventStore
from safeguard.activity.store.duckdb_append_chunks import coalesced
from safeguard.core.audit import Actor, audit_record

State = IngestBatch.State
# Parsers yield chunks sized for parsing; the store appends about this many rows at a time (commits below a DuckDB
# row group cost about three times as much: store/duckdb_append_chunks.py). Progress is saved after each append.
APPEND_ROWS = 500_000
ONE_MICROSECOND = timedelta(microseconds=1)
HASH_CHUNK = 1024 * 1024


class IngestionFailed(Exception):
    """Reading stopped part-way on an unexpected error; the batch records it (and what was stored before)."""

    def __init__(self, batch: IngestBatch) -> None:
        super().__init__(batch.failure)
        self.batch = batch


@dataclass
class Tally:
    lines: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    samples: list[dict[str, Any]] = field(default_factory=list)
    first_event_at: datetime | None = None
    last_event_at: datetime | None = None

    def add(self, chunk: Chunk, result: AppendResult, line_numbers: Sequence[int] | None = None) -> bool:
        """Count a chunk; True when new reject samples were kept."""
        self.lines += chunk.lines
        self.accepted += result.inserted
        self.duplicates += result.duplicates
        self.rejected += len(chunk.rejects)
        if result.inserted and result.first_event_at is not None and result.last_event_at is not None:
            self.first_event_at = min(filter(None, (self.first_event_at, result.first_event_at)))
            self.last_event_at = max(filter(None, (self.last_event_at, result.last_event_at)))
        return self.keep(chunk.rejects, line_numbers)

    def keep(self, rejects: Sequence[Reject], line_numbers: Sequence[int] | None = None) -> bool:
        room = REJECT_SAMPLES - len(self.samples)
        kept = [reject_sample(reject, line_numbers) for reject in rejects[: max(room, 0)]]
        self.samples.extend(kept)
        return bool(kept)


def reject_sample(reject: Reject, line_numbers: Sequence[int] | None = None) -> dict[str, Any]:
    """A reject as stored on the batch; `line_numbers` maps a record's position to its line in the request."""
    line = reject.line
    if line_numbers is not None and 1 <= line <= len(line_numbers):
        line = line_numbers[line - 1]
    return {"line": line, "field": reject.field, "reason": reject.reason, "raw": reject.raw}


def source_config(source: LogSource) -> SourceConfig:
    return SourceConfig(
        source_id=source.pk, kind=source.kind, time_zone=source.time_zone, mapping=dict(source.mapping or {})
    )


def batch_create(
    source: LogSource,
    *,
    channel: str,
    actor: Actor,
    file_name: str = "",
    stored_name: str = "",
    sha256: str = "",
    size_bytes: int = 0,
) -> IngestBatch:
    return IngestBatch.objects.create(
        organization_id=source.organization_id,
        source=source,
        channel=channel,
        file_name=file_name[:255],
        stored_name=stored_name,
        sha256=sha256,
        size_bytes=size_bytes,
        created_by=actor.user,
    )


def ingest_records(
    source: LogSource,
    records: list[Any],
    *,
    channel: str,
    actor: Actor,
    rejects: Sequence[Reject] = (),
    line_numbers: Sequence[int] | None = None,
    evaluate: bool = True,
) -> IngestBatch:
    """Records already decoded (the HTTP endpoint's NDJSON lines, the syslog listener's messages as str):
    parsed, stored and counted synchronously. `rejects` are lines refused before parsing (not JSON), numbered as
    in the request; `line_numbers` gives each record's line there, for the parser's rejects."""
    batch = batch_create(source, channel=channel, actor=actor)
    parser = parser_for(source.format)
    config = source_config(source)

    def chunks() -> Iterator[Chunk]:
        if records:
            yield parser.parse_records(records, config)

    tally = Tally(lines=len(rejects), rejected=len(rejects))
    tally.keep(sorted(rejects, key=lambda reject: reject.line))
    return _run(batch, source, parser, chunks, actor, tally=tally, line_numbers=line_numbers, evaluate=evaluate)


def ingest_path(
    source: LogSource, path: Path, *, file_name: str, channel: str, actor: Actor, evaluate: bool = True
) -> IngestBatch:
    """Read a whole file now (the command, and the task for uploads)."""
    digest, size = file_digest(path)
    batch = batch_create(source, channel=channel, actor=actor, file_name=file_name, sha256=digest, size_bytes=size)
    return ingest_batch_file(batch, path, actor=actor, evaluate=evaluate)


def ingest_batch_file(batch: IngestBatch, path: Path, *, actor: Actor, evaluate: bool = True) -> IngestBatch:
    """Read the file of a batch already recorded (an upload's, queued by the page or the API)."""
    source = batch.source
    parser = parser_for(source.format)
    config = source_config(source)
    return _run(batch, source, parser, lambda: parser.parse(path, config), actor, evaluate=evaluate)


def file_digest(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while block := handle.read(HASH_CHUNK):
            digest.update(block)
            size += len(block)
    return digest.hexdigest(), size


def _run(
    batch: IngestBatch,
    source: LogSource,
    parser: Parser,
    chunks: Callable[[], Iterator[Chunk]],
    actor: Actor,
    *,
    tally: Tally | None = None,
    line_numbers: Sequence[int] | None = None,
    evaluate: bool = True,
) -> IngestBatch:
    tally = tally or Tally()
    store = store_for(source.organization_id)
    _sync_reference(source, store)
    # An upload's task claims the batch (queued → running) before calling in; its start time stays.
    started_at = batch.started_at or timezone.now()
    _save(batch, state=State.RUNNING, started_at=started_at, parser=parser.name, parser_version=parser.version)
    try:
        for chunk in coalesced(chunks(), rows=APPEND_ROWS):
            result = store.append(
                source.pk,
                batch.pk,
                chunk.table,
                time_zone=source.time_zone,
                parser=parser.name,
                parser_version=parser.version,
            )
            sampled = tally.add(chunk, result, line_numbers)
            _save(batch, **_progress(tally, with_samples=sampled))
    except FormatError as error:
        _fail(batch, actor, str(error), tally)
        return batch
    except Exception as error:
        stored = f" The {tally.accepted} events stored before it stay; read the file again to store the rest."
        _fail(batch, actor, f"Stopped after line {tally.lines}: {error}.{stored if tally.accepted else ''}", tally)
        raise IngestionFailed(batch) from error
    _finish(batch, source, actor, tally, evaluate=evaluate)
    return batch


def _sync_reference(source: LogSource, store: EventStore) -> None:
    """Reload the enrichment tables only when they changed since the store last loaded them."""
    version = activity_settings(source.organization).reference_version
    if store.reference_version() != version:
        store.load_reference(reference_data(source.organization))


def _progress(tally: Tally, *, with_samples: bool = False) -> dict[str, Any]:
    values: dict[str, Any] = {
        "lines_read": tally.lines,
        "accepted": tally.accepted,
        "duplicates": tally.duplicates,
        "rejected": tally.rejected,
    }
    if with_samples:
        values["rejects"] = list(tally.samples)
    return values


def _save(batch: IngestBatch, **values: Any) -> None:
    for name, value in values.items():
        setattr(batch, name, value)
    IngestBatch.objects.filter(pk=batch.pk).update(**values)


def _fail(batch: IngestBatch, actor: Actor, failure: str, tally: Tally) -> None:
    with transaction.atomic():
        _save(
            batch,
            state=State.FAILED,
            failure=failure,
            finished_at=timezone.now(),
            **_progress(tally, with_samples=True),
        )
        if tally.accepted:
            _count_on_source(batch.source, tally)
        audit_record(
            actor=actor,
            action="activity.ingestion_failed",
            organization=batch.source.organization,
            target=batch,
            changes={"failure": [None, failure], **_audit_counts(batch.source, tally)},
        )


def _finish(batch: IngestBatch, source: LogSource, actor: Actor, tally: Tally, *, evaluate: bool) -> None:
    with transaction.atomic():
        _save(
            batch,
            state=State.DONE,
            finished_at=timezone.now(),
            first_event_at=tally.first_event_at,
            last_event_at=tally.last_event_at,
            **_progress(tally, with_samples=True),
        )
        _count_on_source(source, tally)
        audit_record(
            actor=actor,
            action="activity.events_ingested",
            organization=source.organization,
            target=batch,
            changes=_audit_counts(source, tally),
        )
        if evaluate and tally.accepted and tally.first_event_at and tally.last_event_at:
            request_evaluation(
                source.organization,
                start=tally.first_event_at,
                end=tally.last_event_at + ONE_MICROSECOND,
                trigger="ingest",
                batch=batch,
                requested_by=actor.user,
            )


def _audit_counts(source: LogSource, tally: Tally) -> dict[str, list[Any]]:
    return {
        "source": [None, source.name],
        "lines": [None, tally.lines],
        "accepted": [None, tally.accepted],
        "duplicates": [None, tally.duplicates],
        "rejected": [None, tally.rejected],
    }


def _count_on_source(source: LogSource, tally: Tally) -> None:
    """F() expressions: two batches of one source may finish at the same moment."""
    values: dict[str, Any] = {"last_received_at": timezone.now()}
    if tally.accepted:
        values["event_count"] = F("event_count") + tally.accepted
    if tally.first_event_at is not None and tally.last_event_at is not None:
        first = Value(tally.first_event_at, output_field=DateTimeField())
        last = Value(tally.last_event_at, output_field=DateTimeField())
        # Least/Greatest of a NULL is NULL on SQLite, the other value on PostgreSQL: Coalesce makes both agree.
        values["first_event_at"] = Coalesce(Least(F("first_event_at"), first), first)
        values["last_event_at"] = Coalesce(Greatest(F("last_event_at"), last), last)
    LogSource.objects.filter(pk=source.pk).update(**values)
