"""Reading Safeguard's HIPAA rule pack (data/rules/): its index, and each Sigma document as its own text so a
stored rule holds exactly what was authored."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

PACK_DIR = Path(__file__).resolve().parent / "data" / "rules"
INDEX_FILE = "pack.yml"
_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)
MODES = ("disabled", "shadow", "enabled")


@dataclass(frozen=True)
class PackRule:
    name: str
    title: str
    description: str
    kind: str  # DetectionRule.Kind value
    level: str
    sigma_id: str
    yaml: str
    mode: str
    base: bool  # a building block correlations count; installed disabled, never alerts alone
    citations: tuple[str, ...]
    file: str


@dataclass(frozen=True)
class Pack:
    version: str
    rules: tuple[PackRule, ...]
    silent_source: dict[str, Any]

    def by_name(self) -> dict[str, PackRule]:
        return {rule.name: rule for rule in self.rules}


def citation_from_tag(tag: str) -> str | None:
    """`hipaa.164.308.a.1.ii.D` → `164.308(a)(1)(ii)(D)`; None for tags of other namespaces."""
    namespace, _, rest = tag.partition(".")
    parts = rest.split(".")
    if namespace != "hipaa" or len(parts) < 2:
        return None
    return f"{parts[0]}.{parts[1]}" + "".join(f"({part})" for part in parts[2:])


def split_documents(text: str) -> list[str]:
    """The documents of a multi-document YAML text, each without leading comments or blank lines."""
    documents = []
    for chunk in _SEPARATOR.split(text):
        lines = chunk.strip("\n").splitlines()
        while lines and (not lines[0].strip() or lines[0].lstrip().startswith("#")):
            lines.pop(0)
        if lines:
            documents.append("\n".join(lines) + "\n")
    return documents


def document_kind(document: dict[str, Any]) -> str:
    if "correlation" in document:
        return "correlation"
    if "filter" in document:
        return "filter"
    return "detection"


def _pack_rule(text: str, file: str, settings: dict[str, Any]) -> PackRule:
    document = yaml.safe_load(text)
    tags = [str(tag) for tag in document.get("tags") or []]
    citations = tuple(citation for citation in map(citation_from_tag, tags) if citation)
    return PackRule(
        name=document["name"],
        title=document["title"],
        description=str(document.get("description", "")).strip(),
        kind=document_kind(document),
        level=document.get("level", "medium"),
        sigma_id=str(document.get("id", "")),
        yaml=text,
        mode=settings.get("mode", "enabled"),
        base=bool(settings.get("base", False)),
        citations=citations,
        file=file,
    )


def load_pack(directory: Path = PACK_DIR) -> Pack:
    """The pack in `directory`. Raises ValueError when the index and the files disagree (a packaging fault)."""
    index = yaml.safe_load((directory / INDEX_FILE).read_text(encoding="utf-8"))
    settings: dict[str, dict[str, Any]] = index["rules"]
    rules = []
    for file in index["files"]:
        for text in split_documents((directory / file).read_text(encoding="utf-8")):
            name = yaml.safe_load(text).get("name")
            if name not in settings:
                raise ValueError(f"{file}: rule {name!r} is not in {INDEX_FILE}.")
            rules.append(_pack_rule(text, file, settings[name]))
    missing = settings.keys() - {rule.name for rule in rules}
    if missing:
        raise ValueError(f"{INDEX_FILE} names rules no file holds: {', '.join(sorted(missing))}.")
    bad_modes = [rule.name for rule in rules if rule.mode not in MODES]
    if bad_modes:
        raise ValueError(f"{INDEX_FILE}: unknown mode for {', '.join(bad_modes)}.")
    return Pack(version=str(index["version"]), rules=tuple(rules), silent_source=dict(index["silent_source"]))


@cache
def rule_pack() -> Pack:
    return load_pack()
