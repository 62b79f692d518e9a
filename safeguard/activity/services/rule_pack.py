"""Installing and updating Safeguard's HIPAA rule pack in an organization.

Missing rules are created in the mode the pack gives them. A pack rule the organization edited keeps its text;
a rule of the organization's own with a pack rule's name is never touched. An unedited pack rule takes the new
text but keeps its mode, overrides and suppression: those are the organization's tuning, not an edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from safeguard.activity.models import DetectionRule
from safeguard.activity.rule_pack_files import Pack, PackRule, rule_pack
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization

SILENT_SOURCE = "silent_source"
_TEXT_FIELDS = ("title", "description", "kind", "level", "sigma_id", "yaml", "citations")


@dataclass
class PackReport:
    version: str
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # edited here, or a custom rule holds the name
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "version": self.version,
            "created": self.created,
            "updated": self.updated,
            "kept": self.kept,
            "unchanged": self.unchanged,
        }


def _values(rule: PackRule) -> dict[str, object]:
    return {
        "title": rule.title,
        "description": rule.description,
        "kind": rule.kind,
        "level": rule.level,
        "sigma_id": rule.sigma_id,
        "yaml": rule.yaml,
        "citations": list(rule.citations),
    }


def _silent_values(pack: Pack) -> dict[str, object]:
    silent = pack.silent_source
    return {
        "title": silent["title"],
        "description": silent["description"],
        "kind": DetectionRule.Kind.SILENT_SOURCE,
        "level": silent["level"],
        "sigma_id": "",
        "yaml": "",
        "citations": list(silent["citations"]),
    }


def _apply(
    organization: Organization,
    actor: Actor,
    pack: Pack,
    name: str,
    values: dict[str, object],
    mode: str,
    existing: DetectionRule | None,
    report: PackReport,
    dry_run: bool,
) -> None:
    if existing is None:
        report.created.append(name)
        if not dry_run:
            DetectionRule.objects.create(
                organization=organization,
                name=name,
                mode=mode,
                origin=DetectionRule.Origin.PACK,
                pack_version=pack.version,
                created_by=actor.user,
                **values,
            )
        return
    if existing.origin != DetectionRule.Origin.PACK or existing.edited:
        report.kept.append(name)
        return
    if all(getattr(existing, key) == value for key, value in values.items()):
        report.unchanged.append(name)
        if existing.pack_version != pack.version and not dry_run:
            DetectionRule.objects.filter(pk=existing.pk).update(pack_version=pack.version)
        return
    report.updated.append(name)
    if not dry_run:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.pack_version = pack.version
        existing.updated_at = timezone.now()
        existing.save(update_fields=[*_TEXT_FIELDS, "pack_version", "updated_at"])


def rule_pack_install(
    *, organization: Organization, actor: Actor, dry_run: bool = False, pack: Pack | None = None
) -> PackReport:
    """Create the pack's missing rules and update unedited ones; `dry_run` reports without writing."""
    pack = pack or rule_pack()
    report = PackReport(version=pack.version)
    with transaction.atomic():
        existing = {
            rule.name: rule for rule in DetectionRule.objects.select_for_update().filter(organization=organization)
        }
        for rule in pack.rules:
            _apply(
                organization, actor, pack, rule.name, _values(rule), rule.mode, existing.get(rule.name), report, dry_run
            )
        silent_mode = str(pack.silent_source.get("mode", "enabled"))
        _apply(
            organization,
            actor,
            pack,
            SILENT_SOURCE,
            _silent_values(pack),
            silent_mode,
            existing.get(SILENT_SOURCE),
            report,
            dry_run,
        )
        if not dry_run and (report.created or report.updated):
            audit_record(
                actor=actor,
                action="activity.rule_pack_installed",
                organization=organization,
                object_type="activity.rule_pack",
                object_id=pack.version,
                object_repr=f"HIPAA rule pack {pack.version}",
                changes={"created": report.created, "updated": report.updated, "kept": report.kept},
            )
    return report
