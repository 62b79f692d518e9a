"""The retention chore: each organization's store purged by its settings, one audit event per purge that did
something, nothing on a second run, nothing changed on a dry run."""

from __future__ import annotations

from datetime import date

import pytest

from safeguard.activity.chores_retention import retention_chore
from safeguard.activity.models import ActivitySettings
from safeguard.activity.store.duckdb import DuckDBEventStore
from safeguard.core.models import AuditEvent
from tests.test_activity_store_support import append, event

TODAY = date(2024, 6, 1)


@pytest.fixture
def stores(cast):
    ActivitySettings.objects.create(organization=cast.org, event_retention_days=100, raw_retention_days=30)
    clinic = DuckDBEventStore.for_organization(cast.org.pk)
    # 2024-06-01 less 100 days is 2024-02-22; less 30 days is 2024-05-02.
    append(
        clinic, [event("old", "2024-02-21 23:00"), event("mid", "2024-04-01 00:00"), event("new", "2024-05-20 00:00")]
    )
    other = DuckDBEventStore.for_organization(cast.other_org.pk)  # default settings: 2,190 and 365 days
    append(other, [event("kept", "2024-01-01 00:00")])
    return clinic, other


def test_retention_purges_per_organization_settings_and_audits_once(cast, stores):
    clinic, other = stores
    lines = retention_chore(TODAY, False)
    assert lines == ["clinic: deleted 1 event(s) before 2024-02-22 and the raw lines of 1 before 2024-05-02"]
    assert clinic.query("SELECT event_uid, raw FROM events ORDER BY time").to_pylist() == [
        {"event_uid": "mid", "raw": None},
        {"event_uid": "new", "raw": "raw new"},
    ]
    assert other.count() == 1
    audit = AuditEvent.objects.get(action="activity.events_purged")
    assert audit.organization_id == cast.org.pk
    assert audit.actor_label == "system:activity.retention"
    assert audit.changes["events_deleted"] == [None, 1]
    assert audit.changes["raw_lines_blanked"] == [None, 1]
    assert retention_chore(TODAY, False) == []
    assert AuditEvent.objects.filter(action="activity.events_purged").count() == 1


def test_dry_run_reports_and_changes_nothing(cast, stores):
    clinic, _ = stores
    assert retention_chore(TODAY, True) == [
        "clinic: would delete 1 event(s) before 2024-02-22 and the raw lines of 1 before 2024-05-02"
    ]
    assert clinic.count() == 3
    assert not AuditEvent.objects.filter(action="activity.events_purged").exists()


def test_no_store_folder_means_nothing_to_do(db):
    assert retention_chore(TODAY, False) == []
