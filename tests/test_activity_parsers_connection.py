"""The SQL fast paths' DuckDB connections: one in-memory database per process, a connection of its own for each
parse, in UTC, whose registrations and temporary macros no other parse sees."""

from __future__ import annotations

import os

import pyarrow as pa

from safeguard.activity.parsers.common import _parsing_database, parsing_connection


def test_each_parse_gets_its_own_connection_in_utc_to_one_database():
    first, second = parsing_connection(), parsing_connection()
    try:
        first.register("input_lines", pa.table({"line": ["a"]}))
        second.register("input_lines", pa.table({"line": ["b", "c"]}))
        first.execute("CREATE TEMP MACRO shout(x) AS upper(x)")
        assert first.sql("SELECT count(*) FROM input_lines").fetchall() == [(1,)]
        assert second.sql("SELECT count(*) FROM input_lines").fetchall() == [(2,)]
        assert second.sql("SELECT count(*) FROM duckdb_functions() WHERE function_name = 'shout'").fetchall() == [(0,)]
        assert first.sql("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]
        assert second.sql("SELECT current_setting('TimeZone')").fetchall() == [("UTC",)]
        first.execute("CREATE TABLE shared_marker (x INTEGER)")
        assert second.sql("SELECT count(*) FROM shared_marker").fetchall() == [(0,)]  # one database
        first.execute("DROP TABLE shared_marker")
    finally:
        first.close()
        second.close()


def test_a_forked_process_opens_a_database_of_its_own():
    assert _parsing_database(os.getpid()) is _parsing_database(os.getpid())
    assert _parsing_database(os.getpid() + 1) is not _parsing_database(os.getpid())
