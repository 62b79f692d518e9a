"""Syslog, RFC 5424 and RFC 3164, one message per line (files) or per record (the listener). The header is read
by syslog_frame, the message by syslog_messages. A message no reader knows is still stored, as a network session
event with activity "other", outcome "unknown" and the app's name as action_name, so nothing is dropped; only a
line that is not syslog at all is refused. Syslog has no event ids: the uid is the hash of the raw line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from safeguard.activity.parsers.base import Chunk, FormatError, ProgressCallback, Reject, SourceConfig
from safeguard.activity.parsers.common import events_table, excerpt, raw_uid
from safeguard.activity.parsers.syslog_frame import FrameError, SyslogMessage, YearReference, parse_line
from safeguard.activity.parsers.syslog_messages import read_payload
from safeguard.activity.schema import Activity, EventClass, Outcome

CHUNK_LINES = 50_000
SNIFF_LINES = 20  # a file none of whose first lines is syslog is the wrong file, not a file of bad lines


def _now() -> datetime:
    return datetime.now(UTC)


def _zone(source: SourceConfig) -> ZoneInfo:
    try:
        return ZoneInfo(source.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormatError(f"The source's time zone {source.time_zone!r} is not a known zone.") from None


def event_row(message: SyslogMessage, raw: str, number: int) -> dict[str, Any]:
    fields = read_payload(message) or {
        "event_class": str(EventClass.NETWORK_SESSION),
        "activity": str(Activity.OTHER),
        "outcome": str(Outcome.UNKNOWN),
        "action_name": message.app or "syslog",
    }
    return {
        "event_uid": raw_uid(raw),
        "time": message.time,
        "dst_host": message.host,
        "dst_service": message.app,
        **fields,
        "raw": raw,
        "raw_offset": number,
    }


def _read(line: str, number: int, zone: ZoneInfo, years: YearReference) -> dict[str, Any] | Reject:
    try:
        message = parse_line(line, zone, years)
    except FrameError as exc:
        return Reject(number, exc.field, exc.reason, excerpt(line))
    return event_row(message, line, number)


def parse_lines(numbered: Iterable[tuple[int, str]], source: SourceConfig, years: YearReference) -> Chunk:
    zone = _zone(source)
    rows: list[dict[str, Any]] = []
    rejects: list[Reject] = []
    count = 0
    for number, line in numbered:
        count += 1
        if not line.strip():
            continue
        result = _read(line, number, zone, years)
        if isinstance(result, Reject):
            rejects.append(result)
        else:
            rows.append(result)
    return Chunk(table=events_table(rows), rejects=rejects, lines=count)


def _numbered_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open("rb") as stream:
        for number, data in enumerate(stream, start=1):
            yield number, data.decode("utf-8", "replace").rstrip("\r\n")


def _check_format(head: list[tuple[int, str]], source: SourceConfig) -> None:
    probe = YearReference(now=_now())
    zone = _zone(source)
    lines = [(number, line) for number, line in head if line.strip()]
    if lines and all(isinstance(_read(line, number, zone, probe), Reject) for number, line in lines):
        raise FormatError(
            f"This is not a syslog file: none of its first {len(lines)} lines is a syslog message "
            "(expected <PRI> or a timestamp at the start of each line)."
        )


class SyslogParser:
    name = "syslog"
    version = "1.0"

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        years = YearReference(now=_now())
        batch: list[tuple[int, str]] = []
        checked = False
        done = 0
        for numbered in _numbered_lines(path):
            batch.append(numbered)
            if not checked and len(batch) >= SNIFF_LINES:
                _check_format(batch, source)
                checked = True
            if len(batch) >= CHUNK_LINES:
                done += len(batch)
                yield parse_lines(batch, source, years)
                batch = []
                if progress is not None:
                    progress(done)
        if not checked:
            _check_format(batch, source)
        if batch:
            done += len(batch)
            yield parse_lines(batch, source, years)
            if progress is not None:
                progress(done)

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        """Messages as the listener or the HTTP endpoint received them (str or bytes), numbered from 1."""
        years = YearReference(now=_now())
        lines = [
            (number, (record.decode("utf-8", "replace") if isinstance(record, bytes) else str(record)).rstrip("\r\n"))
            for number, record in enumerate(records, start=1)
        ]
        return parse_lines(lines, source, years)
