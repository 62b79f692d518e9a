"""Appending events: dictionary encoding, de-duplication (against the store and within a batch), facility-local
hour and weekday across daylight-saving changes, IPv4 numbers, atomic batches, and the lock."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

import pytest

from safeguard.activity.store.duckdb import DuckDBEventStore, StoreBusy
from tests.test_activity_store_support import append, at, event, temp_store


@pytest.fixture
def store(tmp_path: Path) -> DuckDBEventStore:
    return temp_store(tmp_path)


def stored(store: DuckDBEventStore, columns: str) -> list[dict]:
    return store.query(f"SELECT {columns} FROM events ORDER BY time, source_id, event_uid").to_pylist()


def test_new_events_are_inserted_and_counted(store):
    result = append(store, [event("a", "2024-01-02 10:00"), event("b", "2024-01-02 11:00")])
    assert (result.inserted, result.duplicates) == (2, 0)
    assert (result.first_event_at, result.last_event_at) == (at("2024-01-02 10:00"), at("2024-01-02 11:00"))
    assert store.count() == 2


def test_same_uid_appended_again_is_a_duplicate(store):
    append(store, [event("a", "2024-01-02 10:00"), event("b", "2024-01-02 11:00")])
    result = append(store, [event("a", "2024-01-02 10:00"), event("c", "2024-01-02 12:00")], batch_id=2)
    assert (result.inserted, result.duplicates) == (1, 1)
    assert (result.first_event_at, result.last_event_at) == (at("2024-01-02 12:00"), at("2024-01-02 12:00"))
    assert [row["event_uid"] for row in stored(store, "event_uid")] == ["a", "b", "c"]


def test_duplicates_within_a_batch_keep_the_first(store):
    rows = [
        event("a", "2024-01-02 10:00", raw="first"),
        event("a", "2024-01-02 10:00", raw="second"),
        event("b", "2024-01-02 10:30"),
        event("a", "2024-01-02 10:00", raw="third"),
    ]
    result = append(store, rows)
    assert (result.inserted, result.duplicates) == (2, 2)
    assert stored(store, "event_uid, raw") == [{"event_uid": "a", "raw": "first"}, {"event_uid": "b", "raw": "raw b"}]


def test_same_uid_from_another_source_is_another_event(store):
    append(store, [event("a", "2024-01-02 10:00")], source_id=1)
    result = append(store, [event("a", "2024-01-02 10:00")], source_id=2)
    assert (result.inserted, result.duplicates) == (1, 0)
    assert stored(store, "source_id, event_uid") == [
        {"source_id": 1, "event_uid": "a"},
        {"source_id": 2, "event_uid": "a"},
    ]


def test_all_duplicates_report_no_event_times(store):
    append(store, [event("a", "2024-01-02 10:00")])
    result = append(store, [event("a", "2024-01-02 10:00")], batch_id=2)
    assert (result.inserted, result.duplicates, result.first_event_at, result.last_event_at) == (0, 1, None, None)


def test_local_hour_and_weekday_follow_new_york_across_both_dst_changes(store):
    rows = [
        event("before-spring", "2024-03-10 06:30"),  # 01:30 EST, Sunday
        event("after-spring", "2024-03-10 07:30"),  # 03:30 EDT (02:00 was skipped), Sunday
        event("first-130", "2024-11-03 05:30"),  # 01:30 EDT, Sunday
        event("second-130", "2024-11-03 06:30"),  # 01:30 EST again, Sunday
        event("monday", "2024-07-01 12:00"),  # 08:00 EDT, Monday
        event("friday-night", "2024-01-06 04:59"),  # 23:59 EST on Friday 5 January
    ]
    append(store, rows)
    found = {row["event_uid"]: (row["local_hour"], row["local_dow"]) for row in stored(store, "*")}
    assert found == {
        "before-spring": (1, 7),
        "after-spring": (3, 7),
        "first-130": (1, 7),
        "second-130": (1, 7),
        "monday": (8, 1),
        "friday-night": (23, 5),
    }


def test_identities_are_normalized_and_dictionary_ids_reused_across_appends(store):
    append(store, [event("a", "2024-01-02 10:00", user_name=" Alice ", src_host="WS-1", patient_id=" MRN1 ")])
    append(
        store,
        [
            event("b", "2024-01-02 11:00", user_name="ALICE", src_host="ws-1", patient_id="MRN1"),
            event("c", "2024-01-02 12:00", user_name="bob", patient_id="mrn1"),
        ],
        batch_id=2,
    )
    rows = stored(store, "event_uid, user_id, src_host_id, patient_key")
    assert rows == [
        {"event_uid": "a", "user_id": 1, "src_host_id": 1, "patient_key": 1},
        {"event_uid": "b", "user_id": 1, "src_host_id": 1, "patient_key": 1},
        # patient ids are kept as written (case matters for MRNs): "mrn1" is another patient
        {"event_uid": "c", "user_id": 2, "src_host_id": None, "patient_key": 2},
    ]
    assert store.query("SELECT value FROM dict_user ORDER BY id").column("value").to_pylist() == ["alice", "bob"]
    assert store.query("SELECT value FROM dict_patient ORDER BY id").column("value").to_pylist() == ["MRN1", "mrn1"]


def test_ipv4_addresses_become_numbers_and_others_stay_blank(store):
    rows = [
        event("v4", "2024-01-02 10:00", src_ip=" 10.1.2.3 "),
        event("top", "2024-01-02 10:01", src_ip="255.255.255.255"),
        event("v6", "2024-01-02 10:02", src_ip="2001:db8::1"),
        event("bad", "2024-01-02 10:03", src_ip="300.1.1.1"),
        event("none", "2024-01-02 10:04"),
    ]
    append(store, rows)
    numbers = {row["event_uid"]: row["src_ip_v4"] for row in stored(store, "event_uid, src_ip_v4")}
    assert numbers == {
        "v4": 10 * 2**24 + 1 * 2**16 + 2 * 2**8 + 3,
        "top": 2**32 - 1,
        "v6": None,
        "bad": None,
        "none": None,
    }


def test_enum_fields_are_stored_lower_case_and_store_fields_set(store):
    append(store, [event("a", "2024-01-02 10:00", event_class="Authentication", activity="LOGON", outcome="Failure")])
    row = stored(store, "event_class, activity, outcome, source_id, batch_id, parser, parser_version")[0]
    assert row == {
        "event_class": "authentication",
        "activity": "logon",
        "outcome": "failure",
        "source_id": 1,
        "batch_id": 1,
        "parser": "test",
        "parser_version": "1.0",
    }


def test_a_failing_batch_stores_nothing(store):
    append(store, [event("a", "2024-01-02 10:00", user_name="alice")])
    broken = [event("b", "2024-01-02 11:00", user_name="carol"), event("c", "2024-01-02 12:00", event_class=None)]
    with pytest.raises(Exception, match="NOT NULL"):
        append(store, broken, batch_id=2)
    assert store.count() == 1
    assert store.query("SELECT value FROM dict_user").column("value").to_pylist() == ["alice"]


def test_unknown_time_zone_is_refused(store):
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a known time zone"):
        append(store, [event("a", "2024-01-02 10:00")], zone="Mars/Olympus")


def test_two_threads_appending_both_land(store):
    errors: list[BaseException] = []

    def work(prefix: str) -> None:
        try:
            for n in range(5):
                append(store, [event(f"{prefix}{n}", f"2024-01-02 10:0{n}")], batch_id=n)
        except BaseException as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(prefix,)) for prefix in ("x", "y")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert store.count() == 10


def test_a_store_held_too_long_raises_store_busy(tmp_path):
    holder = temp_store(tmp_path)
    waiting = DuckDBEventStore(holder.path, lock_seconds=0.2)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.connection():
            entered.set()
            release.wait(5)

    thread = threading.Thread(target=hold)
    thread.start()
    entered.wait(5)
    try:
        with pytest.raises(StoreBusy, match=r"The event store org-1\.duckdb is busy: .* more than 0\.2 s"):
            waiting.count()
    finally:
        release.set()
        thread.join()
    assert waiting.count() == 0


def test_store_calls_inside_a_connection_block_reuse_it(store):
    append(store, [event("a", "2024-01-02 10:00")])
    with store.connection() as connection:
        connection.execute("CREATE TEMP TABLE picked AS SELECT event_uid FROM events")
        assert store.query("SELECT count(*) AS n FROM picked").to_pylist() == [{"n": 1}]


def test_another_process_holding_the_file_lock_raises_store_busy(tmp_path):
    store = DuckDBEventStore(tmp_path / "org-1.duckdb", lock_seconds=0.2)
    tmp_path.mkdir(exist_ok=True)
    # flock locks belong to an open file description: this one stands for another process.
    descriptor = os.open(tmp_path / "org-1.duckdb.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    try:
        with pytest.raises(StoreBusy, match="org-1.duckdb is busy"):
            store.count()
    finally:
        fcntl.flock(descriptor, fcntl.LOCK_UN)
        os.close(descriptor)
    assert store.count() == 0
