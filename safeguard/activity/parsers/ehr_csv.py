"""EHR access-log exports as CSV (Epic, Cerner and the like), read through the source's column mapping
(ehr_csv_mapping.py) and action table (ehr_csv_actions.py).

Times without an offset are read in the source's time zone: these exports write the facility's local time. A row
whose time, user or action cannot be read is a Reject naming the row's line (the header is line 1), the column and
the value. The event uid is the mapped event id, else the SHA-256 of the row's fields; raw is the row as written."""

from __future__ import annotations

import csv
from bisect import bisect_left
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from safeguard.activity.parsers.base import Chunk, FormatError, ProgressCallback, Reject, SourceConfig
from safeguard.activity.parsers.common import TimeError, events_table, excerpt, has_more_lines, parse_time, raw_uid
from safeguard.activity.parsers.ehr_csv_actions import FAILED_ACTIONS, OUTCOMES
from safeguard.activity.parsers.ehr_csv_fast import FastCsv
from safeguard.activity.parsers.ehr_csv_mapping import CsvMapping
from safeguard.activity.schema import Activity, EventClass, Outcome

NOT_CSV_SUFFIXES = (".xlsx", ".xls", ".json", ".ndjson", ".xml")
FIELD_SEPARATOR = "\x1f"  # joins a row's fields for its uid; never found in a CSV value
SESSION_ACTIVITIES = (Activity.LOGON, Activity.LOGOFF)
PLAIN_FIELDS = (
    "patient_id", "patient_id_system", "outcome_reason", "src_host", "src_ip", "purpose_of_use", "user_upn",
    "session_id", "dst_service", "dst_host", "resource_type",
)  # fmt: skip


class RowError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


class EhrCsvParser:
    name = "ehr_csv"
    version = "1.0"
    chunk_rows = 50_000

    fast_path_min_lines = 20_000

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        mapping = CsvMapping.from_source(source)
        _check_format(path)
        with _open(path) as handle:
            header = next(csv.reader(handle), [])
        reader = RowReader(mapping, mapping.check_header(header), source.time_zone)
        if has_more_lines(path, self.fast_path_min_lines):
            fast = FastCsv(mapping, reader.positions, reader.width, source.time_zone).read(path, len(header))
            if fast is not None:
                return self._fast_chunks(*fast, reader, progress)
        return self._chunks(path, reader, progress)

    def _fast_chunks(
        self, events: pa.Table, refused: pa.Table, reader: RowReader, progress: ProgressCallback | None
    ) -> Iterator[Chunk]:
        """Rows are lines 2…n+1 here (no value spans lines), so chunks are ranges of line numbers."""
        numbers, lines = refused.column("line_no").to_pylist(), refused.column("line").to_pylist()
        offsets = events.column("raw_offset").to_numpy()  # ascending, as the file's lines
        last = max(int(offsets[-1]) if len(offsets) else 1, numbers[-1] if numbers else 1)
        for low in range(2, last + 1, self.chunk_rows):
            high = min(low + self.chunk_rows, last + 1)
            rows: list[dict[str, Any]] = []
            rejects: list[Reject] = []
            for index in range(bisect_left(numbers, low), bisect_left(numbers, high)):
                fields = next(csv.reader([lines[index]]), [])
                if fields and any(value.strip() for value in fields):
                    reader.read(fields, lines[index], numbers[index], rows, rejects, width=reader.width)
            start, stop = np.searchsorted(offsets, [low, high])
            table = events.slice(start, stop - start)
            if rows:
                table = pa.concat_tables([table, events_table(rows)]).sort_by("raw_offset")
            yield Chunk(table, rejects, high - low)
            if progress:
                progress(high - 1)

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        """Records are objects keyed by the file's headers (a row already split)."""
        mapping = CsvMapping.from_source(source)
        header = list(dict.fromkeys(key for record in records if isinstance(record, dict) for key in record))
        reader = RowReader(mapping, mapping.check_header(header), source.time_zone)
        rows: list[dict[str, Any]] = []
        rejects: list[Reject] = []
        for number, record in enumerate(records, start=1):
            fields = [str(record.get(name, "")) for name in header] if isinstance(record, dict) else []
            reader.read(fields, ",".join(fields), number, rows, rejects)
        return Chunk(events_table(rows), rejects, len(records))

    def _chunks(self, path: Path, reader: RowReader, progress: ProgressCallback | None) -> Iterator[Chunk]:
        with _open(path) as handle:
            lines = NumberedLines(handle)
            rows_reader = csv.reader(lines)
            next(rows_reader, None)
            lines.taken.clear()
            rows: list[dict[str, Any]] = []
            rejects: list[Reject] = []
            count = 0
            for fields in rows_reader:
                number = lines.number - len(lines.taken) + 1
                raw = "".join(lines.taken).rstrip("\r\n")
                lines.taken.clear()
                count += 1
                if fields and any(value.strip() for value in fields):
                    reader.read(fields, raw, number, rows, rejects, width=reader.width)
                if count >= self.chunk_rows:
                    yield Chunk(events_table(rows), rejects, count)
                    if progress:
                        progress(lines.number)
                    rows, rejects, count = [], [], 0
            if count:
                yield Chunk(events_table(rows), rejects, count)
                if progress:
                    progress(lines.number)


