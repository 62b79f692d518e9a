"""Trying a rule on a sample file before enabling it. A sample may be as large as an upload for ingestion, so the
work is split as ingestion's is: `rule_test_start` answers at once (a wrong form or an invalid rule is refused
then, nothing kept), keeps the file and records a queued RuleTest; the task (tasks_rule_tests.py) then calls
`rule_test_run`, which parses the file into a throw-away store (saving the lines read as it goes), enriches it with
the organization's reference data and evaluates the rule (with the stored rules it counts) over the file's whole
time span. Only the RuleTest is kept: the would-be alerts (the first 100) and the counts, or why it failed. A
test no worker finishes is failed by a daily chore (`rule_test_abandon`, called by chores_rule_tests.py)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from safeguard.activity.engine import RuleDocument, RuleError, collect_evidence, compile_rules, evaluate
from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.enrichment import reference_data
from safeguard.activity.models import DetectionRule, LogSource, RuleTest, SourceFormat
from safeguard.activity.parsers import parser_for
from safeguard.activity.parsers.base import Chunk, FormatError, SourceConfig
from safeguard.activity.services.rules import referenced_names, referenced_rules, validate_rules_text
from safeguard.activity.store.base import ReferenceData
from safeguard.activity.store.duckdb import DuckDBEventStore
from safeguard.activity.store.duckdb_append_chunks import coalesced
from safeguard.activity.uploads import kept_upload
from safeguard.core.audit import Actor, audit_record, jsonable
from safeguard.core.models import Organization, User
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models.people import default_time_zone

State = RuleTest.State
RESULT_LIMIT = 100
EVIDENCE_SHOWN = 10
ERRORS_KEPT = 50
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


# ---- asking for a test (synchronous) --------------------------------------------------------------------------------


def rule_test_start(
    *,
    organization: Organization,
    actor: Actor,
    yaml_text: str,
    source_format: str,
    upload: UploadedFile,
    rule: DetectionRule | None = None,
    source: LogSource | None = None,
) -> RuleTest:
    """Check the request and the rule text, keep the file and queue the test. Raises RuleError for an invalid rule,
    ServiceError for a wrong request (nothing recorded or kept then)."""
    from safeguard.activity.tasks_rule_tests import run_rule_test  # the task module imports this one

    tester = _tester(actor)
    _check_request(organization, source_format, upload, source)
    _tested_rules(organization, yaml_text, rule)
    # Kept where uploads for ingestion are kept, until the task has read it.
    with kept_upload(organization, upload, default_name="sample") as kept, transaction.atomic():
        test = RuleTest.objects.create(
            organization=organization,
            rule=rule,
            yaml=yaml_text,
            source_format=source_format,
            source=source,
            file_name=kept.file_name,
            stored_name=kept.stored_name,
            sha256=kept.sha256,
            size_bytes=kept.size_bytes,
            tested_by=tester,
        )
        audit_record(
            actor=actor,
            action="activity.rule_test_requested",
            organization=organization,
            target=test,
            changes={"rule": [None, rule], "file": [None, kept.file_name], "sha256": [None, test.sha256]},
        )
        test_id = test.pk
        transaction.on_commit(lambda: run_rule_test.enqueue(test_id=test_id))
    return test


def _tester(actor: Actor) -> User:
    if actor.user is None:
        raise ServiceError("A rule test is recorded under the person who ran it.", field="actor")
    return actor.user


def _check_request(
    organization: Organization, source_format: str, upload: UploadedFile, source: LogSource | None
) -> None:
    limit = settings.ACTIVITY_UPLOAD_MAX_BYTES
    if source_format not in SourceFormat.values:
        raise ServiceError(f"Choose the file's format: {', '.join(SourceFormat.values)}.", field="format")
    if (upload.size or 0) > limit:
        raise ServiceError(f"A sample file has at most {limit // 2**20} MB.", field="file")
    if not upload.size:
        raise ServiceError("The file is empty.", field="file")
    if source is not None and source.organization_id != organization.pk:
        raise ServiceError("No such source in this organization.", field="source")
    _config(organization, source_format, source)


def _config(organization: Organization, source_format: str, source: LogSource | None) -> SourceConfig:
    if source is not None:
        if source.format != source_format:
            raise ServiceError(f"The source {source.name} reads {source.get_format_display()}.", field="format")
        return SourceConfig(source.pk, source.kind, source.time_zone, dict(source.mapping or {}))
    if source_format == SourceFormat.EHR_CSV:
        raise ServiceError("Choose the CSV source whose column mapping reads this file.", field="source")
    return SourceConfig(SAMPLE_SOURCE_ID, _KIND_BY_FORMAT[SourceFormat(source_format)], default_time_zone())


def _tested_rules(organization: Organization, yaml_text: str, rule: DetectionRule | None) -> dict[str, str]:
    """The text's rules by name; RuleError when it does not validate (the rule it drafts may keep its name)."""
    replacing = [rule.name] if rule is not None else []
    return {
        document["name"]: document["yaml"]
        for document in validate_rules_text(organization, yaml_text, replacing=replacing)
    }


