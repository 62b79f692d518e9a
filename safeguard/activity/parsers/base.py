"""What a parser is: it reads one format and yields chunks of normalized events (schema.EVENT_FIELDS) and the
lines it refused, each with the line number, the field and why. Parsers never skip a line silently."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

REJECT_SAMPLES = 50  # rejects kept per batch with their raw excerpt; all are counted


@dataclass(frozen=True)
class Reject:
    line: int  # 1-based line (or record) number in the input
    field: str  # the field at fault, e.g. "recorded" or "agent[0].who"; "" for the whole line
    reason: str
    raw: str = ""  # an excerpt (the first 500 characters)


@dataclass
class Chunk:
    table: pa.Table  # columns: schema.EVENT_FIELD_NAMES, types as schema says
    rejects: list[Reject] = field(default_factory=list)
    lines: int = 0  # input lines (or records) this chunk covered, accepted or not


@dataclass(frozen=True)
class SourceConfig:
    """What a parser may know of its source."""

    source_id: int
    kind: str
    time_zone: str  # for times written without an offset, when the format allows that (CSV exports, RFC 3164)
    mapping: dict[str, str] = field(default_factory=dict)  # CSV: our field → the file's header


class FormatError(Exception):
    """The input is not this format at all (a wrong file): nothing is read."""


ProgressCallback = Callable[[int], None]  # lines read so far


class Parser(Protocol):
    name: str
    version: str

    def parse(self, path: Path, source: SourceConfig, progress: ProgressCallback | None = None) -> Iterator[Chunk]:
        """Read the whole file. Raise FormatError before yielding anything if it is the wrong format."""
        ...

    def parse_records(self, records: list[Any], source: SourceConfig) -> Chunk:
        """Read records already decoded (the HTTP endpoint's NDJSON lines, the listener's messages)."""
        ...
