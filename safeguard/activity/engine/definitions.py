"""The engine's public values: rule problems, the stored rule as the engine sees it, the compiled rule set and what
an evaluation returns. Kept apart from the compiler so every engine module can import them without cycles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from safeguard.activity.engine.types import AlertCandidate


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
    # False: only a building block other rules refer to (a disabled rule): compiled, never run on its own.
    enabled: bool = True


@dataclass
class CompiledRule:
    name: str
    title: str
    level: str
    kind: str  # "detection" or "correlation" (filters are folded into the rules they apply to)
    window_seconds: int  # 0 for single-event rules
    suppression_seconds: int  # the dedup bucket
    group_by: list[str]
    sql: str  # one row per candidate; parameters $read_start, $start, $since, $end (ISO text)
    alerting: bool
    shadow_sql: str = ""  # the same buckets counted, for shadow rules
    evidence_sql: str = ""  # evidence of wanted candidates (buckets.evidence_sql)
    metric_name: str = ""
    lookback_seconds: int = 0  # how far before a batch's start this rule reads (its chain of windows)


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
