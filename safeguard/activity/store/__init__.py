"""The event store: `store_for(organization_id)` returns the organization's store (DuckDB by default)."""
