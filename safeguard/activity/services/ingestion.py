"""Ingestion: a file or a batch of records of one source → parser → event store, with progress, counts and
samples of rejected lines kept on the IngestBatch; then an evaluation over the events' time span."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safeguard.activity.models import IngestBatch, LogSource
from safeguard.core.audit import Actor


def ingest_records(source: LogSource, records: list[Any], *, channel: str, actor: Actor) -> IngestBatch:
    """Records already decoded (the HTTP endpoint's NDJSON lines, the syslog listener's messages as str):
    parsed, stored and counted synchronously."""
    raise NotImplementedError


def ingest_path(source: LogSource, path: Path, *, file_name: str, channel: str, actor: Actor) -> IngestBatch:
    """Read a whole file now (the command, and the task for uploads)."""
    raise NotImplementedError
