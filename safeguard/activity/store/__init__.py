"""The event store: `store_for(organization_id)` returns the organization's store (DuckDB by default)."""

from __future__ import annotations

from safeguard.activity.store.base import EventStore


def store_for(organization_id: int) -> EventStore:
    from safeguard.activity.store.duckdb import DuckDBEventStore

    return DuckDBEventStore.for_organization(organization_id)
