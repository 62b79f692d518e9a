"""Backup result files: keeping an upload for the background reader, telling CSV from NDJSON, reading the headers
(or the first record's keys) and streaming the records, so a file of half a million rows is never held whole.

Rows are numbered as people find them: in a CSV the header is row 1, so the first run is row 2; in NDJSON a row
is its line (blank lines are skipped but counted)."""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import orjson
from django.core.files.base import File
from django.core.files.storage import default_storage

from safeguard.contingency.services.backup_import_fields import NAMES
from safeguard.contingency.services.backup_import_rows import text
from safeguard.core.models import Organization

FORMATS = ("csv", "ndjson")
STORAGE_DIR = "backup-results"
MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # three years of nightly runs of 500 assets is about 70 MB
csv.field_size_limit(1024 * 1024)

Record = tuple[int, dict[str, str] | str]  # row number, then the mapped values or why the row cannot be read
Opener = Callable[[], Iterator[Record]]


class FileUnreadable(Exception):
    """The file as a whole cannot be read (not UTF-8, not CSV or NDJSON, no header)."""


def format_of(name: str, head: bytes, given: str = "") -> str:
    """The stated format, else the file name's extension, else what the first character says."""
    if given:
        if given not in FORMATS:
            raise FileUnreadable(f"{given!r} is not a format of backup results: use csv or ndjson.")
        return given
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "csv":
        return "csv"
    if extension in ("ndjson", "jsonl", "json"):
        return "ndjson"
    return "ndjson" if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "csv"


def store_upload(organization: Organization, upload: File[Any]) -> tuple[str, str]:
    """Keep the upload in storage for the task; its stored name and SHA-256."""
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    upload.seek(0)
    stored = default_storage.save(f"{STORAGE_DIR}/{organization.public_id}/{uuid.uuid4().hex}", upload)
    return stored, digest.hexdigest()


@contextmanager
def opened(stored_name: str) -> Iterator[IO[str]]:
    try:
        raw = default_storage.open(stored_name, "rb")
    except FileNotFoundError:
        # Its record may outlive the file (the stale-upload chore deletes the file before updating the record).
        raise FileUnreadable("The uploaded file is no longer kept: upload it again.") from None
    with raw:
        yield io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def path_headers(path: Path, file_format: str) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return headers_of(stream, file_format)


def path_opener(path: Path, file_format: str, mapping: dict[str, str]) -> Opener:
    def opener() -> Iterator[Record]:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            yield from records(stream, file_format, mapping)

    return opener


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def headers_of(stream: IO[str], file_format: str) -> list[str]:
    """The CSV header row, or the keys of the first NDJSON record."""
    try:
        if file_format == "csv":
            first = next(csv.reader(stream), None)
            if not first or not any(cell.strip() for cell in first):
                raise FileUnreadable("The file has no header row: its first line must name the columns.")
            return [cell.strip() for cell in first]
        for line in stream:
            if line.strip():
                record = orjson.loads(line)
                if not isinstance(record, dict):
                    raise FileUnreadable("The first line is not a JSON object: write one run per line as {…}.")
                return [str(key) for key in record]
    except UnicodeDecodeError as error:
        raise FileUnreadable(f"The file is not UTF-8 text (byte {error.start + 1} of a block).") from None
    except orjson.JSONDecodeError as error:
        raise FileUnreadable(f"The first line is not JSON: {error}.") from None
    except csv.Error as error:
        raise FileUnreadable(f"The file is not readable CSV: {error}.") from None
    raise FileUnreadable("The file is empty.")


def records(stream: IO[str], file_format: str, mapping: dict[str, str]) -> Iterator[Record]:
    try:
        if file_format == "csv":
            yield from _csv_records(stream, mapping)
        else:
            yield from _ndjson_records(stream, mapping)
    except UnicodeDecodeError as error:
        raise FileUnreadable(f"The file is not UTF-8 text (byte {error.start + 1} of a block).") from None
    except csv.Error as error:
        raise FileUnreadable(f"The file is not readable CSV: {error}.") from None


def _csv_records(stream: IO[str], mapping: dict[str, str]) -> Iterator[Record]:
    reader = csv.reader(stream)
    headers = [cell.strip() for cell in next(reader, [])]
    positions = [(name, headers.index(column)) for name, column in mapping.items() if column in headers]
    for number, row in enumerate(reader, start=2):
        if not row or not any(row):
            continue
        width = len(row)
        yield number, {name: row[at].strip() if at < width else "" for name, at in positions}


def _ndjson_records(stream: IO[str], mapping: dict[str, str]) -> Iterator[Record]:
    pairs = list(mapping.items())
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            yield number, f"Not JSON: {error}."
            continue
        if not isinstance(record, dict):
            yield number, "Not a JSON object: write one run per line as {…}."
            continue
        yield number, {name: text(record.get(key)) for name, key in pairs}


def json_records(runs: list[Any]) -> Iterator[Record]:
    """Runs posted as JSON (the API and the post-job hook): numbered from 1, keys are our field names."""
    for number, run in enumerate(runs, start=1):
        if not isinstance(run, dict):
            yield number, "Not a JSON object."
            continue
        yield number, {name: text(run.get(name)) for name in NAMES}
