"""The event store's interface: everything the rest of Safeguard asks of the events, in one small protocol, so a
larger install can put a column-store server (ClickHouse) behind it instead of the embedded DuckDB files.
docs/activity-store.md says what such a backend must provide."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import pyarrow as pa


@dataclass(frozen=True)
class AppendResult:
    inserted: int
    duplicates: int
    first_event_at: datetime | None
    last_event_at: datetime | None


@dataclass(frozen=True)
class SourceDay:
    """Events of one source on one UTC day."""

    source_id: int
    day: str  # YYYY-MM-DD
    events: int


@dataclass
class ReferenceData:
    """What enrichment joins events to, built from the main database (enrichment.py) and loaded by the store
    when its version changes. Each table is a list of plain dicts with the keys the docstrings name."""

    version: int
    # person_id, last_name, department, job_role, hire_at (UTC datetime or None), termination_at (or None)
    people: list[dict[str, Any]] = field(default_factory=list)
    # identity (lower-cased user_name/upn as logs write it), source_id (or None: every source), person_id
    identities: list[dict[str, Any]] = field(default_factory=list)
    # person_id, start_hour, end_hour, weekdays (list of ISO days): each person's shift already resolved (their
    # own, else their job role's, else their department's); one row with person_id None: business hours
    shifts: list[dict[str, Any]] = field(default_factory=list)
    # identity (lower-cased), source_id (or None), account_type (break_glass / service / shared)
    accounts: list[dict[str, Any]] = field(default_factory=list)
    # patient (as written), last_name (lower-cased), vip, restricted, employee_person_id (or None)
    patients: list[dict[str, Any]] = field(default_factory=list)
    # host (lower-cased), site, department
    workstations: list[dict[str, Any]] = field(default_factory=list)
    # source_id, name, kind, time_zone
    sources: list[dict[str, Any]] = field(default_factory=list)


class EventStore(Protocol):
    """One organization's events. Implementations must be safe to open from the web process and the worker."""

    def append(
        self, source_id: int, batch_id: int, table: pa.Table, *, time_zone: str, parser: str, parser_version: str
    ) -> AppendResult:
        """Store parsed events (columns: schema.EVENT_FIELD_NAMES) idempotently: an event whose `event_uid` is
        already stored for the source is counted as a duplicate, not stored again."""
        ...

    def load_reference(self, reference: ReferenceData) -> None:
        """Replace the enrichment tables if `reference.version` differs from the loaded one."""
        ...

    def reference_version(self) -> int | None: ...

    def query(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table:
        """Run a read query over the store's tables and views (the engine's compiled rules)."""
        ...

    def events(self, uids: Sequence[str], *, limit: int = 1000) -> list[dict[str, Any]]:
        """Events by uid, decoded and enriched, oldest first (alert evidence)."""
        ...

    def search(
        self,
        *,
        start: datetime,
        end: datetime,
        source_id: int | None = None,
        user: str | None = None,
        patient: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> tuple[list[dict[str, Any]], int]:
        """A page of events in [start, end), newest first, and the total count."""
        ...

    def source_days(self, start: datetime, end: datetime) -> list[SourceDay]: ...

    def summary(
        self,
        source_id: int,
        start: datetime,
        end: datetime,
        *,
        business_start_hour: int = 7,
        business_end_hour: int = 19,
    ) -> dict[str, Any]:
        """Statistics for a review period: events by class, activity and outcome; distinct users and patients;
        events after hours; busiest users; days without events."""
        ...

    def purge(self, *, events_before: datetime, raw_before: datetime) -> tuple[int, int]:
        """Delete events older than `events_before`; blank the raw line of those older than `raw_before`.
        Returns (events deleted, raw lines blanked)."""
        ...

    def count(self) -> int: ...

    def export(self, uids: Sequence[str]) -> Iterator[bytes]:
        """NDJSON lines of the given events, raw line included (evidence export)."""
        ...
