"""Turning the engine's candidates into alerts: new ones raised (unless suppressed), existing ones (same uid)
updated with the later anchors and evidence. Idempotent: re-running a window changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from safeguard.activity.engine.types import AlertCandidate
from safeguard.activity.models import DetectionRule, RuleRun
from safeguard.core.models import Organization


@dataclass(frozen=True)
class RecordResult:
    created: int
    updated: int
    suppressed: int


def record_candidates(
    organization: Organization,
    candidates: Sequence[AlertCandidate],
    *,
    rules: dict[str, DetectionRule],
    run: RuleRun | None = None,
) -> RecordResult:
    raise NotImplementedError
