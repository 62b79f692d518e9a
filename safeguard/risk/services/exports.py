"""Exports the imports read back: the assets, data flows or risks as CSV or XLSX, in exactly the import's columns.

Cells hold the stored choice values (not their labels), owners by email, flows' assets by name and yes/no for
encryption; risks carry their reference, assets by name and citations separated by "; ", and ratings as the
whole numbers of their method's scales. So an exported file edited and imported again updates the same records
and creates nothing new. Every export is recorded in the audit trail with how many rows left the system.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Asset, DataFlow, ImportJob, Risk

ASSET_COLUMNS = ("name", "kind", "status", "owner", "hosting", "volume_band", "business_associate", "description")
FLOW_COLUMNS = ("source", "destination", "ephi", "transport", "encrypted_in_transit", "notes")
RISK_COLUMNS = (
    "reference",
    "title",
    "assets",
    "threat",
    "vulnerability",
    "description",
    "existing_controls",
    "likelihood",
    "impact",
    "planned_controls",
    "residual_likelihood",
    "residual_impact",
    "requirements",
    "owner",
)
COLUMNS = {
    ImportJob.Kind.ASSETS: ASSET_COLUMNS,
    ImportJob.Kind.DATA_FLOWS: FLOW_COLUMNS,
    ImportJob.Kind.RISKS: RISK_COLUMNS,
}
LIST_SEPARATOR = "; "  # between the assets, or the citations, of one risk
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


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def risk_cells(risk: Risk) -> list[str]:
    """One risk's row; its assets and requirements must be prefetched."""
    assets = sorted((asset.name for asset in risk.assets.all()), key=str.lower)
    requirements = [requirement.citation for requirement in sorted(risk.requirements.all(), key=lambda r: r.position)]
    return [
        risk.reference,
        risk.title,
        LIST_SEPARATOR.join(assets),
        risk.threat.name if risk.threat is not None else "",
        risk.vulnerability.name if risk.vulnerability is not None else "",
        risk.description,
        risk.existing_controls,
        _number(risk.likelihood),
        _number(risk.impact),
        risk.planned_controls,
        _number(risk.residual_likelihood),
        _number(risk.residual_impact),
        LIST_SEPARATOR.join(requirements),
        risk.owner.email if risk.owner is not None else "",
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


def _risks(organization: Organization) -> Iterator[list[str]]:
    rows = (
        Risk.objects.filter(organization=organization)
        .select_related("threat", "vulnerability", "owner")
        .prefetch_related("assets", "requirements")
        .order_by("number")
    )
    for risk in rows.iterator(chunk_size=CHUNK):
        yield risk_cells(risk)


@dataclass(frozen=True)
class Export:
    """How one kind of record leaves the system."""

    model: type[Asset] | type[DataFlow] | type[Risk]
    noun: str
    action: str
    object_type: str
    file_stem: str
    sheet_title: str
    rows: Callable[[Organization], Iterator[list[str]]]


EXPORTS = {
    Kind.ASSETS: Export(Asset, "assets", "risk.assets.exported", "risk.asset", "assets", "Assets", _assets),
    Kind.DATA_FLOWS: Export(
        DataFlow, "data flows", "risk.flows.exported", "risk.dataflow", "data-flows", "Data flows", _flows
    ),
    Kind.RISKS: Export(Risk, "risks", "risk.risks.exported", "risk.risk", "risks", "Risks", _risks),
}


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
    """The file to download (assets, data flows or the risk register); the export is audited before a byte of it
    is produced."""
    if kind not in Kind.values:
        raise ServiceError(f"Export assets, data flows or risks, not {kind!r}.", field="kind")
    if file_format not in tabular.FORMATS:
        raise ServiceError("The format must be csv or xlsx.", field="format")
    export = EXPORTS[Kind(kind)]
    count = export.model.objects.filter(organization=organization).count()
    with transaction.atomic():
        audit_record(
            actor=actor,
            action=export.action,
            organization=organization,
            object_type=export.object_type,
            object_id=organization.slug,
            object_repr=f"{count} {export.noun} exported as {file_format.upper()}",
            changes={"format": [None, file_format], "rows": [None, count]},
        )
    stamp = (today or timezone.localdate()).isoformat()
    name = f"{export.file_stem}-{organization.slug}-{stamp}.{file_format}"
    headers = COLUMNS[Kind(kind)]
    rows = export.rows(organization)
    if file_format == "csv":
        return ExportFile(name, CONTENT_TYPES["csv"], count, lines=tabular.csv_lines(headers, rows))
    content = tabular.xlsx_bytes(headers, rows, sheet_title=export.sheet_title)
    return ExportFile(name, CONTENT_TYPES["xlsx"], count, content=content)
