"""Uploaded files kept for a background reader: log files for ingestion (services/sources.py) and rule-test
samples (services/rule_testing.py) wait in one storage folder per organization until their task has read them;
the task reads them through local_copy and deletes them then (tasks_ingestion.py, tasks_rule_tests.py)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile

from safeguard.core.models import Organization

UPLOAD_DIR = "activity-uploads"


@dataclass(frozen=True)
class KeptUpload:
    stored_name: str  # the file in storage, which the task reads and then deletes
    file_name: str  # the uploader's name for it, without folders
    sha256: str
    size_bytes: int


@contextmanager
def kept_upload(organization: Organization, upload: UploadedFile, *, default_name: str) -> Iterator[KeptUpload]:
    """Save the upload and yield what the record that queues its reading needs. Create that record inside the
    block: when the block raises, the record was never made, so the file is deleted rather than left behind."""
    digest = hashlib.sha256()
    for block in upload.chunks():
        digest.update(block)
    upload.seek(0)
    name = (upload.name or default_name).replace("\\", "/").rsplit("/", 1)[-1][:255]
    stored = default_storage.save(f"{UPLOAD_DIR}/{organization.public_id}/{uuid.uuid4().hex}", upload)
    try:
        yield KeptUpload(stored_name=stored, file_name=name, sha256=digest.hexdigest(), size_bytes=upload.size or 0)
    except BaseException:
        default_storage.delete(stored)
        raise


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """The upload as a local file: parsers read paths, and remote storage has none. The yields stay outside the
    `except NotImplementedError`, so an error raised while reading reaches the caller as itself."""
    try:
        local: Path | None = Path(default_storage.path(name))
    except NotImplementedError:
        local = None
    if local is not None:
        yield local
        return
    with default_storage.open(name, "rb") as source, tempfile.NamedTemporaryFile(delete=False) as target:
        shutil.copyfileobj(source, target)
    try:
        yield Path(target.name)
    finally:
        Path(target.name).unlink(missing_ok=True)
