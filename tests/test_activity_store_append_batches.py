"""Appending large and awkward batches: rows out of time order, tables in several chunks, other timestamp units,
values seen only on duplicates, blank identities, and a failed append inside a connection block."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from safeguard.activity.parsers.common import events_table
from safeguard.activity.store.duckdb import DuckDBEventStore
from safeguard.activity.store.duckdb_append import FEW_REPEATS
from tests.test_activity_store_support import append, at, event, temp_store


@pytest.fixture
def store(tmp_path: Path) -> DuckDBEventStore:
    return temp_store(tmp_path)


def in_storage_order(store: DuckDBEventStore) -> list[str]:
    return store.query("SELECT event_uid FROM events ORDER BY rowid").column("event_uid").to_pylist()


def words(store: DuckDBEventStore, table: str) -> list[str]:
    return store.query(f"SELECT value FROM {table} ORDER BY id").column("value").to_pylist()


def test_rows_out_of_time_order_are_written_in_time_order_keeping_ties_in_arrival_order(store):
    rows = [
        event("late", "2024-01-02 12:00"),
        event("tie-1", "2024-01-02 10:00"),
        event("early", "2024-01-02 09:00"),
        event("tie-2", "2024-01-02 10:00"),
    ]
    result = append(store, rows)
    assert (result.first_event_at, result.last_event_at) == (at("2024-01-02 09:00"), at("2024-01-02 12:00"))
    assert in_storage_order(store) == ["early", "tie-1", "tie-2", "late"]


def test_a_value_seen_only_on_a_duplicate_gets_no_dictionary_id(store):
    append(store, [event("a", "2024-01-02 10:00", user_name="alice")])
    rows = [
        event("a", "2024-01-02 10:00", user_name="mallory", patient_id="MRN9"),
        event("b", "2024-01-02 11:00", user_name="bob"),
        event("b", "2024-01-02 11:00", user_name="eve"),
    ]
    result = append(store, rows, batch_id=2)
    assert (result.inserted, result.duplicates) == (1, 2)
    assert words(store, "dict_user") == ["alice", "bob"]
    assert words(store, "dict_patient") == []


def test_blank_identities_store_no_id_and_spellings_of_one_value_share_it(store):
    rows = [
        event("a", "2024-01-02 10:00", user_name="   ", src_ip="", src_host=" ", patient_id=""),
        event("b", "2024-01-02 10:01", user_name=" Zed", src_ip=" 10.0.0.1", src_host="WS-9"),
        event("c", "2024-01-02 10:02", user_name="zed ", src_ip="10.0.0.1 ", src_host="ws-9 "),
        event("d", "2024-01-02 10:03", user_name="Amy", src_ip="10.0.0.2"),
    ]
    append(store, rows)
    found = store.query(
        "SELECT event_uid, user_id, src_ip_id, src_ip_v4, src_host_id, patient_key FROM events ORDER BY event_uid"
    ).to_pylist()
    assert found == [
        {"event_uid": "a", "user_id": None, "src_ip_id": None, "src_ip_v4": None, "src_host_id": None,
         "patient_key": None},
        {"event_uid": "b", "user_id": 2, "src_ip_id": 1, "src_ip_v4": 10 * 2**24 + 1, "src_host_id": 1,
         "patient_key": None},
        {"event_uid": "c", "user_id": 2, "src_ip_id": 1, "src_ip_v4": 10 * 2**24 + 1, "src_host_id": 1,
         "patient_key": None},
        {"event_uid": "d", "user_id": 1, "src_ip_id": 2, "src_ip_v4": 10 * 2**24 + 2, "src_host_id": None,
         "patient_key": None},
    ]  # fmt: skip
    # new values get ids in sorted order: "amy" before "zed"
    assert words(store, "dict_user") == ["amy", "zed"]


def test_a_table_in_several_chunks_with_nanosecond_times_is_stored_like_one(store):
    first = events_table([event("a", "2024-01-02 10:00", user_name="alice"), event("b", "2024-01-02 10:05")])
    second = events_table([event("c", "2024-01-02 10:10", user_name="ALICE"), event("a", "2024-01-02 10:00")])
    table = pa.concat_tables([first, second])
    nanoseconds = table.set_column(1, "time", table.column("time").cast(pa.timestamp("ns", tz="UTC")))
    assert nanoseconds.column("user_name").num_chunks == 2
    result = store.append(1, 1, nanoseconds, time_zone="UTC", parser="test", parser_version="1.0")
    assert (result.inserted, result.duplicates) == (3, 1)
    found = store.query("SELECT event_uid, time, user_id FROM events ORDER BY event_uid").to_pylist()
    assert found == [
        {"event_uid": "a", "time": at("2024-01-02 10:00"), "user_id": 1},
        {"event_uid": "b", "time": at("2024-01-02 10:05"), "user_id": None},
        {"event_uid": "c", "time": at("2024-01-02 10:10"), "user_id": 1},
    ]


def test_every_row_of_a_large_batch_keeps_its_own_identities(store):
    count = 5_000
    rows = [
        event(
            f"e{n}",
            f"2024-01-0{1 + n % 9} {n % 24:02d}:00",
            user_name=f"User{n % 37}",
            patient_id=f"P{n % 401}",
            src_host=f"WS{n % 13}" if n % 2 else None,
            src_ip=f"10.0.{n % 7}.{n % 11}",
        )
        for n in range(count)
    ]
    result = append(store, rows + rows[:100], zone="UTC")
    assert (result.inserted, result.duplicates) == (count, 100)
    decoded = store.query(
        "SELECT e.event_uid, u.value AS user, p.value AS patient, h.value AS host, i.value AS ip, e.src_ip_v4 "
        "FROM events e LEFT JOIN dict_user u ON u.id = e.user_id LEFT JOIN dict_patient p ON p.id = e.patient_key "
        "LEFT JOIN dict_host h ON h.id = e.src_host_id LEFT JOIN dict_ip i ON i.id = e.src_ip_id"
    ).to_pylist()
    expected = {
        f"e{n}": (f"user{n % 37}", f"P{n % 401}", f"ws{n % 13}" if n % 2 else None, f"10.0.{n % 7}.{n % 11}")
        for n in range(count)
    }
    assert {row["event_uid"]: (row["user"], row["patient"], row["host"], row["ip"]) for row in decoded} == expected
    assert all(row["src_ip_v4"] == 10 * 2**24 + int(row["ip"].split(".")[2]) * 256 + int(row["ip"].split(".")[3])
               for row in decoded)  # fmt: skip
    assert (len(words(store, "dict_user")), len(words(store, "dict_patient")), len(words(store, "dict_ip"))) == (
        37,
        401,
        len({(n % 7, n % 11) for n in range(count)}),
    )


def test_an_append_after_a_failed_one_in_the_same_connection_block_works(store):
    with store.connection():
        with pytest.raises(Exception, match="NOT NULL"):
            append(store, [event("a", "2024-01-02 10:00", user_name="carol", outcome=None)])
        result = append(store, [event("b", "2024-01-02 11:00", user_name="dave")], batch_id=2)
    assert (result.inserted, store.count()) == (1, 1)
    assert words(store, "dict_user") == ["dave"]


@pytest.mark.parametrize("repeated", [3, FEW_REPEATS + 5])
def test_repeats_within_a_batch_few_or_many_keep_the_first_of_each_uid(store, repeated):
    # Few repeats are cut out by slicing, many by a mask; adjacent repeats and a repeat at the end included.
    rows = [event(f"u{index}", "2024-01-02 10:00", raw=f"first {index}") for index in range(repeated)]
    rows += [event(f"u{index}", "2024-01-02 10:00", raw=f"again {index}") for index in range(repeated)]
    rows.insert(1, event("solo", "2024-01-02 10:00", raw="solo"))
    rows.append(event("u0", "2024-01-02 10:00", raw="last"))
    result = append(store, rows)
    assert (result.inserted, result.duplicates) == (repeated + 1, repeated + 1)
    kept = store.query("SELECT raw FROM events ORDER BY rowid").column("raw").to_pylist()
    assert kept == ["first 0", "solo", *(f"first {index}" for index in range(1, repeated))]
