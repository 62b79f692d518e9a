"""What every parser needs: building the events table, uids from raw lines, reading times, reject excerpts."""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc

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


def has_more_lines(path: Path, limit: int) -> bool:
    """Whether the file has more than `limit` lines (counted as count_lines does), reading no further than needed."""
    count = 0
    last = b"\n"
    with path.open("rb") as handle:
        while block := handle.read(READ_BLOCK_BYTES):
            count += block.count(b"\n")
            last = block[-1:]
            if count > limit:
                return True
    return count + (last != b"\n") > limit


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


BLOCK_READ_BYTES = 32 << 20


@dataclass
class LineBlock:
    """Lines as one Arrow column (no Python object per line), without their line endings."""

    first: int  # the number of the first line
    lines: pa.ChunkedArray  # an undecodable line is "" here
    undecodable: dict[int, bytes]  # line number → its bytes, for lines that are not UTF-8


def line_blocks(path: Path, size: int) -> Iterator[LineBlock]:
    """The file in blocks of `size` lines (the last may be shorter), numbered from 1 as line_batches numbers them."""
    pending: list[pa.StringArray] = []
    pending_count = 0
    undecodable: dict[int, bytes] = {}
    first = number = 1
    carry = b""
    with path.open("rb") as handle:
        while True:
            # Read into one fresh buffer after the carried partial line: the Arrow lines then share it, so each
            # byte is copied once (joining and cutting bytes objects copied every block twice, a second per GB).
            buffer = bytearray(len(carry) + BLOCK_READ_BYTES)
            buffer[: len(carry)] = carry
            read = handle.readinto(memoryview(buffer)[len(carry) :])
            data = read > 0
            end = len(carry) + read
            cut = end if not data else buffer.rfind(b"\n", 0, end) + 1
            carry = bytes(buffer[cut:end])
            if cut:
                lines, bad = text_lines(buffer, cut)
                undecodable.update((number + index, line) for index, line in bad)
                number += len(lines)
                pending.append(lines)
                pending_count += len(lines)
            while pending_count >= size or (not data and pending_count):
                column = pa.chunked_array(pending, pa.string())
                taken = min(size, pending_count)
                taken_bad = {n: undecodable.pop(n) for n in range(first, first + taken) if n in undecodable}
                yield LineBlock(first, column.slice(0, taken), taken_bad)
                rest = column.slice(taken)
                pending, pending_count, first = list(rest.chunks), pending_count - taken, first + taken
            if not data:
                return


def text_lines(data: bytes | bytearray, size: int) -> tuple[pa.StringArray, list[tuple[int, bytes]]]:
    """The whole lines in data[:size] as an Arrow array sharing its memory, then trimmed of their endings; lines
    that are not UTF-8 become "" and are listed with their index and bytes."""
    if size >= 2**31:
        raise ValueError("A block of lines must be smaller than 2 GB.")
    offsets = array("i", [0])
    position = data.find(b"\n", 0, size)
    while position >= 0:
        offsets.append(position + 1)
        position = data.find(b"\n", position + 1, size)
    if offsets[-1] != size:
        offsets.append(size)
    lines = pa.StringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), pa.py_buffer(memoryview(data)[:size]))
    bad: list[tuple[int, bytes]] = []
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        lines, bad = _decoded_lines(bytes(data[:size]))
    trimmed: pa.StringArray = pc.ascii_rtrim(lines, characters="\r\n")
    return trimmed, bad


def _decoded_lines(buffer: bytes) -> tuple[pa.StringArray, list[tuple[int, bytes]]]:
    texts: list[str] = []
    bad: list[tuple[int, bytes]] = []
    for index, line in enumerate(_split_lines(buffer)):
        try:
            texts.append(line.decode())
        except UnicodeDecodeError:
            texts.append("")
            bad.append((index, line.rstrip(b"\r\n")))
    return pa.array(texts, pa.string()), bad


def _split_lines(buffer: bytes) -> list[bytes]:
    lines = buffer.split(b"\n")
    if buffer.endswith(b"\n"):
        lines.pop()
    return lines
