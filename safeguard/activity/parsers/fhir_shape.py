"""Telling an AuditEvent NDJSON file from a Bundle (or one resource) before anything is read, and refusing
anything else: a FHIR source given a CSV or an identity provider's JSON array must fail as a whole, not line by
line."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Any

import orjson

from safeguard.activity.parsers.base import FormatError

HEAD_BYTES = 1 << 16
LINES_TRIED = 10


class Shape(Enum):
    NDJSON = "ndjson"
    DOCUMENT = "document"  # a Bundle, or a single AuditEvent written over several lines


def file_shape(path: Path) -> Shape:
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    start = head.lstrip()[:1]
    if not start:
        return Shape.NDJSON
    if start == b"[":
        raise FormatError(
            "The file is a JSON array, not FHIR AuditEvent NDJSON or a Bundle"
            " (identity provider exports look like this)."
        )
    if start != b"{":
        raise FormatError(
            f"The file is not JSON (it starts with {head.lstrip()[:30]!r});"
            " FHIR sources take AuditEvent NDJSON or a Bundle."
        )
    lines = [line.strip() for line in head.splitlines() if line.strip()][:LINES_TRIED]
    if lines[0] == b"{":
        return _document_shape(path)
    for line in lines:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue  # a malformed line is a Reject, unless no line can be read at all
        return _shape_of(record, "The first readable line")
    raise FormatError(f"None of the first {len(lines)} lines is a JSON object; FHIR sources take AuditEvent NDJSON.")


def _document_shape(path: Path) -> Shape:
    try:
        document = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as error:
        raise FormatError(f"The file is neither NDJSON nor one JSON document: {error}.") from None
    return _shape_of(document, "The file")


def _shape_of(value: Any, what: str) -> Shape:
    kind = value.get("resourceType") if isinstance(value, dict) else None
    if kind == "AuditEvent":
        return Shape.NDJSON if what != "The file" else Shape.DOCUMENT
    if kind == "Bundle":
        return Shape.DOCUMENT
    found = f"a FHIR {kind}" if isinstance(kind, str) else "a JSON object without resourceType"
    raise FormatError(f"{what} is {found}, not a FHIR AuditEvent or a Bundle of them.")
