"""Inventory exports: the assets or data flows as CSV or XLSX, in exactly the columns the import reads.

Cells hold the stored choice values (not their labels), owners by email, flows' assets by name and yes/no for
encryption, so an exported file edited and imported again updates the same records and creates nothing new.
Every export is recorded in the audit trail with how many rows left the system.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.risk import tabular
from safeguard.risk.models import Asset, DataFlow, ImportJob

ASSET_COLUMNS = ("name", "kind", "status", "owner", "hosting", "volume_band", "business_associate", "description")
FLOW_COLUMNS = ("source", "destination", "ephi", "transport", "encrypted_in_transit", "notes")
COLUMNS = {ImportJob.Kind.ASSETS: ASSET_COLUMNS, ImportJob.Kind.DATA_FLOWS: FLOW_COLUMNS}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000

Kind = ImportJob.Kind


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def asset_cells(asset: Asset) -> list[str]:
    owner = asset.owner.email if asset.owner is not None else ""
    return [
        asset.name,
        asset.kind,
        asset.status,
        owner,
        asset.hosting,
        asset.volume_band,
        asset.business_associate,
        asset.description,
    ]


def flow_cells(flow: DataFlow) -> list[str]:
    return [
        flow.source.name,
        flow.destination.name,
        flow.ephi,
        flow.transport,
        yes_no(flow.encrypted_in_transit),
        flow.notes,
    ]


def _assets(organization: Organization) -> Iterator[list[str]]:
    rows = Asset.objects.filter(organization=organization).select_related("owner").order_by("name", "pk")
    for asset in rows.iterator(chunk_size=CHUNK):
        yield asset_cells(asset)


def _flows(organization: Organization) -> Iterator[list[str]]:
    rows = (
        DataFlow.objects.filter(organization=organization)
        .select_related("source", "destination")
        .order_by("source__name", "destination__name", "ephi", "pk")
    )
    for flow in rows.iterator(chunk_size=CHUNK):
        yield flow_cells(flow)


@dataclass(frozen=True)
class ExportFile:
    file_name: str
    content_type: str
    rows: int
    lines: Iterator[str] | None = None  # CSV, produced while the response streams
    content: bytes = b""  # XLSX, built whole (a zip cannot be streamed row by row)


def inventory_export(
    *, organization: Organization, actor: Actor, kind: str, file_format: str, today: date | None = None
) -> ExportFile:
    """The file to download; the export is audited before a byte of it is produced."""
    if kind not in Kind.values:
        raise ServiceError(f"Export assets or data flows, not {kind!r}.", field="kind")
    if file_format not in tabular.FORMATS:
        raise ServiceError("The format must be csv or xlsx.", field="format")
    assets = kind == Kind.ASSETS
    count = (Asset if assets else DataFlow).objects.filter(organization=organization).count()
    noun = "assets" if assets else "data flows"
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="risk.assets.exported" if assets else "risk.flows.exported",
            organization=organization,
            object_type="risk.asset" if assets else "risk.dataflow",
            object_id=organization.slug,
            object_repr=f"{count} {noun} exported as {file_format.upper()}",
            changes={"format": [None, file_format], "rows": [None, count]},
        )
    stamp = (today or timezone.localdate()).isoformat()
    name = f"{'assets' if assets else 'data-flows'}-{organization.slug}-{stamp}.{file_format}"
    headers = COLUMNS[Kind(kind)]
    rows = _assets(organization) if assets else _flows(organization)
    if file_format == "csv":
        return ExportFile(name, CONTENT_TYPES["csv"], count, lines=tabular.csv_lines(headers, rows))
    title = "Assets" if assets else "Data flows"
    return ExportFile(name, CONTENT_TYPES["xlsx"], count, content=tabular.xlsx_bytes(headers, rows, sheet_title=title))
