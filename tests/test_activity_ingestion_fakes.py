"""Stand-ins for the parser, the event store and the evaluation service, so the ingestion pipeline is tested on
its own: lines are JSON objects {"uid", "time", "bad"?}; the store remembers uids and counts duplicates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from safeguard.activity.parsers.base import Chunk, FormatError, Reject, SourceConfig
from safeguard.activity.parsers.common import events_table
from safeguard.activity.store.base import AppendResult, ReferenceData


def event(uid: str, time: str) -> dict[str, Any]:
    return {
        "event_uid": uid,
        "time": datetime.fromisoformat(time),
        "event_class": "authentication",
        "activity": "logon",
        "outcome": "success",
        "user_name": "jdoe",
    }


class FakeParser:
    name = "fake"
    version = "1.0"

    def __init__(self, chunk_lines: int = 2, fail_after: int | None = None, wrong_format: bool = False) -> None:
        self.chunk_lines = chunk_lines
        self.fail_after = fail_after  # raise after this many chunks
        self.wrong_format = wrong_format
        self.on_chunk: list[Any] = []  # callbacks run before each chunk is yielded (to observe progress)

    def _chunk(self, items: list[tuple[int, Any]]) -> Chunk:
        rows, rejects = [], []
        for number, record in items:
            if not isinstance(record, dict) or record.get("bad"):
                rejects.append(Reject(number, "time", "not a time", json.dumps(record)))
            else:
                rows.append(event(record["uid"], record["time"]))
        return Chunk(table=events_table(rows), rejects=rejects, lines=len(items))

    def parse(self, path: Path, source: SourceConfig, progress: Any = None) -> Iterator[Chunk]:
        if self.wrong_format:
            raise FormatError("This is not a fake file: the first line is not JSON.")
        lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        for index, start in enumerate(range(0, len(lines), self.chunk_lines)):
            if self.fail_after is not None and index >= self.fail_after:
                raise RuntimeError("disk full")
            for callback in self.on_chunk:
                callback()
            yield self._chunk(list(enumerate(lines, start=1))[start : start + self.chunk_lines])

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        return self._chunk(list(enumerate(records, start=1)))


@dataclass
class FakeStore:
    uids: set[str] = field(default_factory=set)
    appends: list[dict[str, Any]] = field(default_factory=list)
    loaded: list[int] = field(default_factory=list)
    version: int | None = None

    def append(self, source_id: int, batch_id: int, table: Any, **kwargs: Any) -> AppendResult:
        rows = table.to_pylist()
        new = [row for row in rows if row["event_uid"] not in self.uids]
        self.uids.update(row["event_uid"] for row in new)
        self.appends.append({"source_id": source_id, "batch_id": batch_id, "rows": len(rows), **kwargs})
        times = [row["time"] for row in new]
        return AppendResult(len(new), len(rows) - len(new), min(times, default=None), max(times, default=None))

    def load_reference(self, reference: ReferenceData) -> None:
        self.loaded.append(reference.version)
        self.version = reference.version

    def reference_version(self) -> int | None:
        return self.version


@dataclass
class Fakes:
    parser: FakeParser
    store: FakeStore
    evaluations: list[dict[str, Any]]


def install_fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    """Put the fakes in place of the parser, the store and the evaluation (each test module's `fakes` fixture)."""
    from safeguard.activity.services import ingestion

    found = Fakes(FakeParser(), FakeStore(), [])
    monkeypatch.setattr(ingestion, "parser_for", lambda name: found.parser)
    monkeypatch.setattr(ingestion, "store_for", lambda organization_id: found.store)
    monkeypatch.setattr(
        ingestion, "request_evaluation", lambda organization, **kwargs: found.evaluations.append(kwargs)
    )
    return found


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path
