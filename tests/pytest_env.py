"""Loaded as a pytest plugin (see pyproject.toml) before Django's settings are read: test-only environment."""

import os
import tempfile

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
