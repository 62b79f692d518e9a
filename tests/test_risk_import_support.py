"""Helpers the import and export tests share: files to upload, jobs driven through their states, counters.

No tests live here.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, User
from safeguard.risk.models import Asset, AssetKind, DataFlow, ImportJob, Transport
from safeguard.risk.services.imports import import_commit, import_map, import_start
from tests.conftest import Cast

Capture = Callable[..., AbstractContextManager[Any]]
ASSET_HEADER = "name,kind,status,owner,hosting,volume_band,business_associate,description"
FLOW_HEADER = "source,destination,ephi,transport,encrypted_in_transit,notes"
RISK_HEADER = (
    "reference,title,assets,threat,vulnerability,description,existing_controls,likelihood,impact,planned_controls,"
    "residual_likelihood,residual_impact,requirements,owner"
)


def csv_file(text: str, name: str = "inventory.csv", *, bom: bool = False) -> SimpleUploadedFile:
    data = (("\ufeff" if bom else "") + text).encode()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def binary_file(name: str = "assets.csv") -> SimpleUploadedFile:
    """A file named like a spreadsheet that holds binary data."""
    return SimpleUploadedFile(name, b"\x89PNG\r\n\x1a\n\x00\x00binary", content_type="text/csv")


def xlsx_data(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file(rows: list[list[Any]], name: str = "inventory.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, xlsx_data(rows), content_type="application/octet-stream")


def xlsx_rows(data: bytes) -> list[list[str]]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
    return [["" if value is None else str(value) for value in row] for row in sheet.iter_rows(values_only=True)]


def asset(cast: Cast, name: str, kind: str = AssetKind.APPLICATION, **values: Any) -> Asset:
    return Asset.objects.create(organization=values.pop("organization", cast.org), name=name, kind=kind, **values)


def flow(cast: Cast, source: Asset, destination: Asset, ephi: str = "Lab orders", **values: Any) -> DataFlow:
    fields: dict[str, Any] = {"transport": Transport.HL7, "encrypted_in_transit": True, **values}
    return DataFlow.objects.create(
        organization=source.organization, source=source, destination=destination, ephi=ephi, **fields
    )


def start(cast: Cast, upload: SimpleUploadedFile, kind: str = "assets", user: User | None = None) -> ImportJob:
    return import_start(organization=cast.org, actor=Actor(user=user or cast.owner), kind=kind, upload=upload)


def checked(
    cast: Cast,
    capture: Capture,
    upload: SimpleUploadedFile,
    kind: str = "assets",
    mapping: dict[str, str] | None = None,
) -> ImportJob:
    """Uploaded, mapped (the guess unless given) and checked, as the background task leaves it."""
    job = start(cast, upload, kind)
    with capture(execute=True):
        import_map(organization=cast.org, actor=Actor(user=cast.owner), job=job, mapping=mapping or job.mapping)
    job.refresh_from_db()
    return job


def committed(cast: Cast, capture: Capture, job: ImportJob) -> ImportJob:
    with capture(execute=True):
        import_commit(organization=cast.org, actor=Actor(user=cast.owner), job=job)
    job.refresh_from_db()
    return job


def actions(prefix: str = "risk.") -> list[str]:
    return list(
        AuditEvent.objects.filter(action__startswith=prefix).order_by("sequence").values_list("action", flat=True)
    )


def inventory() -> tuple[int, int]:
    return Asset.objects.count(), DataFlow.objects.count()
