"""Checking an import's rows: the column mapping, each cell parsed, each row planned as a create or an update.

Nothing here writes. `check_rows` loads what it needs from the database once, then reports every problem by
row (as the spreadsheet numbers it: the header is row 1), column (the file's own header) and message, and plans
every clean row with the values the asset, flow and risk services will receive. Risk rows have their own
module, services/import_risk_rows.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypedDict

from django.db.models import TextChoices

from safeguard.core import tabular
from safeguard.core.audit import jsonable
from safeguard.core.models import Organization
from safeguard.risk.models import Asset, AssetKind, DataFlow, ImportJob, Risk, RiskAnalysis, Transport, VolumeBand
from safeguard.risk.services.assets import AssetContext, asset_errors
from safeguard.risk.services.exports import COLUMNS, yes_no
from safeguard.risk.services.flows import flow_errors

Kind = ImportJob.Kind
Tick = Callable[[int], None]

REQUIRED = {
    Kind.ASSETS: ("name", "kind"),
    Kind.DATA_FLOWS: ("source", "destination", "ephi", "transport", "encrypted_in_transit"),
    Kind.RISKS: ("title",),
}
LABELS = {
    "name": "Name",
    "kind": "Kind",
    "status": "Status",
    "owner": "Owner (email)",
    "hosting": "Hosting",
    "volume_band": "Volume band",
    "business_associate": "Business associate",
    "description": "Description",
    "source": "Source asset",
    "destination": "Destination asset",
    "ephi": "ePHI",
    "transport": "Transport",
    "encrypted_in_transit": "Encrypted in transit",
    "notes": "Notes",
    "reference": "Reference",
    "title": "Title",
    "assets": "Assets",
    "threat": "Threat",
    "vulnerability": "Vulnerability",
    "existing_controls": "Existing controls",
    "likelihood": "Likelihood",
    "impact": "Impact",
    "planned_controls": "Planned controls",
    "residual_likelihood": "Residual likelihood",
    "residual_impact": "Residual impact",
    "requirements": "Requirements (citations)",
}
# Other headers people give these columns; compared after lower-casing and joining words with "_".
ALIASES = {
    "name": ("asset", "asset_name"),
    "owner": ("owner_email", "owned_by", "risk_owner"),
    "ephi": ("what_ephi", "data", "phi"),
    "encrypted_in_transit": ("encrypted",),
    "volume_band": ("volume", "records"),
    "source": ("from",),
    "destination": ("to",),
    "reference": ("ref", "risk_id", "risk_reference", "risk_number"),
    "title": ("risk", "risk_title", "risk_name"),
    "assets": ("asset", "asset_names", "affected_assets", "systems"),
    "threat": ("threat_event", "threat_name"),
    "vulnerability": ("vulnerability_name", "weakness"),
    "existing_controls": ("current_controls", "existing_security_measures", "current_security_measures", "controls"),
    "planned_controls": ("planned_security_measures", "recommended_controls", "planned_measures"),
    "likelihood": ("inherent_likelihood",),
    "impact": ("inherent_impact",),
    "requirements": ("requirement", "citations", "citation", "hipaa_citations"),
}
FREE_TEXT = ("description", "notes")  # kept as typed; every other cell is trimmed
TRUE_WORDS = ("yes", "true", "1", "y")
FALSE_WORDS = ("no", "false", "0", "n")
ASSET_DEFAULTS: dict[str, Any] = {
    "status": Asset.Status.IN_SERVICE,
    "owner": None,
    "hosting": "",
    "volume_band": VolumeBand.UNKNOWN,
    "business_associate": "",
    "description": "",
}


class RowError(TypedDict):
    row: int
    column: str
    message: str


@dataclass
class Planned:
    number: int
    target: Asset | DataFlow | Risk | None  # None: the row creates a record
    values: dict[str, Any]  # what the service receives: only the mapped fields
    changes: list[str]  # for an update, the fields whose value differs


@dataclass
class Checked:
    mapping: dict[str, str]
    errors: list[RowError] = field(default_factory=list)
    planned: list[Planned] = field(default_factory=list)
    context: AssetContext | None = None  # assets: the context the services must share while writing
    taken: set[tuple[int, int, str]] = field(default_factory=set)  # flows: the keys the file may not repeat
    analysis: RiskAnalysis | None = None  # risks: the draft analysis new risks go into (None: the register)

    @property
    def rows_with_errors(self) -> int:
        return len({error["row"] for error in self.errors})


# ---- the mapping -----------------------------------------------------------------------------------------------


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def guess_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """Our field → the file's header, for each field a header names (case and spacing ignored)."""
    by_words = {_words(header): header for header in headers if header}
    mapping = {}
    for name in COLUMNS[Kind(kind)]:
        for candidate in (name, _words(LABELS[name]), *ALIASES.get(name, ())):
            if candidate in by_words:
                mapping[name] = by_words[candidate]
                break
    return mapping


