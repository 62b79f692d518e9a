"""Loaded as a pytest plugin (see pyproject.toml) before Django's settings are read: test-only environment."""

import os
import tempfile
from datetime import datetime

import pytest

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("TASKS_BACKEND", "immediate")
# Persistent connections outlive tests (live server threads) and block dropping the PostgreSQL test database.
os.environ.setdefault("DATABASE_CONN_MAX_AGE", "0")
# A test database of this run's own, so concurrent runs against one PostgreSQL server don't drop each other's.
os.environ.setdefault("TEST_DATABASE_NAME", f"test_safeguard_{os.getpid()}")
# Module-scoped fixtures (the demo's) run before the per-test folders are set: keep their events out of the real
# data folder too.
os.environ.setdefault("ACTIVITY_STORE_DIR", tempfile.mkdtemp(prefix="safeguard-test-activity-"))


def pytest_configure() -> None:
    """TEST_CLOCK (an ISO time with its offset): the whole run, collection included, as if started then, the clock
    ticking from there (CONTRIBUTING.md, Tests)."""
    if clock := os.environ.get("TEST_CLOCK"):
        import time_machine  # a test-only dependency, loaded only when asked for

        start = datetime.fromisoformat(clock)
        if start.tzinfo is None:
            raise pytest.UsageError(f"TEST_CLOCK={clock!r} needs its UTC offset, e.g. 2027-01-04T00:00:30+00:00")
        time_machine.travel(start, tick=True).start()
