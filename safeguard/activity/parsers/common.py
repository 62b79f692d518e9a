"""What every parser needs: building the events table, uids from raw lines, reading times, reject excerpts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from safeguard.activity.schema import EVENT_FIELDS

_ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "BOOLEAN": pa.bool_(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
}
EVENTS_SCHEMA = pa.schema([pa.field(field.name, _ARROW_TYPES[field.type]) for field in EVENT_FIELDS])
EXCERPT_CHARS = 500


def events_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows (dicts keyed by schema field names; missing keys are null) as the table parsers yield."""
    rows = rows if isinstance(rows, list) else list(rows)
    # A comprehension per column is several times faster than appending cell by cell.
    columns = {name: [row.get(name) for row in rows] for name in EVENTS_SCHEMA.names}
    return pa.table(columns, schema=EVENTS_SCHEMA)


def empty_events_table() -> pa.Table:
    return EVENTS_SCHEMA.empty_table()


def raw_uid(raw: str | bytes) -> str:
    """An event's uid when the source gives none: the SHA-256 of its raw line, so a re-sent line is a duplicate."""
    data = raw.encode() if isinstance(raw, str) else raw
    return "sha256:" + hashlib.sha256(data).hexdigest()


def excerpt(raw: str | bytes) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text[:EXCERPT_CHARS]


class TimeError(ValueError):
    """A time that cannot be read, or has no zone where one is required."""


def parse_time(value: str, *, default_zone: str | None = None) -> datetime:
    """An ISO 8601 time as UTC. Without an offset it is read in `default_zone`, or refused when there is none
    (formats whose times always carry a zone must not guess)."""
    text = value.strip()
    if not text:
        raise TimeError("is empty")
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise TimeError(f"{value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        if default_zone is None:
            raise TimeError(f"{value!r} has no time zone")
        parsed = parsed.replace(tzinfo=ZoneInfo(default_zone))
    return parsed.astimezone(UTC)


READ_BLOCK_BYTES = 1 << 20


def count_lines(path: Path) -> int:
    """Lines in a file (a last line without a newline counts), read in blocks to choose a parsing path cheaply."""
    count = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK_BYTES):
            count += block.count(b"\n")
            last = block[-1:]
    return count + (last != b"\n")


def line_batches(path: Path, size: int) -> Iterator[list[tuple[int, bytes]]]:
    """A file's lines numbered from 1, without their line endings, in lists of `size`."""
    batch: list[tuple[int, bytes]] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            batch.append((number, line.rstrip(b"\r\n")))
            if len(batch) >= size:
                yield batch
                batch = []
    if batch:
        yield batch