def mapping_errors(kind: str, headers: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """Every problem with a mapping, by our field name; empty when the rows can be checked with it."""
    errors: dict[str, str] = {}
    fields = COLUMNS[Kind(kind)]
    used: dict[str, str] = {}
    for name, header in mapping.items():
        if name not in fields:
            errors[name] = f"{name!r} is not a column of this import: use {', '.join(fields)}."
        elif header not in headers or not header:
            errors[name] = f"The file has no column headed {header!r}."
        elif header in used:
            errors[name] = f"The column {header!r} is already used for “{LABELS[used[header]]}”."
        else:
            used[header] = name
    for name in REQUIRED[Kind(kind)]:
        if not mapping.get(name) and name not in errors:
            errors[name] = f"Choose the column for “{LABELS[name]}”: it is required."
    return errors


# ---- cells -----------------------------------------------------------------------------------------------------


def parse_choice(text: str, choices: type[TextChoices]) -> str | None:
    """The stored value for a choice given as its value or its label, in any case; None if it is neither."""
    lowered = text.lower()
    for value, label in choices.choices:
        if lowered in (str(value).lower(), str(label).lower()):
            return str(value)
    return None


def parse_yes_no(text: str) -> bool | None:
    lowered = text.lower()
    return True if lowered in TRUE_WORDS else False if lowered in FALSE_WORDS else None


def _choice_error(text: str, what: str, choices: type[TextChoices]) -> str:
    return f"{text!r} is not a {what}: use one of {', '.join(map(str, choices.values))}."


class RowReader:
    """Reads one row's mapped cells by our field names and collects its problems by field."""

    def __init__(self, headers: list[str], mapping: dict[str, str]) -> None:
        self.mapping = mapping
        # In our column order, not the mapping's: a mapping read back from PostgreSQL's jsonb has its keys
        # reordered, and the preview lists changed fields in this order.
        known = [name for columns in COLUMNS.values() for name in columns]
        ordered = sorted(mapping.items(), key=lambda item: known.index(item[0]) if item[0] in known else len(known))
        self.index = {name: headers.index(header) for name, header in ordered}

    def cells(self, row: tabular.Row) -> dict[str, str]:
        values = {}
        for name, position in self.index.items():
            text = tabular.restore(row.cells[position])
            values[name] = text if name in FREE_TEXT else text.strip()
        return values

    def errors(self, row: tabular.Row, problems: dict[str, str], order: tuple[str, ...]) -> list[RowError]:
        ranked = sorted(problems.items(), key=lambda item: order.index(item[0]) if item[0] in order else len(order))
        return [RowError(row=row.number, column=self.mapping.get(name, name), message=text) for name, text in ranked]


def _changes(target: Asset | DataFlow | None, values: dict[str, Any]) -> list[str]:
    if target is None:
        return []
    return [name for name, value in values.items() if jsonable(getattr(target, name)) != jsonable(value)]


# ---- assets ----------------------------------------------------------------------------------------------------


def _asset_values(
    cells: dict[str, str], current: Asset | None, context: AssetContext
) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, text in cells.items():
        if name == "kind":
            if not text:
                problems[name] = f"Give the kind: one of {', '.join(AssetKind.values)}."
            elif (kind := parse_choice(text, AssetKind)) is None:
                problems[name] = _choice_error(text, "kind of asset", AssetKind)
            else:
                values[name] = kind
        elif name in ("status", "volume_band"):
            choices: type[TextChoices] = Asset.Status if name == "status" else VolumeBand
            if not text and name == "status" and current is not None:
                problems[name] = f"An existing asset keeps a status: give one of {', '.join(choices.values)}."
            elif not text:
                values[name] = ASSET_DEFAULTS[name]
            elif (choice := parse_choice(text, choices)) is None:
                problems[name] = _choice_error(text, name.replace("_", " "), choices)
            else:
                values[name] = choice
        elif name == "owner":
            owner = context.owners.get(text.lower()) if text else None
            if owner is None and text and current is not None and _owned_by(current, text):
                owner = current.owner  # unchanged, as the asset form keeps an owner who has since left
            elif text and owner is None:
                problems[name] = f"No current member (other than an auditor) has the email {text!r}."
            values[name] = owner
        else:
            values[name] = text
    return values, problems


def _owned_by(asset: Asset, email: str) -> bool:
    return asset.owner is not None and asset.owner.email.lower() == email.lower()


def _check_assets(
    organization: Organization, table: tabular.Table, rows: RowReader, checked: Checked, tick: Tick
) -> None:
    context = AssetContext.load(organization)
    existing = {
        asset.name.lower(): asset for asset in Asset.objects.filter(organization=organization).select_related("owner")
    }
    seen: dict[str, int] = {}
    order = COLUMNS[Kind.ASSETS]
    for position, row in enumerate(table.rows, start=1):
        cells = rows.cells(row)
        key = cells.get("name", "").lower()
        current = existing.get(key)
        values, problems = _asset_values(cells, current, context)
        if current is not None and "owner" in values and values["owner"] == current.owner:
            del values["owner"]  # only what changes goes to the service, so a former member stays the owner
        for name, message in asset_errors(values, context, current=current).items():
            problems.setdefault(name, message)
        if key and key in seen:
            problems["name"] = f"Duplicates row {seen[key]}: each asset appears once in a file."
        if key:
            seen.setdefault(key, row.number)
        if problems:
            checked.errors.extend(rows.errors(row, problems, order))
        else:
            checked.planned.append(Planned(row.number, current, values, _changes(current, values)))
        tick(position)
    checked.context = context


# ---- data flows ------------------------------------------------------------------------------------------------


def _flow_values(cells: dict[str, str], assets: dict[str, Asset]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, text in cells.items():
        if name in ("source", "destination"):
            if not text:
                problems[name] = f"Give the {name} asset's name."
            elif text.lower() not in assets:
                problems[name] = f"No asset named {text!r} in the inventory: add it first, or fix the name."
            else:
                values[name] = assets[text.lower()]
        elif name == "transport":
            if (transport := parse_choice(text, Transport)) is None:
                problems[name] = _choice_error(text, "transport", Transport)
            else:
                values[name] = transport
        elif name == "encrypted_in_transit":
            if (flag := parse_yes_no(text)) is None:
                problems[name] = f"{text!r} does not say whether it is encrypted: use yes or no."
            else:
                values[name] = flag
        else:
            values[name] = text
    return values, problems


def _check_flows(
    organization: Organization, table: tabular.Table, rows: RowReader, checked: Checked, tick: Tick
) -> None:
    assets = {asset.name.lower(): asset for asset in Asset.objects.filter(organization=organization)}
    existing = {
        (flow.source_id, flow.destination_id, flow.ephi.lower()): flow
        for flow in DataFlow.objects.filter(organization=organization).select_related("source", "destination")
    }
    taken = set(existing)
    seen: dict[tuple[int, int, str], int] = {}
    order = COLUMNS[Kind.DATA_FLOWS]
    for position, row in enumerate(table.rows, start=1):
        values, problems = _flow_values(rows.cells(row), assets)
        source, destination = values.get("source"), values.get("destination")
        key = (source.pk, destination.pk, str(values.get("ephi", "")).lower()) if source and destination else None
        current = existing.get(key) if key else None
        for name, message in flow_errors(values, organization, taken=taken, current=current).items():
            problems.setdefault(name, message)
        if key is not None and key in seen:
            problems["ephi"] = f"Duplicates row {seen[key]}: each flow appears once in a file."
        if key is not None:
            seen.setdefault(key, row.number)
        if problems:
            checked.errors.extend(rows.errors(row, problems, order))
        else:
            checked.planned.append(Planned(row.number, current, values, _changes(current, values)))
        tick(position)
    checked.taken = taken


# ---- the whole file --------------------------------------------------------------------------------------------


def check_rows(
    *,
    organization: Organization,
    kind: str,
    table: tabular.Table,
    mapping: dict[str, str],
    progress: Tick | None = None,
    every: int = 200,
) -> Checked:
    """Every row checked against the database as it is now; `progress` hears the count every `every` rows."""

    def tick(done: int) -> None:
        if progress is not None and done % every == 0:
            progress(done)

    checked = Checked(mapping)
    rows = RowReader(table.headers, mapping)
    if kind == Kind.ASSETS:
        _check_assets(organization, table, rows, checked, tick)
    elif kind == Kind.DATA_FLOWS:
        _check_flows(organization, table, rows, checked, tick)
    else:
        # Imported here: the risk rows build on this module's row and error types.
        from safeguard.risk.services.import_risk_rows import check_risks

        check_risks(organization, table, rows, checked, tick)
    return checked


def preview_row(kind: str, planned: Planned) -> dict[str, Any]:
    """A planned row as the record will read once written: mapped cells over the current values (or defaults)."""
    if kind == Kind.RISKS:
        from safeguard.risk.services.import_risk_rows import preview_risk

        return preview_risk(planned)
    if kind == Kind.ASSETS:
        base = {name: getattr(planned.target, name) for name in COLUMNS[Kind.ASSETS]} if planned.target else {}
        record = {**ASSET_DEFAULTS, **base, **planned.values}
    else:
        base = {name: getattr(planned.target, name) for name in COLUMNS[Kind.DATA_FLOWS]} if planned.target else {}
        record = {"notes": "", **base, **planned.values}
    return {
        "row": planned.number,
        "action": "create" if planned.target is None else "update",
        "values": {name: _shown(record.get(name)) for name in COLUMNS[Kind(kind)]},
        "changes": planned.changes,
    }


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, Asset):
        return value.name
    if hasattr(value, "email"):
        return str(value.email)
    return str(value)
