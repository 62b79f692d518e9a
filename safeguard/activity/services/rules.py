"""Detection rules an organization writes or tunes: upload (one or more Sigma documents, all or nothing), edit
the YAML, choose the mode, set overrides and suppression, delete its own rules. Pack rules are never deleted:
they can be disabled, and an edited pack rule is left alone by pack updates."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from safeguard.activity.engine import RuleError, RuleProblem, parse_rules
from safeguard.activity.models import DetectionRule
from safeguard.activity.rule_pack_files import split_documents
from safeguard.core.audit import Actor, audit_record, field_changes, snapshot
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError

SIGMA_KINDS = (DetectionRule.Kind.DETECTION, DetectionRule.Kind.CORRELATION, DetectionRule.Kind.FILTER)
TIMESPAN = re.compile(r"^([1-9][0-9]*)([smhd])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_WINDOW_SECONDS = 30 * 86400  # evaluation reads back this far at most
MAX_THRESHOLD = 1_000_000
MIN_SUPPRESSION, MAX_SUPPRESSION = 60, 30 * 86400
MAX_YAML_CHARS = 200_000


def timespan_seconds(value: str) -> int:
    match = TIMESPAN.match(value.strip())
    if match is None:
        raise ValueError(value)
    return int(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def referenced_names(text: str) -> set[str]:
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError:
        return set()
    names: set[str] = set()
    for document in documents:
        for block in ("correlation", "filter"):
            section = document.get(block) if isinstance(document, dict) else None
            rules = section.get("rules") if isinstance(section, dict) else None
            if isinstance(rules, list):
                names.update(str(name) for name in rules)
            elif isinstance(rules, str):
                names.add(rules)
    return names


def _context(organization: Organization, exclude: Iterable[str]) -> dict[str, str]:
    """The organization's stored Sigma rules (name → YAML), which new documents may refer to."""
    rows = DetectionRule.objects.filter(organization=organization, kind__in=SIGMA_KINDS).exclude(name__in=exclude)
    return {name: text for name, text in rows.values_list("name", "yaml") if text.strip()}


def _names_in(yaml_text: str) -> list[str]:
    names = []
    for text in split_documents(yaml_text):
        try:
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if isinstance(document, dict) and document.get("name"):
            names.append(str(document["name"]))
    return names


def validate_rules_text(
    organization: Organization | None, yaml_text: str, *, replacing: Iterable[str] = ()
) -> list[dict[str, Any]]:
    """The documents of `yaml_text`, validated with the organization's stored rules they refer to (a custom
    correlation may count a pack rule). Raises RuleError naming every problem of the new documents."""
    if not yaml_text.strip():
        raise RuleError([RuleProblem("(rule)", "yaml", "Paste or upload at least one Sigma document.")])
    if len(yaml_text) > MAX_YAML_CHARS:
        raise RuleError([RuleProblem("(rule)", "yaml", f"A rule text has at most {MAX_YAML_CHARS} characters.")])
    context = referenced_rules(organization, yaml_text, replacing=replacing)
    combined = "\n---\n".join([*context.values(), yaml_text])
    try:
        parsed = parse_rules(combined)
    except RuleError as error:
        ours = [problem for problem in error.problems if problem.rule not in context]
        raise RuleError(ours or error.problems) from None
    return [document for document in parsed if document["name"] not in context]


def referenced_rules(
    organization: Organization | None, yaml_text: str, *, replacing: Iterable[str] = ()
) -> dict[str, str]:
    """The stored rules (name → YAML) the text's correlations and filters count, directly or through others."""
    new_names = _names_in(yaml_text)
    referenced = referenced_names(yaml_text) - set(new_names)
    if organization is None or not referenced:
        return {}
    return _closure(_context(organization, exclude=[*new_names, *replacing]), referenced)


def _closure(stored: dict[str, str], wanted: set[str]) -> dict[str, str]:
    """The stored rules `wanted` names and, recursively, the ones those refer to."""
    chosen: dict[str, str] = {}
    pending = set(wanted)
    while pending:
        name = pending.pop()
        if name in chosen or name not in stored:
            continue
        chosen[name] = stored[name]
        pending |= referenced_names(stored[name]) - chosen.keys()
    return chosen


