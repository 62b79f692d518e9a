"""The organization's threat and vulnerability library: seeded from our starter set, then edited freely.

Entries are never deleted (risks point at them); a deactivated entry stays on the risks that name it but is no
longer offered for new ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

import yaml
from django.db import transaction
from django.db.models import CharField, Value

from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.risk.models import Threat, ThreatSource, Vulnerability, VulnerabilityArea

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
NAME_MAX = 200
THREAT_FIELDS = ("name", "source_type", "description", "is_active")
VULNERABILITY_FIELDS = ("name", "area", "description", "is_active")

Entry = TypeVar("Entry", Threat, Vulnerability)


@dataclass(frozen=True)
class StarterEntry:
    key: str
    name: str
    category: str
    description: str


@cache
def starter_set(kind: str) -> tuple[StarterEntry, ...]:
    """The starter entries of `kind` ("threats" or "vulnerabilities"), as shipped with the application."""
    document: dict[str, list[dict[str, Any]]] = yaml.safe_load((DATA_DIR / f"{kind}.yaml").read_text("utf-8"))
    return tuple(
        StarterEntry(
            key=str(row["key"]),
            name=str(row["name"]).strip(),
            category=str(row["category"]),
            description=" ".join(str(row["description"]).split()),
        )
        for row in document[kind]
    )


def library_seed(*, organization: Organization, actor: Actor) -> int:
    """Copy the starter entries the organization does not have yet; returns how many were added.

    Idempotent by `seed_key`: an entry seeded once is never seeded again, even after it was renamed or
    deactivated. A starter entry whose name the organization already uses for an entry of its own is skipped.
    When nothing is missing this is one read and takes no lock.
    """
    if not any(starters_missing(organization)):
        return 0
    with transaction.atomic():
        # The organization row serializes concurrent seeding; what is missing is read again under the lock.
        Organization.objects.select_for_update().get(pk=organization.pk)
        threats, vulnerabilities = starters_missing(organization)
        Threat.objects.bulk_create(
            Threat(
                organization=organization,
                name=entry.name,
                source_type=entry.category,
                description=entry.description,
                seed_key=entry.key,
            )
            for entry in threats
        )
        Vulnerability.objects.bulk_create(
            Vulnerability(
                organization=organization,
                name=entry.name,
                area=entry.category,
                description=entry.description,
                seed_key=entry.key,
            )
            for entry in vulnerabilities
        )
        added = len(threats) + len(vulnerabilities)
        if added:
            audit_record(
                actor=actor,
                action="risk.library.seeded",
                organization=organization,
                target=organization,
                changes={
                    "threats": [None, [entry.key for entry in threats]],
                    "vulnerabilities": [None, [entry.key for entry in vulnerabilities]],
                },
            )
    return added


def starters_missing(organization: Organization) -> tuple[list[StarterEntry], list[StarterEntry]]:
    """The starter threats and vulnerabilities library_seed would add now, read in one query."""
    threats = Threat.objects.filter(organization=organization).values_list("seed_key", "name", _kind("threats"))
    vulnerabilities = Vulnerability.objects.filter(organization=organization).values_list(
        "seed_key", "name", _kind("vulnerabilities")
    )
    present: dict[str, list[tuple[str, str]]] = {"threats": [], "vulnerabilities": []}
    for key, name, kind in threats.order_by().union(vulnerabilities.order_by(), all=True):
        present[kind].append((key, name))
    return (
        _missing(present["threats"], starter_set("threats")),
        _missing(present["vulnerabilities"], starter_set("vulnerabilities")),
    )


def _kind(kind: str) -> Value:
    return Value(kind, output_field=CharField())


def _missing(rows: list[tuple[str, str]], entries: tuple[StarterEntry, ...]) -> list[StarterEntry]:
    keys = {key for key, _name in rows if key}
    names = {name.lower() for _key, name in rows}
    return [entry for entry in entries if entry.key not in keys and entry.name.lower() not in names]


# --- threats and vulnerabilities ----------------------------------------------------------------------------------


def threat_create(
    *, organization: Organization, actor: Actor, name: str, source_type: str, description: str = ""
) -> Threat:
    values = {"name": name, "source_type": source_type, "description": description}
    return _entry_create(Threat, organization, actor, values)


def threat_update(*, organization: Organization, actor: Actor, threat: Threat, **values: Any) -> Threat:
    """Change name, source_type, description or is_active (False deactivates: no longer offered for new risks)."""
    return _entry_update(Threat, organization, actor, threat, values)


def vulnerability_create(
    *, organization: Organization, actor: Actor, name: str, area: str, description: str = ""
) -> Vulnerability:
    values = {"name": name, "area": area, "description": description}
    return _entry_create(Vulnerability, organization, actor, values)


def vulnerability_update(
    *, organization: Organization, actor: Actor, vulnerability: Vulnerability, **values: Any
) -> Vulnerability:
    """Change name, area, description or is_active (False deactivates: no longer offered for new risks)."""
    return _entry_update(Vulnerability, organization, actor, vulnerability, values)


def _spec(model: type[Threat] | type[Vulnerability]) -> tuple[str, tuple[str, ...], str, list[str]]:
    """(noun, editable fields, category field, category values) for a library model."""
    if model is Threat:
        return "threat", THREAT_FIELDS, "source_type", list(ThreatSource.values)
    return "vulnerability", VULNERABILITY_FIELDS, "area", list(VulnerabilityArea.values)


def _validate(model: type[Entry], organization: Organization, values: dict[str, Any], current: Entry | None) -> None:
    noun, _fields, category, choices = _spec(model)
    name = values["name"]
    if not name:
        raise ServiceError(f"Give the {noun} a name.", field="name")
    if len(name) > NAME_MAX:
        raise ServiceError(f"The name is longer than {NAME_MAX} characters.", field="name")
    clash = model.objects.filter(organization=organization, name__iexact=name)
    if current is not None:
        clash = clash.exclude(pk=current.pk)
    if clash.exists():
        raise ServiceError(f"The library already has a {noun} named “{name}”.", field="name")
    if values[category] not in choices:
        raise ServiceError(f"{values[category]!r} is not one of: {', '.join(choices)}.", field=category)


def _entry_create(model: type[Entry], organization: Organization, actor: Actor, values: dict[str, Any]) -> Entry:
    noun, fields, _category, _choices = _spec(model)
    values = {**values, "name": str(values["name"]).strip(), "description": str(values["description"]).strip()}
    _validate(model, organization, values, None)
    with transaction.atomic():
        entry = model.objects.create(organization=organization, **values)
        audit_record(
            actor=actor,
            action=f"risk.{noun}.created",
            organization=organization,
            target=entry,
            changes={name: [None, value] for name, value in snapshot(entry, fields).items()},
        )
    return entry


def _entry_update(
    model: type[Entry], organization: Organization, actor: Actor, entry: Entry, values: dict[str, Any]
) -> Entry:
    noun, fields, _category, _choices = _spec(model)
    unknown = set(values) - set(fields)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=entry.pk, organization=organization)
        before = snapshot(locked, fields)
        proposed = {**before, **values}
        proposed["name"] = str(proposed["name"]).strip()
        proposed["description"] = str(proposed["description"]).strip()
        _validate(model, organization, proposed, locked)
        for name in fields:
            setattr(locked, name, proposed[name])
        changes = field_changes(before, snapshot(locked, fields))
        if changes:
            locked.save(update_fields=list(changes))
            deactivated = changes.get("is_active") == [True, False] and len(changes) == 1
            audit_record(
                actor=actor,
                action=f"risk.{noun}.{'deactivated' if deactivated else 'updated'}",
                organization=organization,
                target=locked,
                changes=changes,
            )
    return locked
