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
from safeguard.activity.parsers.common import (
    LineBlock,
    events_table,
    excerpt,
    has_more_lines,
    line_batches,
    line_blocks,
)
from safeguard.activity.parsers.fhir_fast import FastNormalizer
from safeguard.activity.parsers.fhir_mapping import event_row
from safeguard.activity.parsers.fhir_shape import Shape, file_shape
from safeguard.activity.parsers.fhir_validate import record_problem

Row = dict[str, Any]


class FhirAuditParser:
    name = "fhir_audit"
    version = "1.0"
    chunk_rows = 200_000  # DuckDB spreads a block over both cores better than four blocks a quarter the size
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
        if has_more_lines(path, self.fast_path_min_lines):
            return self._ndjson_fast(path, progress)
        return self._ndjson_validated(path, progress)

    def _ndjson_fast(self, path: Path, progress: ProgressCallback | None) -> Iterator[Chunk]:
        fast = FastNormalizer()
        try:
            for block in line_blocks(path, self.chunk_rows):
                yield _fast_chunk(block, fast)
                if progress:
                    progress(block.first + len(block.lines) - 1)
        finally:
            fast.close()

    def _ndjson_validated(self, path: Path, progress: ProgressCallback | None) -> Iterator[Chunk]:
        for batch in line_batches(path, self.chunk_rows):
            yield _ndjson_chunk(batch)
            if progress:
                progress(batch[-1][0])

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


def _fast_chunk(block: LineBlock, fast: FastNormalizer) -> Chunk:
    """Lines the SQL accepts become events without a Python object each; the others are read one by one, which
    words their reject (or finds them valid after all)."""
    table, refused = fast.normalize(block.first, block.lines)
    rows: list[Row] = []
    rejects: list[Reject] = []
    for number in refused:
        if number in block.undecodable:
            rejects.append(_not_utf8(number, block.undecodable[number]))
            continue
        text = block.lines[number - block.first].as_py()
        if text.strip():
            _read_line(number, text, rows, rejects)
    if rows:
        table = pa.concat_tables([table, events_table(rows)]).sort_by("raw_offset")
    return Chunk(table, rejects, len(block.lines))


def _not_utf8(number: int, data: bytes) -> Reject:
    try:
        data.decode()
    except UnicodeDecodeError as error:
        return Reject(number, "", f"is not UTF-8 ({error.reason} at byte {error.start})", excerpt(data))
    raise ValueError(f"Line {number} is UTF-8.")


def _ndjson_chunk(batch: list[tuple[int, bytes]]) -> Chunk:
    rows: list[Row] = []
    rejects: list[Reject] = []
    for number, data in batch:
        try:
            text = data.decode()
        except UnicodeDecodeError:
            rejects.append(_not_utf8(number, data))
            continue
        if text.strip():
            _read_line(number, text, rows, rejects)
    return Chunk(events_table(rows), rejects, len(batch))


def _read_line(number: int, text: str, rows: list[Row], rejects: list[Reject]) -> None:
    try:
        record = orjson.loads(text)
    except orjson.JSONDecodeError as error:
        rejects.append(Reject(number, "", f"malformed JSON: {error}", excerpt(text)))
        return
    read_record(record, text, number, rows, rejects)
