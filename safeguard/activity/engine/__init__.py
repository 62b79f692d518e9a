"""The rule engine: Sigma YAML → validated rules (pySigma) → DuckDB SQL (our detection backend and correlation
compiler) → alert candidates. docs/activity-rules.md states the semantics (sliding, backward, inclusive windows;
one alert per rule, group key and suppression period)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.store.base import EventStore


@dataclass(frozen=True)
class RuleProblem:
    """Why a rule cannot be used: `rule` is its name (or title/position when it has none), `field` the part at
    fault (e.g. "detection.selection.user_nmae", "correlation.rules[1]", "yaml line 4")."""

    rule: str
    field: str
    message: str


class RuleError(Exception):
    def __init__(self, problems: Sequence[RuleProblem]) -> None:
        super().__init__("; ".join(f"{p.rule}: {p.field}: {p.message}" for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class RuleDocument:
    """One stored rule as the engine needs it (DetectionRule rows map onto this)."""

    name: str
    yaml: str
    alerting: bool = True  # False for shadow mode: anchors counted, no candidates
    overrides: dict[str, Any] = field(default_factory=dict)  # {"threshold": 8, "timespan": "15m"}
    suppression_seconds: int | None = None


@dataclass
class CompiledRule:
    name: str
    title: str
    level: str
    kind: str  # "detection" or "correlation" (filters are folded into the rules they apply to)
    window_seconds: int  # 0 for single-event rules
    suppression_seconds: int  # the dedup bucket
    group_by: list[str]
    sql: str  # returns anchors: see evaluate()
    alerting: bool


@dataclass
class CompiledRuleSet:
    rules: list[CompiledRule]
    lookback_seconds: int  # the largest window: how far before a batch's start events must be read


@dataclass
class RuleStats:
    rule: str
    anchors: int
    candidates: int
    milliseconds: int
    shadow: bool


@dataclass
class EvaluationResult:
    candidates: list[AlertCandidate]
    stats: list[RuleStats]


def parse_rules(yaml_text: str) -> list[dict[str, Any]]:
    """Split and validate one YAML text of one or more Sigma documents (detections, correlations, filters).
    Returns one dict per document: {"name", "title", "kind", "level", "yaml", "description", "sigma_id"}.
    Raises RuleError naming every problem (unknown field, bad modifier, missing referenced rule, bad YAML)."""
    raise NotImplementedError


def compile_rules(documents: Sequence[RuleDocument]) -> CompiledRuleSet:
    """Validate and compile the organization's rules together (correlations and filters refer to others by name).
    Raises RuleError."""
    raise NotImplementedError


def evaluate(
    store: EventStore, compiled: CompiledRuleSet, *, organization_id: int, start: datetime, end: datetime
) -> EvaluationResult:
    """Anchors with start <= time < end (reading events from start - lookback), grouped into one candidate per
    (rule, group key, suppression bucket). Deterministic: the same events give the same candidates and uids."""
    raise NotImplementedError
