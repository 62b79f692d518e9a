"""Evaluation runs with the engine, enrichment, store and alert recording replaced by fakes: claiming, counts,
rule statistics, failures, building-block rules, the audit of manual runs, and the rules_run command."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from safeguard.activity import engine, enrichment, store
from safeguard.activity.engine import EvaluationResult, RuleError, RuleProblem, RuleStats
from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.models import ActivitySettings, DetectionRule, RuleRun
from safeguard.activity.services import alert_recording
from safeguard.activity.services.alert_recording import RecordResult
from safeguard.activity.services.evaluation import evaluation_create, request_evaluation, rules_for_run, run_evaluation
from safeguard.activity.store.base import ReferenceData
from safeguard.core.models import AuditEvent
from tests.activity_factories import BRUTE_FORCE_YAML, make_rule, make_source

START = datetime(2026, 1, 5, tzinfo=UTC)
END = datetime(2026, 1, 6, tzinfo=UTC)


def candidate(rule: str) -> AlertCandidate:
    return AlertCandidate(rule, f"uid-{rule}", {"user_name": "jdoe"}, START, START, START, 5, 600, "count", 5.0)


@dataclass
class Fakes:
    compiled_with: list[Any] = field(default_factory=list)
    recorded: list[tuple[list[str], list[str]]] = field(default_factory=list)
    stats: list[RuleStats] = field(default_factory=list)
    candidates: list[AlertCandidate] = field(default_factory=list)
    reference_loaded: list[int] = field(default_factory=list)
    compile_error: Exception | None = None
    evidence_for: list[str] = field(default_factory=list)


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    found = Fakes()

    class FakeStore:
        def load_reference(self, reference: ReferenceData) -> None:
            found.reference_loaded.append(reference.version)

    def compile_rules(documents: list[engine.RuleDocument]) -> str:
        if found.compile_error is not None:
            raise found.compile_error
        found.compiled_with.extend(documents)
        return "compiled"

    def evaluate(store_: Any, compiled: Any, *, organization_id: int, start: datetime, end: datetime) -> Any:
        assert (compiled, start, end) == ("compiled", START, END)
        return EvaluationResult(found.candidates, found.stats)

    def collect_evidence(store_: Any, compiled: Any, *, candidates: list[AlertCandidate], **bounds: Any) -> None:
        assert compiled == "compiled"
        found.evidence_for.extend(c.uid for c in candidates)

    def record(org: Any, candidates: list[AlertCandidate], *, rules: dict[str, Any], run: Any = None) -> RecordResult:
        found.recorded.append(([c.rule_name for c in candidates], sorted(rules)))
        return RecordResult(created=len(candidates), updated=2, suppressed=1)

    monkeypatch.setattr(engine, "compile_rules", compile_rules)
    monkeypatch.setattr(engine, "evaluate", evaluate)
    monkeypatch.setattr(engine, "collect_evidence", collect_evidence)
    monkeypatch.setattr(store, "store_for", lambda organization_id: FakeStore())
    monkeypatch.setattr(enrichment, "reference_data", lambda organization: ReferenceData(version=7))
    monkeypatch.setattr(alert_recording, "record_candidates", record)
    return found


def brute_force_rules(org: Any) -> tuple[DetectionRule, DetectionRule]:
    detection = make_rule(org, "test_auth_failure", mode=DetectionRule.Mode.DISABLED, yaml=BRUTE_FORCE_YAML)
    correlation = make_rule(
        org, "test_brute_force", kind=DetectionRule.Kind.CORRELATION, yaml=BRUTE_FORCE_YAML.split("---\n")[1]
    )
    return detection, correlation


def test_run_records_counts_and_rule_statistics(cast: Any, fakes: Fakes) -> None:
    make_source(cast.org)
    _, correlation = brute_force_rules(cast.org)
    shadow = make_rule(cast.org, "vip_shadow", mode=DetectionRule.Mode.SHADOW, shadow_count=4)
    make_rule(cast.org, "unrelated_disabled", mode=DetectionRule.Mode.DISABLED)
    fakes.stats = [
        RuleStats("test_brute_force", anchors=6, candidates=1, milliseconds=12, shadow=False),
        RuleStats("vip_shadow", anchors=3, candidates=0, milliseconds=4, shadow=True),
        RuleStats("test_auth_failure", anchors=30, candidates=0, milliseconds=2, shadow=True),
    ]
    fakes.candidates = [candidate("test_brute_force"), candidate("vip_shadow")]
    run = evaluation_create(cast.org, start=START, end=END, trigger=RuleRun.Trigger.MICRO)

    run = run_evaluation(run)

    assert run.state == RuleRun.State.DONE and run.failure == ""
    assert sorted(d.name for d in fakes.compiled_with) == ["test_auth_failure", "test_brute_force", "vip_shadow"]
    alerting = {d.name: d.alerting for d in fakes.compiled_with}
    assert alerting == {"test_auth_failure": False, "test_brute_force": True, "vip_shadow": False}
    assert fakes.reference_loaded == [7]
    # Only enabled rules' candidates reach the alert service.
    assert fakes.recorded == [(["test_brute_force"], ["test_brute_force"])]
    assert (run.rules_run, run.anchors, run.shadow_anchors) == (2, 6, 3)
    assert (run.alerts_created, run.alerts_updated, run.suppressed) == (1, 2, 1)
    assert [row["rule"] for row in run.stats] == ["test_brute_force", "vip_shadow"]
    correlation.refresh_from_db()
    shadow.refresh_from_db()
    assert (correlation.last_anchor_count, correlation.last_duration_ms) == (6, 12)
    assert correlation.last_run_at == run.finished_at
    assert (shadow.shadow_count, shadow.last_anchor_count) == (7, 3)
    assert ActivitySettings.objects.get(organization=cast.org).evaluated_until == END
    assert not AuditEvent.objects.filter(action="activity.rules_evaluated").exists()


def test_a_claimed_run_is_not_evaluated_again(cast: Any, fakes: Fakes) -> None:
    make_rule(cast.org, "vip")
    run = evaluation_create(cast.org, start=START, end=END, trigger=RuleRun.Trigger.NIGHTLY)
    stale = RuleRun.objects.get(pk=run.pk)
    run_evaluation(run)
    again = run_evaluation(stale)
    assert again.state == RuleRun.State.DONE
    assert len(fakes.recorded) == 1


def test_rule_errors_fail_the_run_naming_each_rule(cast: Any, fakes: Fakes) -> None:
    make_rule(cast.org, "vip")
    fakes.compile_error = RuleError(
        [
            RuleProblem("vip", "detection.selection.patient_vipp", "unknown field"),
            RuleProblem("b", "yaml line 4", "bad"),
        ]
    )
    run = run_evaluation(evaluation_create(cast.org, start=START, end=END, trigger=RuleRun.Trigger.MICRO))
    assert run.state == RuleRun.State.FAILED
    assert run.failure == "vip:detection.selection.patient_vipp: unknown field\nb:yaml line 4: bad"
    assert fakes.recorded == []
    assert ActivitySettings.objects.filter(organization=cast.org, evaluated_until__isnull=False).count() == 0


def test_any_other_fault_fails_the_run_with_its_message(cast: Any, fakes: Fakes) -> None:
    make_rule(cast.org, "vip")
    fakes.compile_error = OSError("disk full")
    run = run_evaluation(evaluation_create(cast.org, start=START, end=END, trigger=RuleRun.Trigger.MICRO))
    assert (run.state, run.failure) == (RuleRun.State.FAILED, "OSError: disk full")
    assert run.finished_at is not None


def test_disabled_rules_join_only_when_referenced(cast: Any) -> None:
    brute_force_rules(cast.org)
    make_rule(cast.org, "lonely", mode=DetectionRule.Mode.DISABLED)
    assert [rule.name for rule in rules_for_run(cast.org)] == ["test_auth_failure", "test_brute_force"]


def test_manual_run_requested_is_enqueued_on_commit_and_audited(
    cast: Any, fakes: Fakes, django_capture_on_commit_callbacks: Any
) -> None:
    make_rule(cast.org, "vip")
    fakes.stats = [RuleStats("vip", anchors=2, candidates=1, milliseconds=1, shadow=False)]
    fakes.candidates = [candidate("vip")]
    with django_capture_on_commit_callbacks(execute=True):
        run = request_evaluation(
            cast.org, start=START, end=END, trigger=RuleRun.Trigger.MANUAL, requested_by=cast.official
        )
    run.refresh_from_db()
    assert run.state == RuleRun.State.DONE and run.alerts_created == 1
    event = AuditEvent.objects.get(action="activity.rules_evaluated")
    assert event.object_id == str(run.public_id)
    assert event.changes["alerts_created"] == [None, 1]


def test_request_refuses_an_empty_window(cast: Any) -> None:
    from safeguard.core.services.errors import ServiceError

    with pytest.raises(ServiceError) as refused:
        request_evaluation(cast.org, start=END, end=START, trigger=RuleRun.Trigger.MANUAL)
    assert refused.value.field == "end"
    assert not RuleRun.objects.exists()


# ---- the rules_run command -------------------------------------------------------------------------------------


def test_rules_run_prints_each_rule_and_the_alerts(cast: Any, fakes: Fakes) -> None:
    make_rule(cast.org, "vip")
    fakes.stats = [RuleStats("vip", anchors=2, candidates=1, milliseconds=9, shadow=False)]
    fakes.candidates = [candidate("vip")]
    out = StringIO()
    call_command(
        "rules_run", "--org", "clinic", "--since", "2026-01-05T00:00Z", "--until", "2026-01-06T00:00Z", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == "vip: 2 anchors, 1 candidates, 9 ms"
    assert lines[1].endswith("alerts created 1, updated 2, suppressed 1.")
    assert AuditEvent.objects.filter(action="activity.rules_evaluated", actor_label="system:rules_run").exists()


def test_rules_run_exits_1_with_each_rule_error(cast: Any, fakes: Fakes) -> None:
    make_rule(cast.org, "vip")
    fakes.compile_error = RuleError([RuleProblem("vip", "detection.selection.x", "unknown field x")])
    err = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("rules_run", "--org", "clinic", "--since", "2026-01-05T00:00Z", stderr=err)
    assert failed.value.returncode == 1
    assert err.getvalue().splitlines() == ["vip:detection.selection.x: unknown field x"]


@pytest.mark.parametrize("since", ["2026-01-05T00:00", "yesterday"])
def test_rules_run_exits_2_for_a_time_without_zone(cast: Any, since: str) -> None:
    with pytest.raises(CommandError) as usage:
        call_command("rules_run", "--org", "clinic", "--since", since)
    assert usage.value.returncode == 2
    assert "expected ISO 8601 with a zone" in str(usage.value)
    assert not RuleRun.objects.exists()


def test_rules_run_exits_2_for_an_unknown_organization(db: Any) -> None:
    with pytest.raises(CommandError) as usage:
        call_command("rules_run", "--org", "nowhere", "--since", "2026-01-05T00:00Z")
    assert usage.value.returncode == 2
