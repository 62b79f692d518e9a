"""The embedded event store: one DuckDB database file per organization, `org-<id>.duckdb` under
settings.ACTIVITY_STORE_DIR, with the tables of store/layout.py.

Concurrency. DuckDB allows one process to open a file read-write, and both the web process and the task worker
use the store. So every operation opens its own connection and closes it when done, holding an exclusive
`fcntl` lock on `org-<id>.duckdb.lock` (processes) and a thread lock (threads) meanwhile (store/locking.py).
A caller that waits longer than ACTIVITY_STORE_LOCK_SECONDS (default 30) gets StoreBusy. Operations are kept
short for that reason: pages read one page of events, appends take one transaction per parsed chunk. Reads take
the same exclusive lock: shared read locks would need read-only connections, which DuckDB refuses to mix with a
read-write one in the same process, and reads here take milliseconds.

Engine access. `query(sql, parameters)` runs one read and returns a pyarrow table. For work that needs several
statements on one connection (temporary views or tables, then the rule queries), use
`with store.connection() as connection:`; the lock is held for the whole block, and the store's own methods
called inside it re-use that connection.

Resources. `threads` is left at DuckDB's default (the machine's cores). ACTIVITY_STORE_MEMORY_LIMIT (setting or
environment variable, e.g. "2GB") caps DuckDB's memory; unset, DuckDB's default (80 % of RAM) applies.
Extensions are never downloaded: time zones come from the bundled ICU.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
import orjson
import pyarrow as pa
from django.conf import settings
from django.utils import timezone

from safeguard.activity.schema import EVENT_FIELD_NAMES
from safeguard.activity.store import duckdb_reads as reads
from safeguard.activity.store.base import AppendResult, ReferenceData, SourceDay
from safeguard.activity.store.duckdb_append import append_batch
from safeguard.activity.store.duckdb_reference import replace_reference
from safeguard.activity.store.layout import (
    DICTIONARY_TABLE,
    DICTIONARY_TABLES,
    EVENTS_TABLE,
    META_TABLE,
    REFERENCE_TABLES,
)
from safeguard.activity.store.locking import StoreBusy, exclusive

__all__ = ["DuckDBEventStore", "StoreBusy", "stored_organization_ids"]

DEFAULT_LOCK_SECONDS = 30.0
FILE_NAME = re.compile(r"^org-(\d+)\.duckdb$")

_LAYOUT = (
    EVENTS_TABLE,
    *(DICTIONARY_TABLE.format(name=name) for name in DICTIONARY_TABLES),
    *(f"CREATE TABLE IF NOT EXISTS {name} ({columns})" for name, columns in REFERENCE_TABLES.items()),
    META_TABLE,
)
_laid_out: set[str] = set()


def store_dir() -> Path:
    return Path(settings.ACTIVITY_STORE_DIR)


def stored_organization_ids() -> list[int]:
    """Organizations that have a store file."""
    folder = store_dir()
    if not folder.is_dir():
        return []
    found = (FILE_NAME.match(entry.name) for entry in folder.iterdir())
    return sorted(int(match.group(1)) for match in found if match)


def _memory_limit() -> str:
    return str(
        getattr(settings, "ACTIVITY_STORE_MEMORY_LIMIT", "") or os.environ.get("ACTIVITY_STORE_MEMORY_LIMIT", "")
    )


class DuckDBEventStore:
    def __init__(self, path: Path, *, lock_seconds: float | None = None) -> None:
        self.path = Path(path)
        self.lock_seconds = float(
            lock_seconds
            if lock_seconds is not None
            else getattr(settings, "ACTIVITY_STORE_LOCK_SECONDS", DEFAULT_LOCK_SECONDS)
        )

    @classmethod
    def for_organization(cls, organization_id: int) -> DuckDBEventStore:
        return cls(store_dir() / f"org-{int(organization_id)}.duckdb")

    # connections

    def _open(self) -> duckdb.DuckDBPyConnection:
        config: dict[str, Any] = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
        if limit := _memory_limit():
            config["memory_limit"] = limit
        existed = self.path.exists()
        connection = duckdb.connect(str(self.path), config=config)
        try:
            # Results come back in UTC, and day boundaries (CAST AS DATE) are UTC days.
            connection.execute("SET TimeZone = 'UTC'")
            key = str(self.path.resolve())
            if not existed or key not in _laid_out:
                for statement in _LAYOUT:
                    connection.execute(statement)
                _laid_out.add(key)
        except BaseException:
            connection.close()
            raise
        return connection

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The store's connection under its lock, for several statements in a row (the engine's evaluation)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive(
            self.path, timeout=self.lock_seconds, open_resource=self._open, close_resource=lambda c: c.close()
        ) as connection:
            yield connection

    @contextmanager
    def _transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.connection() as connection:
            connection.begin()
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()

    # writes

    def append(
        self, source_id: int, batch_id: int, table: pa.Table, *, time_zone: str, parser: str, parser_version: str
    ) -> AppendResult:
        missing = [name for name in EVENT_FIELD_NAMES if name not in table.column_names]
        if missing:
            raise ValueError(f"the events table lacks the columns {', '.join(missing)}")
        try:
            ZoneInfo(time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{time_zone!r} is not a known time zone") from None
        if table.num_rows == 0:
            return AppendResult(inserted=0, duplicates=0, first_event_at=None, last_event_at=None)
        with self._transaction() as connection:
            return append_batch(
                connection,
                table.select(list(EVENT_FIELD_NAMES)),
                source_id=source_id,
                batch_id=batch_id,
                time_zone=time_zone,
                parser=parser,
                parser_version=parser_version,
                ingest_time=timezone.now(),
            )

    def load_reference(self, reference: ReferenceData) -> None:
        with self._transaction() as connection:
            if _meta(connection, "reference_version") == str(reference.version):
                return
            replace_reference(connection, reference)

    def purge(self, *, events_before: datetime, raw_before: datetime) -> tuple[int, int]:
        with self._transaction() as connection:
            deleted = _changed(connection.execute("DELETE FROM events WHERE time < $before", {"before": events_before}))
            blanked = _changed(
                connection.execute(
                    "UPDATE events SET raw = NULL WHERE time < $before AND raw IS NOT NULL", {"before": raw_before}
                )
            )
        return deleted, blanked

    # reads

    def reference_version(self) -> int | None:
        with self.connection() as connection:
            value = _meta(connection, "reference_version")
        return int(value) if value is not None else None

    def query(self, sql: str, parameters: Sequence[Any] | Mapping[str, Any] | None = None) -> pa.Table:
        with self.connection() as connection:
            relation = connection.sql(sql, params=parameters)
            return relation.to_arrow_table() if relation is not None else pa.table({})

    def events(self, uids: Sequence[str], *, limit: int = 1000) -> list[dict[str, Any]]:
        """Evidence keys "<source_id>:<event_uid>" (a bare uid matches every source's), oldest first."""
        with self.connection() as connection:
            return reads.decoded_events(connection, list(uids), limit=limit)

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
        with self.connection() as connection:
            return reads.search_page(
                connection,
                start=start,
                end=end,
                source_id=source_id,
                user=user,
                patient=patient,
                offset=offset,
                limit=limit,
            )

    def source_days(self, start: datetime, end: datetime) -> list[SourceDay]:
        with self.connection() as connection:
            return reads.source_days(connection, start, end)

    def summary(
        self,
        source_id: int,
        start: datetime,
        end: datetime,
        *,
        business_start_hour: int = 7,
        business_end_hour: int = 19,
    ) -> dict[str, Any]:
        """Keys: events, by_class / by_activity / by_outcome (value → count, most first), users, patients (distinct),
        after_hours (local hour outside [business_start_hour, business_end_hour)), top_users ([{user, events}],
        ten busiest), days_without_events (UTC days of the period, "YYYY-MM-DD")."""
        with self.connection() as connection:
            return reads.summary(
                connection,
                source_id,
                start,
                end,
                business_start_hour=business_start_hour,
                business_end_hour=business_end_hour,
            )

    def count(self) -> int:
        with self.connection() as connection:
            found = connection.execute("SELECT count(*) FROM events").fetchall()
        return int(found[0][0])

    def export(self, uids: Sequence[str]) -> Iterator[bytes]:
        """Decoded events of evidence keys (as events()) with their raw line, one JSON object per line, oldest
        first."""
        with self.connection() as connection:
            rows = reads.decoded_events(connection, list(uids), limit=max(len(uids), 1) * 4)
        for row in rows:
            yield orjson.dumps(row) + b"\n"


def _meta(connection: duckdb.DuckDBPyConnection, key: str) -> str | None:
    found = connection.execute("SELECT value FROM meta WHERE key = $key", {"key": key}).fetchall()
    return str(found[0][0]) if found else None


def _changed(result: duckdb.DuckDBPyConnection) -> int:
    found = result.fetchall()
    return int(found[0][0]) if found else 0
