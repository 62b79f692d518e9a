"""What the JSON log parsers (Okta, Entra, CloudTrail) share: finding the records in a file whatever its shape
(a JSON array, a wrapper object such as Graph's {"value": [...]} or CloudTrail's {"Records": [...]}, or NDJSON;
gzip-compressed or not), recognising the wrong file before reading it, and turning one record into a row or a
Reject that names the record and the field."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson

from safeguard.activity.parsers.base import Chunk, FormatError, ProgressCallback, Reject, SourceConfig
from safeguard.activity.parsers.common import TimeError, events_table, excerpt, parse_time, raw_uid

CHUNK_RECORDS = 50_000
SNIFF_RECORDS = 20  # records looked at to tell whether the file is this format at all
GZIP_MAGIC = b"\x1f\x8b"


class RecordError(ValueError):
    """One record cannot be read: the field at fault and why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class RawRecord:
    number: int  # 1-based record (NDJSON: line) number
    raw: str
    value: Any = None
    error: str = ""  # why the text is not a JSON object


Mapper = Callable[[dict[str, Any], SourceConfig], dict[str, Any]]


@dataclass(frozen=True)
class JsonFormat:
    """One JSON log format: how to recognise its records and how to map one to an event row."""

    title: str  # "an Okta System Log"
    wrapper_keys: tuple[str, ...]  # keys of a wrapper object holding the records
    looks_like: Callable[[dict[str, Any]], bool]
    mapper: Mapper


def _open(path: Path) -> IO[bytes]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == GZIP_MAGIC:
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def _decode(number: int, text: bytes | str) -> RawRecord:
    raw = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return RawRecord(number, raw, error=f"not valid JSON: {exc}")
    if not isinstance(value, dict):
        return RawRecord(number, raw, error=f"expected a JSON object, found {type(value).__name__}")
    return RawRecord(number, raw, value=value)


def _whole_document(document: Any, fmt: JsonFormat) -> Iterator[RawRecord]:
    if isinstance(document, dict):
        for key in fmt.wrapper_keys:
            if isinstance(document.get(key), list):
                document = document[key]
                break
        else:
            document = [document]
    if not isinstance(document, list):
        raise FormatError(f"This is not {fmt.title}: expected a JSON array or object of records.")
    for number, value in enumerate(document, start=1):
        raw = orjson.dumps(value).decode()
        if isinstance(value, dict):
            yield RawRecord(number, raw, value=value)
        else:
            yield RawRecord(number, raw, error=f"expected a JSON object, found {type(value).__name__}")


def _ndjson(first: bytes, stream: Iterable[bytes], start: int) -> Iterator[RawRecord]:
    yield _decode(start, first)
    for number, line in enumerate(stream, start=start + 1):
        if line.strip():
            yield _decode(number, line.rstrip(b"\r\n"))


def read_records(stream: IO[bytes], fmt: JsonFormat) -> Iterator[RawRecord]:
    """The file's records in order. A JSON document (array or wrapper, compact or pretty-printed) is read whole;
    a file whose first line is one complete record is NDJSON and is read line by line."""
    number = 0
    first = b""
    for line in stream:
        number += 1
        if line.strip():
            first = line.strip()
            break
    if not first:
        return
    if first[:1] not in (b"[", b"{"):
        raise FormatError(f"This is not {fmt.title}: expected JSON (an array, an object or NDJSON).")
    if first[:1] == b"{":
        head = _decode(number, first)
        if head.value is not None and not any(key in head.value for key in fmt.wrapper_keys):
            yield from _ndjson(first, stream, number)
            return
    rest = first + b"\n" + stream.read()
    try:
        document = orjson.loads(rest)
    except orjson.JSONDecodeError:
        if first[:1] == b"[":
            raise FormatError(f"This is not {fmt.title}: the JSON array is not valid JSON.") from None
        # A first line that is a broken record: the rest may still be good NDJSON.
        yield from _ndjson(first, rest.splitlines(keepends=True)[1:], number)
        return
    yield from _whole_document(document, fmt)


def _check_format(head: list[RawRecord], fmt: JsonFormat) -> None:
    objects = [record.value for record in head if record.value is not None]
    if not objects:
        raise FormatError(f"This is not {fmt.title}: none of the first {len(head)} records is a JSON object.")
    if not any(fmt.looks_like(value) for value in objects):
        raise FormatError(f"This is not {fmt.title}: its records lack the fields that format always has.")


def _row(record: RawRecord, fmt: JsonFormat, source: SourceConfig) -> dict[str, Any] | Reject:
    if record.value is None:
        return Reject(record.number, "", record.error, excerpt(record.raw))
    try:
        row = fmt.mapper(record.value, source)
    except RecordError as exc:
        return Reject(record.number, exc.field, exc.reason, excerpt(record.raw))
    row["raw"] = record.raw
    row["raw_offset"] = record.number
    if not row.get("event_uid"):
        row["event_uid"] = raw_uid(record.raw)
    return row


def _chunk(records: list[RawRecord], fmt: JsonFormat, source: SourceConfig) -> Chunk:
    rows: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    for record in records:
        result = _row(record, fmt, source)
        if isinstance(result, Reject):
            rejects.append(result)
        else:
            rows.append(result)
    return Chunk(table=events_table(rows), rejects=rejects, lines=len(records))


def parse_json_file(
    path: Path, fmt: JsonFormat, source: SourceConfig, progress: ProgressCallback | None
) -> Iterator[Chunk]:
    with _open(path) as stream:
        records = read_records(stream, fmt)
        batch: list[RawRecord] = []
        checked = False
        done = 0
        for record in records:
            batch.append(record)
            if not checked and len(batch) >= SNIFF_RECORDS:
                _check_format(batch, fmt)
                checked = True
            if len(batch) >= CHUNK_RECORDS:
                done += len(batch)
                yield _chunk(batch, fmt, source)
                batch = []
                if progress is not None:
                    progress(done)
        if not checked and batch:
            _check_format(batch, fmt)
        if batch:
            done += len(batch)
            yield _chunk(batch, fmt, source)
            if progress is not None:
                progress(done)


def parse_json_records(records: list[Any], fmt: JsonFormat, source: SourceConfig) -> Chunk:
    """Records already decoded (dicts), or still JSON text; numbered from 1 in the order given."""
    raws: list[RawRecord] = []
    for number, value in enumerate(records, start=1):
        if isinstance(value, str | bytes):
            raws.append(_decode(number, value))
        elif isinstance(value, dict):
            raws.append(RawRecord(number, orjson.dumps(value).decode(), value=value))
        else:
            raws.append(RawRecord(number, repr(value), error=f"expected a JSON object, found {type(value).__name__}"))
    return _chunk(raws, fmt, source)


# Reading fields of a record.


def dig(record: dict[str, Any], path: str) -> Any:
    """The value at a dotted path, or None when any step is missing or not an object."""
    value: Any = record
    for key in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def text(record: dict[str, Any], path: str) -> str | None:
    value = dig(record, path)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else str(value)


def required_time(record: dict[str, Any], path: str) -> datetime:
    """A time whose zone the format guarantees: missing or zone-less is the record's fault, never guessed."""
    value = dig(record, path)
    if value is None or value == "":
        raise RecordError(path, "is missing")
    if not isinstance(value, str):
        raise RecordError(path, f"{value!r} is not a time")
    try:
        return parse_time(value)
    except TimeError as exc:
        raise RecordError(path, str(exc)) from None
