"""Helpers the store and events tests share: a store on a temporary path and hand-written events.

No tests live here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from safeguard.activity.parsers.common import events_table
from safeguard.activity.store.base import AppendResult
from safeguard.activity.store.duckdb import DuckDBEventStore

NEW_YORK = "America/New_York"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(uid: str, time: str, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "event_uid": uid,
        "time": at(time),
        "event_class": "record_access",
        "activity": "read",
        "outcome": "success",
        "raw": f"raw {uid}",
    }
    values.update(fields)
    return values


def append(
    store: DuckDBEventStore, rows: list[dict[str, Any]], *, source_id: int = 1, batch_id: int = 1, zone: str = NEW_YORK
) -> AppendResult:
    return store.append(source_id, batch_id, events_table(rows), time_zone=zone, parser="test", parser_version="1.0")


def temp_store(folder: Path) -> DuckDBEventStore:
    return DuckDBEventStore(folder / "org-1.duckdb")
