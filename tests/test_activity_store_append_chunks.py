"""Joining parsed chunks into larger appends: order, rejects and line counts are kept, and a joined chunk stores
exactly what its parts would have."""

from __future__ import annotations

from pathlib import Path

from safeguard.activity.parsers.base import Chunk, Reject
from safeguard.activity.parsers.common import events_table
from safeguard.activity.store.duckdb_append_chunks import coalesced
from tests.test_activity_store_support import event, temp_store


def chunk(*uids: str, rejects: tuple[int, ...] = (), lines: int = 0) -> Chunk:
    rows = [event(uid, f"2024-01-02 10:0{n}") for n, uid in enumerate(uids)]
    refused = [Reject(line=line, field="time", reason="is empty") for line in rejects]
    return Chunk(table=events_table(rows), rejects=refused, lines=lines or len(uids) + len(rejects))


def uids(joined: Chunk) -> list[str]:
    return joined.table.column("event_uid").to_pylist()


def test_chunks_are_joined_until_the_row_count_is_reached_and_the_rest_follows():
    parts = [chunk("a", "b", rejects=(3,)), chunk("c"), chunk("d", "e", rejects=(7, 9)), chunk("f")]
    joined = list(coalesced(parts, rows=3))
    assert [uids(part) for part in joined] == [["a", "b", "c"], ["d", "e", "f"]]
    assert [[reject.line for reject in part.rejects] for part in joined] == [[3], [7, 9]]
    assert [part.lines for part in joined] == [4, 5]


def test_a_byte_limit_closes_a_joined_chunk_early():
    parts = [chunk("a"), chunk("b"), chunk("c")]
    one_table = parts[0].table.nbytes
    joined = list(coalesced(parts, rows=100, max_bytes=2 * one_table))
    assert [uids(part) for part in joined] == [["a", "b"], ["c"]]


def test_a_lone_chunk_is_passed_through_and_no_chunks_give_none():
    only = chunk("a")
    assert list(coalesced([only], rows=10)) == [only]
    assert list(coalesced([], rows=10)) == []


def test_a_joined_chunk_stores_what_its_parts_would(tmp_path: Path):
    parts = [chunk("a", "b"), chunk("b", "c"), chunk("a")]
    separately, together = temp_store(tmp_path / "parts"), temp_store(tmp_path / "joined")
    counted = [separately.append(1, 1, p.table, time_zone="UTC", parser="t", parser_version="1") for p in parts]
    (joined,) = coalesced(parts, rows=10)
    result = together.append(1, 1, joined.table, time_zone="UTC", parser="t", parser_version="1")
    assert (sum(r.inserted for r in counted), sum(r.duplicates for r in counted)) == (3, 2)
    assert (result.inserted, result.duplicates) == (3, 2)
    query = "SELECT event_uid, time FROM events ORDER BY event_uid"
    assert together.query(query).to_pylist() == separately.query(query).to_pylist()
