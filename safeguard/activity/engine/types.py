"""What the rule engine gives the alert service: one candidate per (rule, group key, suppression bucket)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


# Slots: a month's backfill can hold over a million candidates, and a __dict__ each would double their memory.
# evaluate._candidates builds these with positional arguments, in this field order: keep the two together.
@dataclass(slots=True)
class AlertCandidate:
    rule_name: str  # DetectionRule.name
    uid: str  # deterministic: sha256 of (organization id, rule name, group key, bucket start), hex
    group_key: dict[str, str]  # field → decoded value (user_name, not user_id)
    bucket_start: datetime
    first_seen: datetime  # first anchor in the bucket
    last_seen: datetime  # last anchor in the bucket
    anchor_count: int
    window_seconds: int  # 0 for single-event rules
    metric_name: str  # "count", "distinct user_name", "sum record_count", "" for single events
    metric_value: float | None  # the largest value reached
    # "<source_id>:<event_uid>" of the contributing events, oldest first, capped at 1000; filled by
    # engine.collect_evidence (evaluate leaves it empty)
    evidence_uids: list[str] = field(default_factory=list)
    evidence_count: int = 0
    source_ids: list[int] = field(default_factory=list)  # the anchors' sources; the evidence's once collected
    person_id: int | None = None  # the roster person behind the group's user, if any
    group_values: list[Any] = field(default_factory=list)  # the group key as stored (surrogate ids), for evidence
