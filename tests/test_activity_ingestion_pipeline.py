"""The ingestion pipeline with a fake parser and store: counts, progress, reject samples, failures, the source's
totals, the audit event and the evaluation it asks for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from safeguard.activity.enrichment import reference_changed
from safeguard.activity.models import IngestBatch, LogSource
from safeguard.activity.parsers.base import REJECT_SAMPLES, Reject
from safeguard.activity.services.ingestion import IngestionFailed, ingest_path, ingest_records
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from tests.activity_factories import make_source
from tests.conftest import Cast
from tests.test_activity_ingestion_fakes import Fakes, install_fakes, write_lines


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    # One append per parsed chunk, so the bookkeeping after each append can be watched chunk by chunk.
    monkeypatch.setattr("safeguard.activity.services.ingestion.APPEND_ROWS", 1)
    return install_fakes(monkeypatch)


T1, T2, T3, T4 = (f"2026-03-0{day}T10:00:00+00:00" for day in (2, 3, 4, 5))


def _ingest(cast: Cast, source: LogSource, path, **kwargs) -> IngestBatch:
    return ingest_path(source, path, file_name="ehr.ndjson", channel="command", actor=Actor(cast.owner), **kwargs)


def test_file_counts_source_totals_audit_and_evaluation(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    fakes.store.uids.add("old")
    records: list[dict[str, Any]] = [
        {"uid": "a", "time": T2},
        {"uid": "b", "time": T1},
        {"uid": "old", "time": T3},
        {"bad": True},
        {"uid": "c", "time": T4},
    ]
    batch = _ingest(cast, source, write_lines(tmp_path / "in.ndjson", records))

    batch.refresh_from_db()
    assert batch.state == IngestBatch.State.DONE
    assert (batch.lines_read, batch.accepted, batch.duplicates, batch.rejected) == (5, 3, 1, 1)
    assert batch.rejects == [{"line": 4, "field": "time", "reason": "not a time", "raw": '{"bad": true}'}]
    assert batch.parser == "fake" and batch.parser_version == "1.0"
    assert batch.first_event_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert batch.last_event_at == datetime(2026, 3, 5, 10, tzinfo=UTC)
    assert len(batch.sha256) == 64 and batch.size_bytes == (tmp_path / "in.ndjson").stat().st_size
    source.refresh_from_db()
    assert source.event_count == 3
    assert source.first_event_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert source.last_event_at == datetime(2026, 3, 5, 10, tzinfo=UTC)
    assert source.last_received_at is not None
    # chunks of two lines: (a, b), (old, bad), (c)
    assert [append["rows"] for append in fakes.store.appends] == [2, 1, 1]
    assert fakes.store.appends[0]["time_zone"] == "America/New_York"
    audits = AuditEvent.objects.filter(organization=cast.org, action="activity.events_ingested")
    assert audits.count() == 1
    assert audits.get().changes["accepted"] == [None, 3]
    assert fakes.evaluations == [
        {
            "start": datetime(2026, 3, 2, 10, tzinfo=UTC),
            "end": datetime(2026, 3, 5, 10, tzinfo=UTC) + timedelta(microseconds=1),
            "trigger": "ingest",
            "batch": batch,
            "requested_by": cast.owner,
        }
    ]


def test_second_batch_widens_the_source_span_and_adds_counts(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    _ingest(cast, source, write_lines(tmp_path / "a.ndjson", [{"uid": "a", "time": T2}]))
    _ingest(cast, source, write_lines(tmp_path / "b.ndjson", [{"uid": "b", "time": T1}, {"uid": "c", "time": T4}]))
    source.refresh_from_db()
    assert source.event_count == 3
    assert source.first_event_at == datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert source.last_event_at == datetime(2026, 3, 5, 10, tzinfo=UTC)


def test_progress_is_saved_after_each_chunk(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    seen: list[tuple[str, int, int]] = []

    def observe() -> None:
        row = IngestBatch.objects.get(source=source)
        seen.append((row.state, row.lines_read, row.accepted))

    fakes.parser.on_chunk.append(observe)
    records = [{"uid": str(n), "time": T1} for n in range(5)]
    _ingest(cast, source, write_lines(tmp_path / "in.ndjson", records))
    assert seen == [("running", 0, 0), ("running", 2, 2), ("running", 4, 4)]


def test_reject_samples_are_capped_but_all_counted(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    fakes.parser.chunk_lines = 7
    batch = _ingest(cast, source, write_lines(tmp_path / "in.ndjson", [{"bad": True}] * (REJECT_SAMPLES + 10)))
    batch.refresh_from_db()
    assert batch.rejected == REJECT_SAMPLES + 10
    assert len(batch.rejects) == REJECT_SAMPLES
    assert [sample["line"] for sample in batch.rejects] == list(range(1, REJECT_SAMPLES + 1))
    assert fakes.evaluations == []  # nothing accepted, nothing to evaluate


def test_wrong_format_fails_and_stores_nothing(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    fakes.parser.wrong_format = True
    batch = _ingest(cast, source, write_lines(tmp_path / "in.ndjson", [{"uid": "a", "time": T1}]))
    batch.refresh_from_db()
    assert batch.state == IngestBatch.State.FAILED
    assert batch.failure == "This is not a fake file: the first line is not JSON."
    assert fakes.store.appends == [] and fakes.evaluations == []
    source.refresh_from_db()
    assert source.event_count == 0 and source.last_event_at is None
    assert AuditEvent.objects.filter(action="activity.ingestion_failed").count() == 1
    assert not AuditEvent.objects.filter(action="activity.events_ingested").exists()


def test_crash_part_way_fails_and_keeps_what_was_stored(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    fakes.parser.fail_after = 1
    records = [{"uid": str(n), "time": T1} for n in range(4)]
    with pytest.raises(IngestionFailed) as failed:
        _ingest(cast, source, write_lines(tmp_path / "in.ndjson", records))
    batch = IngestBatch.objects.get(pk=failed.value.batch.pk)
    assert batch.state == IngestBatch.State.FAILED
    assert batch.failure == (
        "Stopped after line 2: disk full. The 2 events stored before it stay; read the file again to store the rest."
    )
    assert batch.accepted == 2
    source.refresh_from_db()
    assert source.event_count == 2
    assert fakes.evaluations == []


def test_reference_reloaded_only_when_its_version_changed(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    path = write_lines(tmp_path / "in.ndjson", [{"uid": "a", "time": T1}])
    _ingest(cast, source, path)
    _ingest(cast, source, path)
    assert fakes.store.loaded == [0]
    reference_changed(cast.org)
    _ingest(cast, source, path)
    assert fakes.store.loaded == [0, 1]


def test_no_evaluate_skips_the_evaluation(cast: Cast, fakes: Fakes, tmp_path) -> None:
    source = make_source(cast.org)
    batch = _ingest(cast, source, write_lines(tmp_path / "in.ndjson", [{"uid": "a", "time": T1}]), evaluate=False)
    assert batch.accepted == 1 and fakes.evaluations == []


def test_records_keep_request_line_numbers(cast: Cast, fakes: Fakes) -> None:
    source = make_source(cast.org)
    records = [{"uid": "a", "time": T1}, {"bad": True}, {"uid": "b", "time": T2}]
    early = [Reject(2, "", "not JSON: unexpected character", "{nope")]
    batch = ingest_records(
        source, records, channel="http", actor=Actor(None, label="t"), rejects=early, line_numbers=[1, 3, 5]
    )
    batch.refresh_from_db()
    assert (batch.channel, batch.lines_read, batch.accepted, batch.rejected) == ("http", 4, 2, 2)
    assert [(sample["line"], sample["field"]) for sample in batch.rejects] == [(2, ""), (3, "time")]


def test_small_parsed_chunks_are_appended_together(cast: Cast, fakes: Fakes, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr("safeguard.activity.services.ingestion.APPEND_ROWS", 500_000)
    source = make_source(cast.org)
    records = [{"uid": str(n), "time": T1} for n in range(5)]
    batch = _ingest(cast, source, write_lines(tmp_path / "in.ndjson", records))
    batch.refresh_from_db()
    assert [append["rows"] for append in fakes.store.appends] == [5]
    assert (batch.lines_read, batch.accepted) == (5, 5)
