"""A pure-Python reference evaluator for the engine's semantics (docs/activity-rules.md), written independently of
the SQL: events are dicts, rules are Python predicates and correlation specs, windows are walked per group with two
pointers (counts, distinct values, sums) or bisection (temporal), and ordered sequences use a prefix maximum of
chain start times instead of the SQL's bounded window."""

from __future__ import annotations

import bisect
import hashlib
import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from safeguard.activity.store.base import ReferenceData

Event = dict[str, Any]
OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "eq": lambda a, b: a == b,
    "neq": lambda a, b: a != b,
}


@dataclass
class OracleRule:
    name: str
    kind: str  # detection, event_count, value_count, value_sum, temporal, temporal_ordered
    match: Callable[[Event], bool] | None = None
    rules: list[str] = field(default_factory=list)
    group_by: list[str] = field(default_factory=lambda: ["user_name"])
    timespan: int = 0
    conditions: list[tuple[str, float]] = field(default_factory=list)
    field: str | None = None
    suppression: int = 0


def alert_uid(organization_id: int, rule: str, group_key: dict[str, str], bucket_start: datetime) -> str:
    text = f"{organization_id}\x1f{rule}\x1f{json.dumps(group_key, sort_keys=True)}\x1f{bucket_start.isoformat()}"
    return hashlib.sha256(text.encode()).hexdigest()


def enrich(rows: list[Event], reference: ReferenceData) -> list[Event]:
    """The enriched fields the differential rules use, from the reference data (global identities only)."""
    person = {row["identity"].lower(): row["person_id"] for row in reference.identities if row["source_id"] is None}
    people = {row["person_id"]: row for row in reference.people}
    accounts = {row["identity"].lower(): row["account_type"] for row in reference.accounts}
    patients = {row["patient"]: row for row in reference.patients}
    shifts = {row["person_id"]: row for row in reference.shifts}
    for row in rows:
        user = (row["user_name"] or "").lower() or None
        row["user_name"] = user
        row["src_host"] = row["src_host"].lower() if row.get("src_host") else None
        pid = person.get(user or "")
        record = people.get(pid) if pid is not None else None
        if record is None:
            status = "not_on_roster"
        elif record["termination_at"] is not None and row["time"] >= record["termination_at"]:
            status = "terminated"
        else:
            status = "active"
        row["user_person_id"] = pid
        row["user_status_at_event"] = status
        row["user_last_name"] = record["last_name"].lower() if record else None
        row["user_account_type"] = accounts.get(user or "", "human")
        flags = patients.get(row.get("patient_id") or "")
        row["patient_vip"] = bool(flags and flags["vip"])
        row["patient_last_name"] = flags["last_name"].lower() if flags else None
        row["user_own_patient"] = bool(flags and pid is not None and flags["employee_person_id"] == pid)
        shift = shifts.get(pid) or shifts[None]
        hour = row["time"].hour
        start, end = shift["start_hour"], shift["end_hour"]
        row["user_in_shift"] = start <= hour < end if start < end else (hour >= start or hour < end)
    return rows


def _key(event: Event, group_by: list[str]) -> tuple[Any, ...]:
    return tuple(event.get(name) for name in group_by)


def _groups(events: list[Event], group_by: list[str]) -> dict[tuple[Any, ...], list[Event]]:
    groups: dict[tuple[Any, ...], list[Event]] = defaultdict(list)
    for event in events:
        key = _key(event, group_by)
        if None not in key:
            groups[key].append(event)
    for members in groups.values():
        members.sort(key=lambda event: event["time"])
    return groups


