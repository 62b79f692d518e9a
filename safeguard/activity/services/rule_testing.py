"""Trying a rule on a sample file before enabling it: the file is parsed into a throw-away store, enriched with
the organization's reference data, and the rule (with the stored rules it counts) is evaluated over the file's
whole time span. Only the RuleTest record is kept: the would-be alerts (the first 100) and the counts."""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction

from safeguard.activity.engine import RuleDocument, collect_evidence, compile_rules, evaluate
from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.enrichment import reference_data
from safeguard.activity.models import DetectionRule, LogSource, RuleTest, SourceFormat
from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import FormatError, SourceConfig
from safeguard.activity.services.rules import referenced_names, referenced_rules, validate_rules_text
from safeguard.activity.store.duckdb import DuckDBEventStore
from safeguard.core.audit import Actor, audit_record, jsonable
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models.people import default_time_zone

RESULT_LIMIT = 100
EVIDENCE_SHOWN = 10
MAX_SAMPLE_BYTES = 50 * 2**20
SAMPLE_SOURCE_ID = 0  # the sample's events, when no source of the organization is named
_KIND_BY_FORMAT = {
    SourceFormat.FHIR_AUDIT: "ehr",
    SourceFormat.EHR_CSV: "ehr",
    SourceFormat.SYSLOG: "vpn_firewall",
    SourceFormat.OKTA: "identity",
    SourceFormat.ENTRA: "identity",
    SourceFormat.CLOUDTRAIL: "cloud",
    SourceFormat.NORMALIZED: "other",
}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(2**20), b""):
            digest.update(block)
    return digest.hexdigest()


def _config(organization: Organization, source_format: str, source: LogSource | None) -> SourceConfig:
    if source is not None:
        if source.format != source_format:
            raise ServiceError(f"The source {source.name} reads {source.get_format_display()}.", field="format")
        return SourceConfig(source.pk, source.kind, source.time_zone, dict(source.mapping or {}))
    if source_format == SourceFormat.EHR_CSV:
        raise ServiceError("Choose the CSV source whose column mapping reads this file.", field="source")
    return SourceConfig(SAMPLE_SOURCE_ID, _KIND_BY_FORMAT[SourceFormat(source_format)], default_time_zone())


def _result(candidate: AlertCandidate) -> dict[str, Any]:
    return jsonable(
        {
            "rule": candidate.rule_name,
            "group_key": candidate.group_key,
            "first_seen": candidate.first_seen,
            "last_seen": candidate.last_seen,
            "anchors": candidate.anchor_count,
            "metric_name": candidate.metric_name,
            "metric_value": candidate.metric_value,
            "evidence_count": candidate.evidence_count,
            "evidence_uids": candidate.evidence_uids[:EVIDENCE_SHOWN],
        }
    )


def _documents(
    context: dict[str, str], tested: dict[str, str], blocks: set[str], rule: DetectionRule | None
) -> list[RuleDocument]:
    documents = [RuleDocument(name=name, yaml=text, alerting=False) for name, text in context.items()]
    for name in tested:
        tuned = rule is not None and rule.name == name
        documents.append(
            RuleDocument(
                name=name,
                yaml=tested[name],
                alerting=name not in blocks,
                overrides=dict(rule.overrides or {}) if tuned and rule else {},
                suppression_seconds=rule.suppression_seconds if tuned and rule else None,
            )
        )
    return documents


def rule_test_run(
    *,
    organization: Organization,
    actor: Actor,
    yaml_text: str,
    source_format: str,
    path: Path,
    file_name: str,
    rule: DetectionRule | None = None,
    source: LogSource | None = None,
) -> RuleTest:
    """Evaluate `yaml_text` on the sample at `path`. Raises RuleError for an invalid rule, ServiceError for a file
    that is not of the format (nothing recorded then)."""
    if actor.user is None:
        raise ServiceError("A rule test is recorded under the person who ran it.", field="actor")
    if source_format not in SourceFormat.values:
        raise ServiceError(f"Choose the file's format: {', '.join(SourceFormat.values)}.", field="format")
    if path.stat().st_size > MAX_SAMPLE_BYTES:
        raise ServiceError(f"A sample file has at most {MAX_SAMPLE_BYTES // 2**20} MB.", field="file")
    replacing = [rule.name] if rule is not None else []
    tested = {
        document["name"]: document["yaml"]
        for document in validate_rules_text(organization, yaml_text, replacing=replacing)
    }
    context = referenced_rules(organization, yaml_text, replacing=replacing)
    # Building blocks (the ones the tested text's correlations count) never alert, as in scheduled runs.
    blocks: set[str] = set().union(*(referenced_names(text) for text in tested.values()))
    config = _config(organization, source_format, source)
    parser = parser_for(source_format)
    read = rejected = 0
    errors: list[dict[str, Any]] = []
    first: datetime | None = None
    last: datetime | None = None
    candidates: list[AlertCandidate] = []
    with tempfile.TemporaryDirectory(prefix="rule-test-") as folder:
        store = DuckDBEventStore(Path(folder) / "sample.duckdb")
        try:
            for number, chunk in enumerate(parser.parse(path, config), start=1):
                rejected += len(chunk.rejects)
                errors += [{"line": r.line, "field": r.field, "reason": r.reason} for r in chunk.rejects][:50]
                if not chunk.table.num_rows:
                    continue
                appended = store.append(
                    config.source_id,
                    number,
                    chunk.table,
                    time_zone=config.time_zone,
                    parser=parser.name,
                    parser_version=parser.version,
                )
                read += appended.inserted
                first = min(filter(None, (first, appended.first_event_at)), default=None)
                last = max(filter(None, (last, appended.last_event_at)), default=None)
        except FormatError as error:
            raise ServiceError(f"This file is not {SourceFormat(source_format).label}: {error}", field="file") from None
        if first is not None and last is not None:
            reference = reference_data(organization)
            if source is None:
                sample = {
                    "source_id": SAMPLE_SOURCE_ID,
                    "name": "sample",
                    "kind": config.kind,
                    "time_zone": config.time_zone,
                }
                reference = replace(reference, sources=[*reference.sources, sample])
            store.load_reference(reference)
            compiled = compile_rules(_documents(context, tested, blocks, rule))
            result = evaluate(
                store, compiled, organization_id=organization.pk, start=first, end=last + timedelta(microseconds=1)
            )
            candidates = [c for c in result.candidates if c.rule_name in tested and c.rule_name not in blocks]
            # Evaluation leaves evidence to be collected for the alerts that will be shown.
            collect_evidence(
                store,
                compiled,
                organization_id=organization.pk,
                start=first,
                end=last + timedelta(microseconds=1),
                candidates=candidates[:RESULT_LIMIT],
            )
    with transaction.atomic():
        test = RuleTest.objects.create(
            organization=organization,
            rule=rule,
            yaml=yaml_text,
            source_format=source_format,
            file_name=file_name[:255],
            sha256=_sha256(path),
            events_read=read,
            rejected=rejected,
            matches=len(candidates),
            results=[_result(candidate) for candidate in candidates[:RESULT_LIMIT]],
            errors=errors[:50],
            tested_by=actor.user,
        )
        audit_record(
            actor=actor,
            action="activity.rule_tested",
            organization=organization,
            target=test,
            changes={"rule": rule, "file": file_name, "sha256": test.sha256, "alerts": len(candidates)},
        )
    return test