def _clash(organization: Organization, documents: list[dict[str, Any]]) -> list[RuleProblem]:
    names = [document["name"] for document in documents]
    problems = [
        RuleProblem(name, "name", "Two documents of this text have this name.")
        for name in sorted({name for name in names if names.count(name) > 1})
    ]
    taken = set(DetectionRule.objects.filter(organization=organization, name__in=names).values_list("name", flat=True))
    problems += [
        RuleProblem(name, "name", "A rule of this organization already has this name: edit that rule instead.")
        for name in sorted(taken)
    ]
    return problems


def rules_upload(*, organization: Organization, actor: Actor, yaml_text: str) -> list[DetectionRule]:
    """Store every document of the text as a custom rule, disabled until tested; nothing when any fails."""
    documents = validate_rules_text(organization, yaml_text)
    with transaction.atomic():
        problems = _clash(organization, documents)
        if problems:
            raise RuleError(problems)
        now = timezone.now()
        created = []
        for document in documents:
            rule = DetectionRule.objects.create(
                organization=organization,
                name=document["name"],
                sigma_id=document.get("sigma_id", "") or "",
                title=document.get("title", "") or document["name"],
                description=document.get("description", "") or "",
                kind=document["kind"],
                level=document.get("level") or DetectionRule._meta.get_field("level").default,
                yaml=document["yaml"],
                mode=DetectionRule.Mode.DISABLED,
                origin=DetectionRule.Origin.CUSTOM,
                created_by=actor.user,
                created_at=now,
                updated_at=now,
            )
            audit_record(
                actor=actor,
                action="activity.rule_created",
                organization=organization,
                target=rule,
                changes={"name": rule.name, "kind": rule.kind, "level": rule.level},
            )
            created.append(rule)
    return created


def _require_sigma(rule: DetectionRule, what: str) -> None:
    if rule.kind not in SIGMA_KINDS:
        raise ServiceError(f"The silent-source rule has no Sigma text: {what} does not apply.", field="yaml")


def rule_yaml_edit(*, organization: Organization, actor: Actor, rule: DetectionRule, yaml_text: str) -> DetectionRule:
    """Replace a rule's Sigma document (one document, same name). A pack rule so changed is marked edited."""
    _require_sigma(rule, "editing")
    documents = validate_rules_text(organization, yaml_text, replacing=[rule.name])
    if len(documents) != 1:
        raise RuleError([RuleProblem(rule.name, "yaml", "A rule holds exactly one Sigma document.")])
    document = documents[0]
    if document["name"] != rule.name:
        raise RuleError(
            [RuleProblem(document["name"], "name", f"Keep the name {rule.name!r}: other rules refer to it.")]
        )
    fields = ("yaml", "title", "description", "kind", "level", "sigma_id", "edited")
    with transaction.atomic():
        before = snapshot(rule, fields)
        rule.yaml = document["yaml"]
        rule.title = document.get("title") or rule.title
        rule.description = document.get("description", "") or ""
        rule.kind = document["kind"]
        rule.level = document.get("level") or rule.level
        rule.sigma_id = document.get("sigma_id", "") or ""
        rule.edited = rule.edited or rule.origin == DetectionRule.Origin.PACK
        rule.updated_at = timezone.now()
        rule.save(update_fields=[*fields, "updated_at"])
        audit_record(
            actor=actor,
            action="activity.rule_edited",
            organization=organization,
            target=rule,
            changes=field_changes(before, snapshot(rule, fields)),
        )
    return rule


def rule_mode_set(*, organization: Organization, actor: Actor, rule: DetectionRule, mode: str) -> DetectionRule:
    if mode not in DetectionRule.Mode.values:
        raise ServiceError(f"Choose a mode: {', '.join(DetectionRule.Mode.values)}.", field="mode")
    if rule.kind == DetectionRule.Kind.SILENT_SOURCE and mode == DetectionRule.Mode.SHADOW:
        raise ServiceError("The silent-source rule is either enabled or disabled.", field="mode")
    if rule.mode == mode:
        return rule
    with transaction.atomic():
        before = rule.mode
        rule.mode = mode
        rule.updated_at = timezone.now()
        rule.save(update_fields=["mode", "updated_at"])
        audit_record(
            actor=actor,
            action="activity.rule_mode_set",
            organization=organization,
            target=rule,
            changes={"mode": [before, mode]},
        )
    return rule


