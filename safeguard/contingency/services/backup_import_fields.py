"""The fields of a backup result as an import reads them, and the column mapping: our field → the file's column
(CSV) or key (NDJSON). A mapping is guessed from the headers by the names backup tools commonly use."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    required: bool
    aliases: tuple[str, ...]


FIELDS = (
    Field("asset", "Asset", True, ("asset_name", "system", "server", "host", "hostname", "client", "source")),
    Field("job", "Job", True, ("job_name", "backup_job", "policy", "task", "plan", "backup")),
    Field("started", "Started", True, ("start", "start_time", "started_at", "begin", "job_start", "start_date")),
    Field("finished", "Finished", True, ("end", "end_time", "finished_at", "stop", "completed_at", "job_end")),
    Field("status", "Status", True, ("result", "state", "outcome", "job_status")),
    Field("size", "Size (bytes)", False, ("size_bytes", "bytes", "backup_size", "data_size", "transferred")),
    Field(
        "restore_point",
        "Restore point time",
        False,
        ("restore_point_time", "restore_point_at", "recovery_point", "snapshot_time", "point_in_time"),
    ),
    Field("run_id", "Run id", False, ("id", "session_id", "job_run_id", "run", "execution_id")),
    Field("message", "Message", False, ("details", "detail", "error", "note", "comment", "description")),
)
NAMES = tuple(field.name for field in FIELDS)
REQUIRED = tuple(field.name for field in FIELDS if field.required)
LABELS = {field.name: field.label for field in FIELDS}


def words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def guess_mapping(headers: list[str], *, start_from: dict[str, str] | None = None) -> dict[str, str]:
    """Our field → the header that names it (case, spaces and punctuation ignored). `start_from` (the mapping
    last used in this organization) wins for each field whose column this file also has."""
    mapping = {name: header for name, header in (start_from or {}).items() if name in NAMES and header in headers}
    by_words = {words(header): header for header in headers if header}
    for field in FIELDS:
        if field.name in mapping:
            continue
        for candidate in (field.name, words(field.label), *field.aliases):
            header = by_words.get(candidate)
            if header is not None and header not in mapping.values():
                mapping[field.name] = header
                break
    return mapping


def mapping_errors(mapping: dict[str, str], headers: list[str] | None) -> dict[str, str]:
    """Every problem with a mapping, by our field. `headers` is None for NDJSON, whose records need not all
    carry every key: a mapped key missing from a record reads as an empty value there."""
    errors: dict[str, str] = {}
    used: dict[str, str] = {}
    for name, column in mapping.items():
        if name not in NAMES:
            errors[name] = f"{name!r} is not a field of backup results: use {', '.join(NAMES)}."
        elif headers is not None and column not in headers:
            errors[name] = f"The file has no column headed {column!r}."
        elif column in used:
            errors[name] = f"{column!r} is already used for “{LABELS[used[column]]}”."
        else:
            used[column] = name
    for name in REQUIRED:
        if not mapping.get(name) and name not in errors:
            errors[name] = f"Choose the column for “{LABELS[name]}”: it is required."
    return errors
