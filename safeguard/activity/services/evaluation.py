"""Evaluation runs: queue one over a window of event time, and run it (compile the organization's rules,
evaluate them on the store, hand the candidates to the alert service)."""

from __future__ import annotations

from datetime import datetime

from safeguard.activity.models import IngestBatch, RuleRun
from safeguard.core.models import Organization, User


def request_evaluation(
    organization: Organization,
    *,
    start: datetime,
    end: datetime,
    trigger: str,
    batch: IngestBatch | None = None,
    requested_by: User | None = None,
) -> RuleRun:
    """Record a queued RuleRun and enqueue its task when the caller's transaction commits."""
    raise NotImplementedError


def run_evaluation(run: RuleRun) -> RuleRun:
    """Run a queued evaluation now (the task calls this; commands and tests may too)."""
    raise NotImplementedError