class NumberedLines:
    """The file's lines as csv.reader takes them, remembering the text and number of those a row used."""

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.number = 0
        self.taken: list[str] = []

    def __iter__(self) -> NumberedLines:
        return self

    def __next__(self) -> str:
        line = next(self.handle)
        self.number += 1
        self.taken.append(line)
        return line


class RowReader:
    def __init__(self, mapping: CsvMapping, positions: dict[str, int], time_zone: str) -> None:
        self.mapping = mapping
        self.positions = positions
        self.headers = mapping.columns
        self.zone = ZoneInfo(time_zone)
        self.time_zone = time_zone
        self.width = max(positions.values()) + 1

    def read(
        self,
        fields: list[str],
        raw: str,
        number: int,
        rows: list[dict[str, Any]],
        rejects: list[Reject],
        width: int = 0,
    ) -> None:
        try:
            if len(fields) < width:
                raise RowError("", f"has {len(fields)} fields; the mapped columns need {width}")
            rows.append(self._event(fields, raw, number))
        except RowError as error:
            rejects.append(Reject(number, error.field, error.reason, excerpt(raw)))

    def _event(self, fields: list[str], raw: str, number: int) -> dict[str, Any]:
        value = self._value
        action = value(fields, "action")
        activity = self._activity(action)
        event: dict[str, Any] = {name: value(fields, name) or None for name in PLAIN_FIELDS if name in self.positions}
        user = value(fields, "user_name")
        if not user:
            raise RowError(self.headers["user_name"], "is empty")
        event.update(
            event_uid=value(fields, "event_uid") or raw_uid(FIELD_SEPARATOR.join(fields)),
            time=self._time(value(fields, "time")),
            event_class=EventClass.AUTHENTICATION if activity in SESSION_ACTIVITIES else EventClass.RECORD_ACCESS,
            activity=activity,
            outcome=self._outcome(action, value(fields, "outcome")),
            user_name=user,
            record_count=self._count(value(fields, "record_count")),
            action_name=action,
            raw=raw,
            raw_offset=number,
        )
        return event

    def _value(self, fields: list[str], name: str) -> str:
        position = self.positions.get(name)
        return fields[position].strip() if position is not None else ""

    def _time(self, text: str) -> datetime:
        column = self.headers["time"]
        if not text:
            raise RowError(column, "is empty")
        try:
            if self.mapping.time_format is None:
                return parse_time(text, default_zone=self.time_zone)
            parsed = datetime.strptime(text, self.mapping.time_format)  # noqa: DTZ007 - the zone is applied below
        except (TimeError, ValueError):
            expected = self.mapping.time_format or "ISO 8601"
            raise RowError(column, f"{text!r} is not a time ({expected})") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        return parsed.astimezone(UTC)

    def _activity(self, action: str) -> Activity:
        activity = self.mapping.actions.get(action.lower(), self.mapping.fallback)
        if activity is None:
            raise RowError(
                self.headers["action"], f"unknown action {action!r}: add it to the mapping's actions, or map '*'"
            )
        return activity

    def _outcome(self, action: str, text: str) -> Outcome:
        if action.lower() in FAILED_ACTIONS:
            return Outcome.FAILURE
        if not text:
            return Outcome.SUCCESS  # an access log records accesses that happened
        outcome = OUTCOMES.get(text.lower())
        if outcome is None:
            raise RowError(self.headers["outcome"], f"unknown outcome {text!r}")
        return outcome

    def _count(self, text: str) -> int:
        if not text:
            return 1
        try:
            count = int(text)
        except ValueError:
            raise RowError(self.headers["record_count"], f"{text!r} is not a whole number") from None
        if count < 1:
            raise RowError(self.headers["record_count"], f"{count} is not a positive count")
        return count


def _open(path: Path) -> TextIO:
    # Spreadsheet exports often begin with a byte-order mark; undecodable bytes are kept visible, not fatal.
    return path.open(encoding="utf-8-sig", errors="replace", newline="")


def _check_format(path: Path) -> None:
    if path.suffix.lower() in NOT_CSV_SUFFIXES:
        raise FormatError(f"A {path.suffix} file is not CSV; export the access log as CSV.")
    with path.open("rb") as handle:
        head = handle.read(4096)
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()[:4]
    if start.startswith(b"PK\x03\x04") or b"\x00" in head:
        raise FormatError("The file is binary (a spreadsheet or archive?), not CSV; export the access log as CSV.")
    if start[:1] in (b"{", b"["):
        raise FormatError("The file is JSON, not CSV; choose the format that matches this export.")