def _correlation(rule: DetectionRule) -> dict[str, Any]:
    try:
        document = yaml.safe_load(rule.yaml)
    except yaml.YAMLError:
        return {}
    section = document.get("correlation") if isinstance(document, dict) else None
    return section if isinstance(section, dict) else {}


def _checked_overrides(rule: DetectionRule, threshold: int | None, timespan: str | None) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    correlation = _correlation(rule)
    if (threshold is not None or timespan) and not correlation:
        raise ServiceError("Only correlation rules have a threshold and a time span.", field="threshold")
    if threshold is not None:
        if correlation.get("type") in ("temporal", "temporal_ordered"):
            raise ServiceError("A sequence rule has no threshold to tune.", field="threshold")
        if not 1 <= threshold <= MAX_THRESHOLD:
            raise ServiceError(f"A threshold is a whole number from 1 to {MAX_THRESHOLD}.", field="threshold")
        overrides["threshold"] = threshold
    if timespan:
        try:
            seconds = timespan_seconds(timespan)
        except ValueError:
            raise ServiceError(
                "Write the time span as a number and a unit: 90s, 15m, 2h, 1d.", field="timespan"
            ) from None
        if seconds > MAX_WINDOW_SECONDS:
            raise ServiceError("A time span is at most 30 days.", field="timespan")
        overrides["timespan"] = timespan.strip()
    return overrides


def rule_overrides_set(
    *,
    organization: Organization,
    actor: Actor,
    rule: DetectionRule,
    threshold: int | None = None,
    timespan: str | None = None,
) -> DetectionRule:
    """Tune a correlation without editing it (a pack rule stays updatable). Blank values remove the override."""
    overrides = _checked_overrides(rule, threshold, timespan)
    if overrides == (rule.overrides or {}):
        return rule
    with transaction.atomic():
        before = dict(rule.overrides or {})
        rule.overrides = overrides
        rule.updated_at = timezone.now()
        rule.save(update_fields=["overrides", "updated_at"])
        audit_record(
            actor=actor,
            action="activity.rule_overrides_set",
            organization=organization,
            target=rule,
            changes={"overrides": [before, overrides]},
        )
    return rule


def rule_suppression_set(
    *, organization: Organization, actor: Actor, rule: DetectionRule, seconds: int | None
) -> DetectionRule:
    """One alert per group key per this many seconds; None goes back to the rule's default (its window)."""
    if seconds is not None and not MIN_SUPPRESSION <= seconds <= MAX_SUPPRESSION:
        raise ServiceError(
            f"Suppression is from {MIN_SUPPRESSION} seconds to 30 days ({MAX_SUPPRESSION} seconds), or blank.",
            field="suppression_seconds",
        )
    if seconds == rule.suppression_seconds:
        return rule
    with transaction.atomic():
        before = rule.suppression_seconds
        rule.suppression_seconds = seconds
        rule.updated_at = timezone.now()
        rule.save(update_fields=["suppression_seconds", "updated_at"])
        audit_record(
            actor=actor,
            action="activity.rule_suppression_set",
            organization=organization,
            target=rule,
            changes={"suppression_seconds": [before, seconds]},
        )
    return rule


def rule_delete(*, organization: Organization, actor: Actor, rule: DetectionRule) -> None:
    """Delete a custom rule that raised nothing and nothing refers to; pack rules and rules with alerts are
    disabled instead (their alerts are review evidence)."""
    if rule.origin == DetectionRule.Origin.PACK:
        raise ServiceError("Rules of the HIPAA pack cannot be deleted: disable it instead.", field="rule")
    if rule.alerts.exists() or rule.suppressions.exists():
        raise ServiceError("This rule raised alerts, which are review evidence: disable it instead.", field="rule")
    others = DetectionRule.objects.filter(organization=organization, kind__in=SIGMA_KINDS).exclude(pk=rule.pk)
    users = sorted(other.name for other in others if rule.name in referenced_names(other.yaml))
    if users:
        raise ServiceError(f"Other rules refer to this one: {', '.join(users)}.", field="rule")
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="activity.rule_deleted",
            organization=organization,
            target=rule,
            changes={"name": rule.name, "kind": rule.kind},
        )
        rule.delete()
