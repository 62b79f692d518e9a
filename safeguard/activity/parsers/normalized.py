"""Events already in Safeguard's schema, one JSON object per line: what log shippers post and the generator writes.

Keys are schema.EVENT_FIELDS names; `time` is ISO 8601 with a zone; event_class, activity and outcome are enum
values. An unknown key, a missing required field or a wrong type rejects the line. A missing event_uid is the
SHA-256 of the line, and raw defaults to the line itself; raw_offset is always the line number."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from safeguard.activity.parsers.base import Chunk, FormatError, ProgressCallback, Reject, SourceConfig
from safeguard.activity.parsers.common import (
    EVENTS_SCHEMA,
    TimeError,
    events_table,
    excerpt,
    line_batches,
    parse_time,
    raw_uid,
)
from safeguard.activity.schema import EVENT_FIELD_NAMES, Activity, EventClass, Outcome

KNOWN = frozenset(EVENT_FIELD_NAMES)
ENUMS = {"event_class": frozenset(EventClass), "activity": frozenset(Activity), "outcome": frozenset(Outcome)}
REQUIRED = ("time", "event_class", "activity", "outcome")
TYPES: dict[str, type] = {name: str for name in EVENT_FIELD_NAMES if EVENTS_SCHEMA.field(name).type == "string"} | {
    "time": str,
    "is_mfa": bool,
    "record_count": int,
    "raw_offset": int,
}


class LineError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class NormalizedParser:
    name = "normalized"
    version = "1.0"
    chunk_rows = 50_000

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        _check_format(path)
        return self._chunks(path, progress)

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        rows: list[dict[str, Any]] = []
        rejects: list[Reject] = []
        for number, record in enumerate(records, start=1):
            raw = orjson.dumps(record).decode()
            _read(record, raw, number, rows, rejects)
        return Chunk(events_table(rows), rejects, len(records))

    def _chunks(self, path: Path, progress: ProgressCallback | None) -> Iterator[Chunk]:
        done = 0
        for batch in line_batches(path, self.chunk_rows):
            rows: list[dict[str, Any]] = []
            rejects: list[Reject] = []
            for number, data in batch:
                if data.strip():
                    _read_line(number, data, rows, rejects)
            done += len(batch)
            yield Chunk(events_table(rows), rejects, len(batch))
            if progress:
                progress(done)


def _check_format(path: Path) -> None:
    with path.open("rb") as handle:
        start = handle.read(4096).lstrip()[:1]
    if start and start != b"{":
        what = "a JSON array" if start == b"[" else f"not NDJSON (it starts with {start!r})"
        raise FormatError(f"The file is {what}; normalized sources take one JSON object per line.")


def _read_line(number: int, data: bytes, rows: list[dict[str, Any]], rejects: list[Reject]) -> None:
    try:
        record = orjson.loads(data)
        raw = data.decode()
    except (orjson.JSONDecodeError, UnicodeDecodeError) as error:
        rejects.append(Reject(number, "", f"malformed JSON: {error}", excerpt(data)))
        return
    _read(record, raw, number, rows, rejects)


def _read(record: Any, raw: str, number: int, rows: list[dict[str, Any]], rejects: list[Reject]) -> None:
    try:
        rows.append(_event(record, raw, number))
    except LineError as error:
        rejects.append(Reject(number, error.field, error.reason, excerpt(raw)))


def _event(record: Any, raw: str, number: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise LineError("", f"is a JSON {type(record).__name__}, not an object")
    unknown = record.keys() - KNOWN
    if unknown:
        names = ", ".join(sorted(unknown))
        raise LineError(names, f"unknown fields: {names}")
    for name in REQUIRED:
        if record.get(name) is None:
            raise LineError(name, "is missing")
    for name, value in record.items():
        expected = TYPES.get(name)
        if value is not None and expected is not None and not _is(value, expected):
            raise LineError(name, f"{value!r} is not a {_type_name(expected)}")
    for name, values in ENUMS.items():
        if record[name] not in values:
            raise LineError(name, f"{record[name]!r} is not one of {', '.join(sorted(values))}")
    try:
        time = parse_time(record["time"])
    except TimeError as error:
        raise LineError("time", str(error)) from None
    event = dict(record)
    event["time"] = time
    event["raw_offset"] = number
    if event.get("event_uid") is None:
        event["event_uid"] = raw_uid(raw)
    if event.get("raw") is None:
        event["raw"] = raw
    return event


def _is(value: Any, expected: type) -> bool:
    # bool is an int in Python; a count of True is not a count.
    return isinstance(value, expected) and not (expected is int and isinstance(value, bool))


def _type_name(expected: type) -> str:
    return {str: "string", bool: "boolean", int: "whole number"}.get(expected, "value")
