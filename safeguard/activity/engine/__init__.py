"""The rule engine: Sigma YAML → validated rules (pySigma) → DuckDB SQL (our detection backend and correlation
compiler) → alert candidates. docs/activity-rules.md states the semantics (sliding, backward, inclusive windows;
one alert per rule, group key and suppression period)."""

from __future__ import annotations

from safeguard.activity.engine.compiler import compile_rules, parse_rules
from safeguard.activity.engine.definitions import (
    CompiledRule,
    CompiledRuleSet,
    EvaluationResult,
    RuleDocument,
    RuleError,
    RuleProblem,
    RuleStats,
)
from safeguard.activity.engine.evaluate import evaluate
from safeguard.activity.engine.evidence import collect_evidence

__all__ = [
    "CompiledRule",
    "CompiledRuleSet",
    "EvaluationResult",
    "RuleDocument",
    "RuleError",
    "RuleProblem",
    "RuleStats",
    "collect_evidence",
    "compile_rules",
    "evaluate",
    "parse_rules",
]