class Oracle:
    def __init__(self, events: list[Event], rules: list[OracleRule]) -> None:
        self.events = events
        self.rules = {rule.name: rule for rule in rules}
        self.cache: dict[str, list[tuple[Event, float | None]]] = {}

    def anchors(self, name: str) -> list[tuple[Event, float | None]]:
        """(event, metric) for each anchor of the rule, over all the events given."""
        if name not in self.cache:
            rule = self.rules[name]
            if rule.kind == "detection":
                assert rule.match is not None
                self.cache[name] = [(event, None) for event in self.events if rule.match(event)]
            else:
                self.cache[name] = self._correlate(rule)
        return self.cache[name]

    def _inputs(self, rule: OracleRule) -> list[list[Event]]:
        return [[event for event, _ in self.anchors(name)] for name in rule.rules]

    def _correlate(self, rule: OracleRule) -> list[tuple[Event, float | None]]:
        span = timedelta(seconds=rule.timespan)
        if rule.kind in ("temporal", "temporal_ordered"):
            return self._temporal(rule, span)
        unique = {id(event): event for events in self._inputs(rule) for event in events}
        found: list[tuple[Event, float | None]] = []
        for members in _groups(list(unique.values()), rule.group_by).values():
            values: Counter[Any] = Counter()
            total, low, high = 0.0, 0, 0
            for event in members:
                while high < len(members) and members[high]["time"] <= event["time"]:
                    value = members[high].get(rule.field) if rule.field else None
                    values[value] += 1
                    total += value if rule.kind == "value_sum" and value else 0
                    high += 1
                while members[low]["time"] < event["time"] - span:
                    value = members[low].get(rule.field) if rule.field else None
                    values[value] -= 1
                    if not values[value]:
                        del values[value]
                    total -= value if rule.kind == "value_sum" and value else 0
                    low += 1
                metric = {
                    "event_count": float(high - low),
                    "value_count": float(len([value for value in values if value is not None])),
                    "value_sum": total,
                }[rule.kind]
                if all(OPERATORS[op](metric, bound) for op, bound in rule.conditions):
                    found.append((event, metric))
        return found

    def _temporal(self, rule: OracleRule, span: timedelta) -> list[tuple[Event, float | None]]:
        per_rule = [_groups(events, rule.group_by) for events in self._inputs(rule)]
        keys = set().union(*per_rule)
        found: dict[int, tuple[Event, float | None]] = {}
        for key in keys:
            lists = [groups.get(key, []) for groups in per_rule]
            times = [[event["time"] for event in events] for events in lists]
            if rule.kind == "temporal":
                for events in lists:
                    for event in events:
                        t = event["time"]
                        present = sum(1 for ts in times if (i := bisect.bisect_right(ts, t)) and ts[i - 1] >= t - span)
                        if present == len(lists):
                            found[id(event)] = (event, float(present))
                continue
            starts = [event["time"] for event in lists[0]]  # chain start per step-0 event
            for step in range(1, len(lists)):
                prefix: list[datetime] = []
                for start in starts:
                    prefix.append(max(prefix[-1], start) if prefix else start)
                previous = times[step - 1]
                starts = []
                for event in lists[step]:
                    i = bisect.bisect_right(previous, event["time"])
                    starts.append(prefix[i - 1] if i else datetime.min.replace(tzinfo=UTC))
            for event, start in zip(lists[-1], starts, strict=True):
                if start >= event["time"] - span:
                    found[id(event)] = (event, float(len(lists)))
        return list(found.values())

    def span(self, rule: OracleRule) -> int:
        return rule.timespan + max((self.span(self.rules[name]) for name in rule.rules), default=0)

    def leaves(self, rule: OracleRule) -> list[str]:
        if rule.kind == "detection":
            return [rule.name]
        return sorted({leaf for name in rule.rules for leaf in self.leaves(self.rules[name])})

    def candidates(
        self, name: str, *, organization_id: int, start: datetime, end: datetime
    ) -> dict[str, dict[str, Any]]:
        rule = self.rules[name]
        suppression = rule.suppression or rule.timespan or 86_400
        buckets: dict[tuple[Any, ...], list[tuple[Event, float | None]]] = defaultdict(list)
        # A candidate describes its whole bucket: anchors count from the start of the bucket `start` falls in.
        since = datetime.fromtimestamp(start.timestamp() // suppression * suppression, UTC)
        for event, metric in self.anchors(name):
            if since <= event["time"] < end:
                bucket = int(event["time"].timestamp()) // suppression * suppression
                buckets[(_key(event, rule.group_by), bucket)].append((event, metric))
        leaf_events = {id(e): e for leaf in self.leaves(rule) for e, _ in self.anchors(leaf)}
        leaf_groups = _groups(list(leaf_events.values()), rule.group_by)
        span = timedelta(seconds=self.span(rule))
        result: dict[str, dict[str, Any]] = {}
        for (key, bucket), anchors in buckets.items():
            first = min(event["time"] for event, _ in anchors)
            last = max(event["time"] for event, _ in anchors)
            if rule.kind == "detection":
                evidence = [event for event, _ in anchors]
            else:
                evidence = [e for e in leaf_groups.get(key, []) if first - span <= e["time"] <= last]
            evidence.sort(key=lambda event: (event["time"], event["source_id"], event["event_uid"]))
            group_key = {
                field: value if value is not None else "" for field, value in zip(rule.group_by, key, strict=True)
            }
            bucket_start = datetime.fromtimestamp(bucket, UTC)
            metrics = [metric for _, metric in anchors if metric is not None]
            result[alert_uid(organization_id, name, group_key, bucket_start)] = {
                "group_key": group_key,
                "first_seen": first,
                "last_seen": last,
                "anchor_count": len(anchors),
                "metric_value": max(metrics) if metrics else None,
                "evidence_uids": [f"{event['source_id']}:{event['event_uid']}" for event in evidence[:1000]],
                "evidence_count": len(evidence),
                "source_ids": sorted({event["source_id"] for event in evidence}),
            }
        return result