# ---- running it (the task) ----------------------------------------------------------------------------------------


@dataclass
class _Reading:
    """What the parse has counted so far; each count is saved as it grows (`lines` is the progress shown)."""

    lines: int = 0
    events: int = 0
    rejected: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    first: datetime | None = None
    last: datetime | None = None


def rule_test_run(test: RuleTest, path: Path, *, actor: Actor) -> RuleTest:
    """Run a test the task has claimed (running) on its file at `path`. What can go wrong with the request by now
    (the rule no longer validates, a source changed, the file is not of its format) fails the test with the
    reason; an unexpected error fails it too, naming the line reached, and is raised for the worker's log."""
    reading = _Reading()
    try:
        candidates = _evaluated(test, path, reading)
    except RuleError as error:
        rule_test_fail(test, actor=actor, failure=f"The rule no longer validates: {error}")
    except ServiceError as error:
        rule_test_fail(test, actor=actor, failure=error.message)
    except Exception as error:
        rule_test_fail(test, actor=actor, failure=f"Stopped after line {reading.lines}: {error}")
        raise
    else:
        _finish(test, actor, candidates)
    return test


def rule_test_fail(test: RuleTest, *, actor: Actor, failure: str) -> RuleTest:
    """Record why a running test could not finish (the counts reached stay); the task also calls it when its file is
    gone."""
    with transaction.atomic():
        previous = test.state
        if not _settle(test, state=State.FAILED, failure=failure, finished_at=timezone.now()):
            return test
        audit_record(
            actor=actor,
            action="activity.rule_test_failed",
            organization=test.organization,
            target=test,
            changes={"state": [previous, State.FAILED], "failure": [None, failure], "lines_read": test.lines_read},
        )
    return test


def rule_test_abandon(test: RuleTest, *, actor: Actor, failure: str) -> bool:
    """Fail a queued or running test no worker finished (chores_rule_tests.py) and delete its kept file. False, and
    nothing changed, when the test moved on since it was read: a worker claimed or finished it meanwhile."""
    previous, stored = test.state, test.stored_name
    if previous not in (State.QUEUED, State.RUNNING):
        return False
    values = {"state": State.FAILED, "failure": failure, "finished_at": timezone.now(), "stored_name": ""}
    with transaction.atomic():
        if not RuleTest.objects.filter(pk=test.pk, state=previous).update(**values):
            return False
        for name, value in values.items():
            setattr(test, name, value)
        audit_record(
            actor=actor,
            action="activity.rule_test_abandoned",
            organization=test.organization,
            target=test,
            changes={"state": [previous, State.FAILED], "failure": [None, failure], "lines_read": test.lines_read},
        )
        if stored:
            # Once committed: a rolled-back abandon leaves the test pointing at its file, which must still be there.
            transaction.on_commit(lambda: default_storage.delete(stored))
    return True


def _finish(test: RuleTest, actor: Actor, candidates: list[AlertCandidate]) -> None:
    with transaction.atomic():
        finished = _settle(
            test,
            state=State.DONE,
            finished_at=timezone.now(),
            matches=len(candidates),
            results=[_result(candidate) for candidate in candidates[:RESULT_LIMIT]],
        )
        if not finished:
            return
        audit_record(
            actor=actor,
            action="activity.rule_tested",
            organization=test.organization,
            target=test,
            changes={"rule": test.rule, "file": test.file_name, "sha256": test.sha256, "alerts": len(candidates)},
        )


