"""Reading the store: reference loading (and not reloading), decoded events, search, per-source days, review
summaries, purging and evidence export, with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from safeguard.activity.store.base import ReferenceData, SourceDay
from safeguard.activity.store.duckdb import DuckDBEventStore
from tests.test_activity_store_support import append, at, event, temp_store

EVERYTHING = (at("2000-01-01 00:00"), at("2100-01-01 00:00"))


@pytest.fixture
def store(tmp_path: Path) -> DuckDBEventStore:
    return temp_store(tmp_path)


def reference(version: int, **tables: list) -> ReferenceData:
    return ReferenceData(version=version, **tables)


def test_reference_is_loaded_with_identities_resolved_to_dictionary_ids(store):
    append(store, [event("a", "2024-01-02 10:00", user_name="alice", src_host="ws-1", patient_id="MRN7")])
    store.load_reference(
        reference(
            4,
            people=[{"person_id": 10, "last_name": "Smith", "department": "ICU", "job_role": "RN"}],
            identities=[
                {"identity": "ALICE", "source_id": None, "person_id": 10},
                {"identity": "a.smith@clinic.test", "source_id": 2, "person_id": 10},
            ],
            accounts=[{"identity": "bg-1", "source_id": None, "account_type": "break_glass"}],
            shifts=[
                {"person_id": None, "start_hour": 7, "end_hour": 19, "weekdays": [1, 2, 3, 4, 5]},
                {"person_id": 10, "start_hour": 19, "end_hour": 7, "weekdays": [6, 7]},
            ],
            patients=[{"patient": "MRN8", "last_name": "Jones", "vip": True, "restricted": False}],
            workstations=[{"host": "WS-1", "site": "North", "department": "ICU"}],
            sources=[{"source_id": 1, "name": "EHR", "kind": "ehr", "time_zone": "America/New_York"}],
        )
    )
    assert store.reference_version() == 4
    users = {row["value"]: row["id"] for row in store.query("SELECT value, id FROM dict_user").to_pylist()}
    assert users == {"alice": 1, "a.smith@clinic.test": 2, "bg-1": 3}
    identities = store.query("SELECT * FROM ref_identities ORDER BY user_id").to_pylist()
    assert identities == [
        {"user_id": 1, "source_id": None, "person_id": 10},
        {"user_id": 2, "source_id": 2, "person_id": 10},
    ]
    assert store.query("SELECT * FROM ref_accounts").to_pylist() == [
        {"user_id": 3, "source_id": None, "account_type": "break_glass"}
    ]
    # Monday-Friday: bits 1-5 = 2+4+8+16+32; weekend: bits 6 and 7 = 64+128
    assert store.query("SELECT person_id, weekdays FROM ref_shifts ORDER BY person_id NULLS FIRST").to_pylist() == [
        {"person_id": None, "weekdays": 62},
        {"person_id": 10, "weekdays": 192},
    ]
    assert store.query("SELECT * FROM ref_patients").to_pylist() == [
        {"patient_key": 2, "last_name": "jones", "vip": True, "restricted": False, "employee_person_id": None}
    ]
    assert store.query("SELECT * FROM ref_workstations").to_pylist() == [
        {"src_host_id": 1, "site": "North", "department": "ICU"}
    ]
    # A later event naming a loaded identity gets its id.
    append(store, [event("b", "2024-01-02 11:00", user_name="BG-1", patient_id="MRN8")], batch_id=2)
    assert store.query("SELECT user_id, patient_key FROM events WHERE event_uid = 'b'").to_pylist() == [
        {"user_id": 3, "patient_key": 2}
    ]


def test_same_reference_version_is_not_reloaded_and_a_new_one_replaces_it(store):
    store.load_reference(reference(1, sources=[{"source_id": 1, "name": "EHR", "kind": "ehr", "time_zone": "UTC"}]))
    store.load_reference(reference(1, sources=[{"source_id": 1, "name": "Changed", "kind": "ehr", "time_zone": "UTC"}]))
    assert store.query("SELECT name FROM ref_sources").to_pylist() == [{"name": "EHR"}]
    store.load_reference(
        reference(2, sources=[{"source_id": 5, "name": "Okta", "kind": "identity", "time_zone": "UTC"}])
    )
    assert store.query("SELECT source_id, name FROM ref_sources").to_pylist() == [{"source_id": 5, "name": "Okta"}]
    assert store.reference_version() == 2


def test_a_new_store_has_no_reference_version(store):
    assert store.reference_version() is None


def test_events_are_decoded_oldest_first_with_their_raw_line(store):
    store.load_reference(reference(1, sources=[{"source_id": 1, "name": "EHR", "kind": "ehr", "time_zone": "UTC"}]))
    append(
        store,
        [
            event("late", "2024-01-02 12:00", user_name="Alice", src_ip="10.0.0.9", src_host="WS-2", patient_id="P1"),
            event("early", "2024-01-02 09:00", raw="the raw line"),
            event("other", "2024-01-02 10:00"),
        ],
    )
    rows = store.events(["late", "early", "missing"])
    assert [row["event_uid"] for row in rows] == ["early", "late"]
    assert rows[0]["raw"] == "the raw line"
    late = rows[1]
    assert (late["user_name"], late["src_ip"], late["src_host"], late["patient_id"]) == (
        "alice",
        "10.0.0.9",
        "ws-2",
        "P1",
    )
    assert late["source_name"] == "EHR"
    assert late["time"] == at("2024-01-02 12:00")
    assert not {"user_id", "patient_key", "src_host_id", "src_ip_id"} & set(late)


def _search_fixture(store: DuckDBEventStore) -> None:
    append(
        store,
        [
            event("a1", "2024-01-01 08:00", user_name="alice", patient_id="P1"),
            event("a2", "2024-01-02 08:00", user_name="Alice", patient_id="P2"),
            event("b1", "2024-01-03 08:00", user_name="bob", patient_id="P1"),
        ],
        source_id=1,
    )
    append(store, [event("a3", "2024-01-04 08:00", user_name="ALICE", patient_id="P1")], source_id=2)


def test_search_filters_by_user_as_written_patient_source_and_time_newest_first(store):
    _search_fixture(store)
    start, end = EVERYTHING

    def uids(**filters) -> tuple[list[str], int]:
        rows, total = store.search(start=filters.pop("start", start), end=filters.pop("end", end), **filters)
        return [row["event_uid"] for row in rows], total

    assert uids() == (["a3", "b1", "a2", "a1"], 4)
    assert uids(user=" aLiCe ") == (["a3", "a2", "a1"], 3)
    assert uids(user="nobody") == ([], 0)
    assert uids(patient="P1") == (["a3", "b1", "a1"], 3)
    assert uids(patient="p1") == ([], 0)
    assert uids(source_id=1, user="alice") == (["a2", "a1"], 2)
    assert uids(start=at("2024-01-02 08:00"), end=at("2024-01-04 08:00")) == (["b1", "a2"], 2)
    assert uids(offset=1, limit=2) == (["b1", "a2"], 4)
    assert uids(offset=4, limit=2) == ([], 4)


def test_search_rows_leave_out_the_raw_line(store):
    _search_fixture(store)
    rows, _ = store.search(start=EVERYTHING[0], end=EVERYTHING[1], limit=1)
    assert "raw" not in rows[0]
    assert rows[0]["user_name"] == "alice"


def test_source_days_count_events_per_source_per_utc_day(store):
    _search_fixture(store)
    append(store, [event("late-night", "2024-01-01 23:59:59")], source_id=1, batch_id=2)
    days = store.source_days(at("2024-01-01 00:00"), at("2024-01-04 00:00"))
    assert days == [
        SourceDay(source_id=1, day="2024-01-01", events=2),
        SourceDay(source_id=1, day="2024-01-02", events=1),
        SourceDay(source_id=1, day="2024-01-03", events=1),
    ]


def test_summary_of_a_review_period(store):
    rows = [
        # New York: 2024-01-08 is a Monday; 12:00Z is 07:00 EST (inside), 23:30Z is 18:30 (inside), 00:30Z is 19:30
        # the evening before (after hours), 11:59Z is 06:59 (after hours).
        event("1", "2024-01-08 12:00", user_name="alice", patient_id="P1"),
        event("2", "2024-01-08 23:30", user_name="alice", patient_id="P2"),
        event("3", "2024-01-09 00:30", user_name="bob", patient_id="P1", activity="print"),
        event(
            "4",
            "2024-01-10 11:59",
            user_name="alice",
            event_class="authentication",
            activity="logon",
            outcome="failure",
        ),
        event("5", "2024-01-10 12:30", user_name="carol", patient_id="P3"),
        event("out", "2024-01-12 12:00", user_name="dave"),  # after the period
    ]
    append(store, rows)
    append(store, [event("x", "2024-01-08 12:00", user_name="erin")], source_id=2)  # another source
    summary = store.summary(1, at("2024-01-08 00:00"), at("2024-01-12 00:00"))
    assert summary == {
        "events": 5,
        "by_class": {"record_access": 4, "authentication": 1},
        "by_activity": {"read": 3, "logon": 1, "print": 1},
        "by_outcome": {"success": 4, "failure": 1},
        "users": 3,
        "patients": 3,
        "after_hours": 2,
        "top_users": [{"user": "alice", "events": 3}, {"user": "bob", "events": 1}, {"user": "carol", "events": 1}],
        "days_without_events": ["2024-01-11"],
    }


def test_summary_uses_the_given_business_hours(store):
    append(store, [event("1", "2024-01-08 12:00", user_name="alice")])  # 07:00 in New York
    assert store.summary(1, at("2024-01-08 00:00"), at("2024-01-09 00:00"), business_start_hour=8)["after_hours"] == 1


def test_purge_deletes_old_events_and_blanks_old_raw_lines(store):
    append(
        store,
        [
            event("old", "2024-01-01 00:00"),
            event("middle", "2024-02-01 00:00"),
            event("recent", "2024-03-01 00:00"),
        ],
    )
    assert store.purge(events_before=at("2024-01-15 00:00"), raw_before=at("2024-02-15 00:00")) == (1, 1)
    assert store.query("SELECT event_uid, raw FROM events ORDER BY time").to_pylist() == [
        {"event_uid": "middle", "raw": None},
        {"event_uid": "recent", "raw": "raw recent"},
    ]
    assert store.purge(events_before=at("2024-01-15 00:00"), raw_before=at("2024-02-15 00:00")) == (0, 0)


def test_export_gives_one_json_line_per_event_with_decoded_names_and_raw(store):
    append(store, [event("a", "2024-01-02 10:00", user_name="Alice", src_ip="10.0.0.1", raw="line one")])
    append(store, [event("b", "2024-01-02 09:00", patient_id="P9")], batch_id=2)
    lines = list(store.export(["a", "b"]))
    assert all(line.endswith(b"\n") for line in lines)
    decoded = [orjson.loads(line) for line in lines]
    assert [(row["event_uid"], row["time"]) for row in decoded] == [
        ("b", "2024-01-02T09:00:00+00:00"),
        ("a", "2024-01-02T10:00:00+00:00"),
    ]
    assert (decoded[1]["user_name"], decoded[1]["src_ip"], decoded[1]["raw"]) == ("alice", "10.0.0.1", "line one")
    assert decoded[0]["patient_id"] == "P9"


def test_a_store_opens_in_a_folder_that_does_not_exist_yet(settings: Any, tmp_path: Path) -> None:
    from safeguard.activity.store import store_for

    settings.ACTIVITY_STORE_DIR = tmp_path / "not" / "yet"
    assert store_for(4242).count() == 0
    assert (tmp_path / "not" / "yet").is_dir()
