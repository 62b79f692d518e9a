"""Load the catalog data file into Requirement rows, idempotently."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from safeguard.catalog.models import Requirement, Safeguard

CATALOG_FILE = Path(__file__).parent / "data" / "hipaa_security_rule.yaml"
_FIELDS = ("title", "kind", "safeguard", "required", "nprm_2025_change", "title_source", "note", "position")


class CatalogError(Exception):
    pass


@dataclass(frozen=True)
class LoadResult:
    created: int
    updated: int
    unchanged: int


def _validate(entries: list[dict[str, Any]]) -> None:
    ids = [e.get("id") for e in entries]
    for index, entry in enumerate(entries, start=1):
        where = f"entry {index} ({entry.get('id', 'no id')})"
        for key in ("id", "title", "kind", "safeguard", "requirement"):
            if not entry.get(key):
                raise CatalogError(f"{where}: missing '{key}'")
        if entry["kind"] not in Requirement.Kind.values:
            raise CatalogError(f"{where}: kind must be one of {Requirement.Kind.values}")
        if entry["safeguard"] not in Safeguard.values:
            raise CatalogError(f"{where}: unknown safeguard {entry['safeguard']!r}")
        if entry["requirement"] not in ("required", "addressable"):
            raise CatalogError(f"{where}: requirement must be 'required' or 'addressable'")
        if entry["kind"] == "standard" and entry["requirement"] != "required":
            raise CatalogError(f"{where}: a standard is always required")
        if entry.get("parent") and entry["parent"] not in ids:
            raise CatalogError(f"{where}: parent {entry['parent']!r} is not in the catalog")
    if len(set(ids)) != len(ids):
        raise CatalogError("duplicate citations in the catalog file")


def read_catalog(path: Path = CATALOG_FILE) -> list[dict[str, Any]]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"cannot read {path}: {exc}") from exc
    entries = document.get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{path} has no 'entries' list")
    _validate(entries)
    return entries


@transaction.atomic
def catalog_load(path: Path = CATALOG_FILE) -> LoadResult:
    entries = read_catalog(path)
    existing = {r.citation: r for r in Requirement.objects.all()}
    created = updated = unchanged = 0
    for position, entry in enumerate(entries, start=1):
        values = {
            "title": entry["title"],
            "kind": entry["kind"],
            "safeguard": entry["safeguard"],
            "required": entry["requirement"] == "required",
            "nprm_2025_change": entry.get("nprm_2025_change") or "",
            "title_source": entry.get("title_source") or "regulation",
            "note": entry.get("note") or "",
            "position": position,
        }
        row = existing.get(entry["id"])
        if row is None:
            existing[entry["id"]] = Requirement.objects.create(citation=entry["id"], **values)
            created += 1
        elif any(getattr(row, f) != values[f] for f in _FIELDS):
            for field, value in values.items():
                setattr(row, field, value)
            row.save()
            updated += 1
        else:
            unchanged += 1
    for entry in entries:
        row = existing[entry["id"]]
        parent = existing[entry["parent"]] if entry.get("parent") else None
        if row.parent_id != (parent.pk if parent else None):
            row.parent = parent
            row.save(update_fields=["parent"])
    return LoadResult(created, updated, unchanged)
