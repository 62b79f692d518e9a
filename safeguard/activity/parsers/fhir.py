"""FHIR AuditEvent (R4 or R5) as NDJSON, one resource per line, or as a Bundle whose entries are AuditEvents.

Every record is checked (codes, times with a zone) and validated with the fhir.resources model of its version; a
record that fails is a Reject naming its line and element, and the others are kept. NDJSON files longer than
`fast_path_min_lines` are normalized in DuckDB instead (fhir_fast.py), which hands back the lines its checks refuse.
The mapping to the event schema is tabled in fhir_mapping.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from safeguard.activity.parsers.base import Chunk, ProgressCallback, Reject, SourceConfig
from safeguard.activity.parsers.common import count_lines, events_table, excerpt, line_batches
from safeguard.activity.parsers.fhir_fast import FastNormalizer
from safeguard.activity.parsers.fhir_mapping import event_row
from safeguard.activity.parsers.fhir_shape import Shape, file_shape
from safeguard.activity.parsers.fhir_validate import record_problem

Row = dict[str, Any]


class FhirAuditParser:
    name = "fhir_audit"
    version = "1.0"
    chunk_rows = 50_000
    fast_path_min_lines = 20_000

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        shape = file_shape(path)  # raises FormatError now, before the caller iterates
        if shape is Shape.NDJSON:
            return self._ndjson(path, progress)
        return self._document(path, progress)

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        rows: list[Row] = []
        rejects: list[Reject] = []
        for number, record in enumerate(records, start=1):
            read_record(record, orjson.dumps(record).decode(), number, rows, rejects)
        return Chunk(events_table(rows), rejects, len(records))

    def _ndjson(self, path: Path, progress: ProgressCallback | None) -> Iterator[Chunk]:
        fast = FastNormalizer() if count_lines(path) > self.fast_path_min_lines else None
        done = 0
        try:
            for batch in line_batches(path, self.chunk_rows):
                yield _ndjson_chunk(batch, fast)
                done += len(batch)
                if progress:
                    progress(done)
        finally:
            if fast:
                fast.close()

    def _document(self, path: Path, progress: ProgressCallback | None) -> Iterator[Chunk]:
        document = orjson.loads(path.read_bytes())
        entries = document.get("entry") or []
        resources = [entry.get("resource") if isinstance(entry, dict) else entry for entry in entries]
        if document.get("resourceType") == "AuditEvent":
            resources = [document]
        for start in range(0, len(resources), self.chunk_rows):
            part = resources[start : start + self.chunk_rows]
            rows: list[Row] = []
            rejects: list[Reject] = []
            for number, resource in enumerate(part, start=start + 1):
                read_record(resource, orjson.dumps(resource).decode(), number, rows, rejects)
            yield Chunk(events_table(rows), rejects, len(part))
            if progress:
                progress(start + len(part))


def read_record(record: Any, raw: str, number: int, rows: list[Row], rejects: list[Reject]) -> None:
    """Append the record's event to rows, or why not to rejects."""
    problem = record_problem(record)
    if problem is None:
        rows.append(event_row(record, raw, number))
    else:
        rejects.append(Reject(number, problem[0], problem[1], excerpt(raw)))


def _ndjson_chunk(batch: list[tuple[int, bytes]], fast: FastNormalizer | None) -> Chunk:
    rows: list[Row] = []
    rejects: list[Reject] = []
    lines: dict[int, str] = {}
    for number, data in batch:
        try:
            text = data.decode()
        except UnicodeDecodeError as error:
            rejects.append(Reject(number, "", f"is not UTF-8 ({error.reason} at byte {error.start})", excerpt(data)))
            continue
        if text.strip():
            lines[number] = text
    tables = []
    slow = list(lines)
    if fast is not None and lines:
        table, slow = fast.normalize(list(lines), list(lines.values()))
        tables.append(table)
    for number in slow:
        _read_line(number, lines[number], rows, rejects)
    tables.append(events_table(rows))
    table = pa.concat_tables(tables).sort_by("raw_offset") if len(tables) > 1 else tables[0]
    rejects.sort(key=lambda reject: reject.line)
    return Chunk(table, rejects, len(batch))


def _read_line(number: int, text: str, rows: list[Row], rejects: list[Reject]) -> None:
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        rejects.append(Reject(number, "", f"malformed JSON: {error}", excerpt(text)))
        return
    read_record(record, text, number, rows, rejects)