def _save(test: RuleTest, **values: Any) -> None:
    for name, value in values.items():
        setattr(test, name, value)
    RuleTest.objects.filter(pk=test.pk).update(**values)


def _settle(test: RuleTest, **values: Any) -> bool:
    """Running → done or failed, only while the test is still running: a worker that outlived the limit must not
    overwrite the failure the stale-test chore recorded. False (the test reloaded as it stands) when it was not."""
    if not RuleTest.objects.filter(pk=test.pk, state=State.RUNNING).update(**values):
        test.refresh_from_db()
        return False
    for name, value in values.items():
        setattr(test, name, value)
    return True


def _evaluated(test: RuleTest, path: Path, reading: _Reading) -> list[AlertCandidate]:
    """The candidates the tested rules raise on the file (building blocks never alert, as in scheduled runs)."""
    organization, rule = test.organization, test.rule
    tested = _tested_rules(organization, test.yaml, rule)
    context = referenced_rules(organization, test.yaml, replacing=[rule.name] if rule is not None else [])
    blocks: set[str] = set().union(*(referenced_names(text) for text in tested.values()))
    config = _config(organization, test.source_format, test.source)
    with tempfile.TemporaryDirectory(prefix="rule-test-") as folder:
        store = DuckDBEventStore(Path(folder) / "sample.duckdb")
        _read(test, path, config, store, reading)
        if reading.first is None or reading.last is None:
            return []
        store.load_reference(_reference(organization, config, named_source=test.source is not None))
        compiled = compile_rules(_documents(context, tested, blocks, rule))
        end = reading.last + timedelta(microseconds=1)
        result = evaluate(store, compiled, organization_id=organization.pk, start=reading.first, end=end)
        candidates = [c for c in result.candidates if c.rule_name in tested and c.rule_name not in blocks]
        # Evaluation leaves evidence to be collected for the alerts that will be shown.
        shown = candidates[:RESULT_LIMIT]
        collect_evidence(
            store, compiled, organization_id=organization.pk, start=reading.first, end=end, candidates=shown
        )
    return candidates


def _reference(organization: Organization, config: SourceConfig, *, named_source: bool) -> ReferenceData:
    """The organization's enrichment; without a source of its own, the sample's events join a stand-in one."""
    reference = reference_data(organization)
    if named_source:
        return reference
    sample = {"source_id": SAMPLE_SOURCE_ID, "name": "sample", "kind": config.kind, "time_zone": config.time_zone}
    return replace(reference, sources=[*reference.sources, sample])


def _read(test: RuleTest, path: Path, config: SourceConfig, store: DuckDBEventStore, reading: _Reading) -> None:
    """Parse into the store; appends join the parser's chunks (store/duckdb_append_chunks.py), as ingestion does."""
    parser = parser_for(test.source_format)
    try:
        for number, chunk in enumerate(coalesced(_counted(test, parser.parse(path, config), reading)), start=1):
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
            reading.events += appended.inserted
            reading.first = min(filter(None, (reading.first, appended.first_event_at)), default=None)
            reading.last = max(filter(None, (reading.last, appended.last_event_at)), default=None)
            _save(test, events_read=reading.events)
    except FormatError as error:
        raise ServiceError(f"This file is not {SourceFormat(test.source_format).label}: {error}") from None


def _counted(test: RuleTest, chunks: Iterable[Chunk], reading: _Reading) -> Iterator[Chunk]:
    """Count each chunk as the parser yields it and save the lines read: progress needn't wait for the append."""
    for chunk in chunks:
        reading.lines += chunk.lines
        reading.rejected += len(chunk.rejects)
        room = max(ERRORS_KEPT - len(reading.errors), 0)
        reading.errors += [{"line": r.line, "field": r.field, "reason": r.reason} for r in chunk.rejects[:room]]
        _save(test, lines_read=reading.lines, rejected=reading.rejected, errors=list(reading.errors))
        yield chunk


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
