"""Sample files for rule tests arrive as uploads; parsers read paths. This bridges the two for one call."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.files.uploadedfile import UploadedFile

from safeguard.core.services.errors import ServiceError

MAX_UPLOAD_BYTES = 50 * 2**20


@contextmanager
def upload_on_disk(upload: UploadedFile) -> Iterator[Path]:
    """The upload written to a private temporary file, removed afterwards."""
    if upload.size is not None and upload.size > MAX_UPLOAD_BYTES:
        raise ServiceError(f"A sample file has at most {MAX_UPLOAD_BYTES // 2**20} MB.", field="file")
    suffix = Path(upload.name or "sample").suffix[:10]
    with tempfile.TemporaryDirectory(prefix="rule-sample-") as folder:
        path = Path(folder) / f"sample{suffix}"
        with path.open("wb") as handle:
            for block in upload.chunks():
                handle.write(block)
        yield path
