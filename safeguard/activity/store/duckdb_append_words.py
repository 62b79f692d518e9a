"""Dictionary encoding of a batch's identities, value by distinct value rather than row by row.

Arrow splits each identity column into its distinct strings and one index per row; only the distinct strings go
through DuckDB (normalized there, so the layout's rules have one definition, and given ids), and Arrow's `take`
spreads the ids back over the rows. A million rows name a few thousand users, so this replaces four hash joins
over every row with work proportional to the distinct values.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

WORDS = "_append_words"

_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}"
_IPV4_NUMBER = f"""
CASE WHEN regexp_full_match(words.value, '{_IPV4}') THEN
    (CAST(split_part(words.value, '.', 1) AS UBIGINT) << 24) + (CAST(split_part(words.value, '.', 2) AS UBIGINT) << 16)
    + (CAST(split_part(words.value, '.', 3) AS UBIGINT) << 8) + CAST(split_part(words.value, '.', 4) AS UBIGINT)
END
"""


@dataclass(frozen=True)
class Dictionary:
    table: str
    column: str  # the parsers' column
    stored_as: str  # the events table's id column
    normalized: str  # SQL over `written`: the stored value (NULL: none)


DICTIONARIES = (
    Dictionary("dict_user", "user_name", "user_id", "nullif(lower(trim(written)), '')"),
    Dictionary("dict_patient", "patient_id", "patient_key", "nullif(trim(written), '')"),
    Dictionary("dict_host", "src_host", "src_host_id", "nullif(lower(trim(written)), '')"),
    Dictionary("dict_ip", "src_ip", "src_ip_id", "nullif(trim(written), '')"),
)
IDENTITY_COLUMNS = tuple(dictionary.column for dictionary in DICTIONARIES)

_NORMALIZED = "CREATE OR REPLACE TEMP TABLE _append_values AS SELECT position, {normalized} AS value FROM {words}"

_NEW = """
INSERT INTO {table}
SELECT (SELECT coalesce(max(id), 0) FROM {table}) + row_number() OVER (ORDER BY value), value
FROM (SELECT DISTINCT value FROM _append_values WHERE value IS NOT NULL) AS candidates
ANTI JOIN (SELECT value FROM {table} WHERE value IN (SELECT value FROM _append_values)) AS known USING (value)
"""  # noqa: S608  (table names of this module)

_NEW_WORDS = """
INSERT INTO {table}
SELECT (SELECT coalesce(max(id), 0) FROM {table}) + row_number() OVER (ORDER BY value), value
FROM (SELECT DISTINCT {column} AS value FROM {source} WHERE {column} IS NOT NULL) AS candidates
ANTI JOIN {table} AS known USING (value)
"""  # noqa: S608  (table names of the store's modules)

_IDS = """
SELECT known.id, known.id IS NULL AND words.value IS NOT NULL AS unknown{extra}
FROM _append_values AS words
LEFT JOIN (SELECT id, value FROM {table} WHERE value IN (SELECT value FROM _append_values)) AS known
    ON known.value = words.value
ORDER BY words.position
"""  # noqa: S608  (table names of this module)


def add_new_words(connection: duckdb.DuckDBPyConnection, table: str, column: str, source: str) -> None:
    """Give the values of `source.column` that `table` lacks the next ids (the reference tables' names)."""
    connection.execute(_NEW_WORDS.format(table=table, column=column, source=source))


def _distinct(column: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, pa.Array]:
    """(distinct strings, the index of each row's string in them; null for a null)."""
    plain = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    encoded = pc.dictionary_encode(plain.cast(pa.string()))
    return encoded.dictionary, encoded.indices


def encode(connection: duckdb.DuckDBPyConnection, table: pa.Table) -> dict[str, pa.Array]:
    """The events table's id columns (user_id, patient_key, src_host_id, src_ip_id, src_ip_v4) for `table`,
    adding values not yet in a dictionary with the next ids (sorted, so ids are reproducible)."""
    columns: dict[str, pa.Array] = {}
    for dictionary in DICTIONARIES:
        distinct, indices = _distinct(table.column(dictionary.column))
        words = pa.table({"position": pa.array(range(len(distinct)), pa.int32()), "written": distinct})
        connection.register(WORDS, words)
        connection.execute(_NORMALIZED.format(normalized=dictionary.normalized, words=WORDS))
        connection.unregister(WORDS)
        is_ip = dictionary.table == "dict_ip"
        ids_sql = _IDS.format(table=dictionary.table, extra=f", {_IPV4_NUMBER} AS v4" if is_ip else "")
        found = connection.sql(ids_sql).to_arrow_table()
        # Once a source's people and patients are known, most batches bring no new value: one scan suffices.
        if pc.any(found.column("unknown")).as_py():
            connection.execute(_NEW.format(table=dictionary.table))
            found = connection.sql(ids_sql).to_arrow_table()
        connection.execute("DROP TABLE _append_values")
        ids = found.column("id").combine_chunks().cast(pa.int32())
        columns[dictionary.stored_as] = pc.take(ids, indices)
        if is_ip:
            columns["src_ip_v4"] = pc.take(found.column("v4").combine_chunks().cast(pa.uint64()), indices)
    return columns
