"""Checking a delivery of backup results without writing: every row parsed, every problem listed by row, field
and reason, and each run found new, a duplicate (same job and start time, same values: skipped), or a conflict
(same job and start time, other values: refused, never overwritten).

Made for half a million rows: the organization's jobs are loaded in one query, the stored runs the file could
repeat in one streamed query over the file's time span, and what is kept per row is its key, a hash of its values
and one byte saying whether it is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from safeguard.contingency.models import BackupResult
from safeguard.contingency.services.backup_import_files import Opener
from safeguard.contingency.services.backup_import_rows import Policies, Run, parse_run
from safeguard.core.models import Organization

ERRORS_KEPT = 200
PROGRESS_EVERY = 10_000
SKIP, WRITE = 1, 0


@dataclass
class Checked:
    rows_read: int = 0
    new: int = 0
    duplicates: int = 0
    rejected: int = 0  # rows with at least one problem
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # the first ERRORS_KEPT, in row order
    skip: bytearray = field(default_factory=bytearray)  # per row read, in order: SKIP (a duplicate) or WRITE

    def refuse(self, row: int, problems: dict[str, str], columns: dict[str, str]) -> None:
        self.rejected += 1
        self.error_count += len(problems)
        for name, reason in problems.items():
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append({"row": row, "field": columns.get(name, name), "reason": reason})


@dataclass
class _Seen:
    """The first row of each run key in the file: its position, row number and the hash of its values."""

    rows: dict[tuple[int, datetime], tuple[int, int, int]] = field(default_factory=dict)
    earliest: datetime | None = None
    latest: datetime | None = None

    def add(self, run: Run, position: int, row: int) -> None:
        self.rows[run.key] = (position, row, hash(run.measured))
        if self.earliest is None or run.started_at < self.earliest:
            self.earliest = run.started_at
        if self.latest is None or run.started_at > self.latest:
            self.latest = run.started_at


def check_records(
    organization: Organization,
    opener: Opener,
    policies: Policies,
    columns: dict[str, str],
    *,
    progress: Callable[[int], None] | None = None,
) -> Checked:
    """`columns` names our fields as the file does (the mapping), so errors point at the file's own column."""
    checked = Checked()
    seen = _Seen()
    for position, (row, values) in enumerate(opener()):
        checked.rows_read += 1
        checked.skip.append(WRITE)
        if progress is not None and checked.rows_read % PROGRESS_EVERY == 0:
            progress(checked.rows_read)
        if isinstance(values, str):
            checked.refuse(row, {"": values}, columns)
            continue
        run = parse_run(values, policies)
        if isinstance(run, dict):
            checked.refuse(row, run, columns)
            continue
        first = seen.rows.get(run.key)
        if first is None:
            seen.add(run, position, row)
        elif first[2] == hash(run.measured):
            checked.skip[position] = SKIP
            checked.duplicates += 1
        else:
            reason = f"Repeats the run of row {first[1]} ({_label(run, policies)}) with other values."
            checked.refuse(row, {"started": reason}, columns)
    _compare_stored(organization, seen, checked, policies, columns)
    checked.errors.sort(key=lambda error: error["row"])
    checked.new = checked.rows_read - checked.duplicates - checked.rejected
    return checked


def _compare_stored(
    organization: Organization, seen: _Seen, checked: Checked, policies: Policies, columns: dict[str, str]
) -> None:
    if not seen.rows or seen.earliest is None or seen.latest is None:
        return
    stored = BackupResult.objects.filter(
        organization=organization,
        policy_id__in={policy_id for policy_id, _ in seen.rows},
        started_at__gte=seen.earliest,
        started_at__lte=seen.latest,
    ).values_list("policy_id", "started_at", "finished_at", "status", "size_bytes", "restore_point_at")
    for policy_id, started, finished, status, size, point in stored.iterator(chunk_size=5000):
        first = seen.rows.get((policy_id, started))
        if first is None:
            continue
        position, row, fingerprint = first
        if fingerprint == hash((finished, status, size, point)):
            checked.skip[position] = SKIP
            checked.duplicates += 1
            continue
        point_text = point.isoformat() if point else "none"
        reason = (
            f"This run ({policies.labels.get(policy_id, '')}, started {started.isoformat()}) is already recorded "
            f"with other values (finished {finished.isoformat()}, {status}, size {size if size is not None else '—'}"
            f", restore point {point_text}): nothing is overwritten."
        )
        checked.refuse(row, {"started": reason}, columns)


def _label(run: Run, policies: Policies) -> str:
    return f"{policies.labels.get(run.policy_id, '')}, started {run.started_at.isoformat()}"
