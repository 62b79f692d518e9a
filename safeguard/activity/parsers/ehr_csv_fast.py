"""The fast path for large EHR CSV exports: DuckDB splits the rows and applies the mapping in SQL on all cores.

It takes only what it can read exactly as the row-by-row reader would: times in the shapes matched below (the rest
of the rows go to that reader, which also words every reject), actions and outcomes by table lookup, counts of plain
digits. Rows are joined to their line by number, which holds only when no quoted value spans lines, so `read`
answers None (and the caller reads the file row by row) when the row and line counts disagree or DuckDB refuses the
file. Local times take the offset Python's zoneinfo gives (fold=0), computed per distinct minute: ICU resolves the
repeated hour of a DST change the other way."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from safeguard.activity.parsers.common import EVENTS_SCHEMA
from safeguard.activity.parsers.ehr_csv_actions import FAILED_ACTIONS, OUTCOMES
from safeguard.activity.parsers.ehr_csv_mapping import CsvMapping
from safeguard.activity.schema import Activity

PLAIN_FIELDS = (
    "patient_id", "patient_id_system", "outcome_reason", "src_host", "src_ip", "purpose_of_use", "user_upn",
    "session_id", "dst_service", "dst_host", "resource_type",
)  # fmt: skip
SESSION_ACTIVITIES = (Activity.LOGON.value, Activity.LOGOFF.value)
# Whitespace other than spaces, which str.strip() removes and SQL trim() does not: a row carrying any is left to the
# row-by-row reader (trim with a character list costs several times more on every value).
OTHER_SPACES = "[\t\n\r\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3}|\.[0-9]{6})?"
ISO_LOCAL = _ISO + "$"
ISO_ZONED = _ISO + r"(Z|[+-][0-9]{2}:[0-9]{2})$"
# strptime directives read the same way by Python and DuckDB, as patterns no looser than Python's.
DIRECTIVES = {
    "Y": "[0-9]{4}",
    "m": "(1[0-2]|0[1-9]|[1-9])",
    "d": "(3[01]|[12][0-9]|0[1-9]|[1-9])",
    "H": "(2[0-3]|[01][0-9]|[0-9])",
    "I": "(1[0-2]|0[1-9]|[1-9])",
    "M": "([0-5][0-9]|[0-9])",
    "S": "([0-5][0-9]|[0-9])",
    "p": "(AM|PM)",
    "%": "%",
}
NOWHERE = "\x01"  # a delimiter that never occurs, to read each line whole


def format_pattern(time_format: str) -> str | None:
    """A pattern the values DuckDB's strptime may read must match, or None when the format uses other directives."""
    if ("%I" in time_format) != ("%p" in time_format):
        return None
    parts = re.split(r"(%.)", time_format)
    pattern = ""
    for part in parts:
        if part.startswith("%") and len(part) == 2:
            if part[1] not in DIRECTIVES:
                return None
            pattern += DIRECTIVES[part[1]]
        else:
            pattern += re.escape(part)
    return f"^{pattern}$"


class FastCsv:
    def __init__(self, mapping: CsvMapping, positions: dict[str, int], width: int, time_zone: str) -> None:
        self.mapping = mapping
        self.positions = positions
        self.width = width
        self.zone = ZoneInfo(time_zone)

    def read(self, path: Path, columns: int) -> tuple[pa.Table, pa.Table] | None:
        """(events, refused) for the whole file: refused holds line numbers and raw lines of rows the SQL did not
        take (including blank ones); None when the file must be read row by row."""
        connection = duckdb.connect()
        try:
            connection.execute("SET TimeZone = 'UTC'")
            return self._read(connection, path, columns)
        except duckdb.Error:
            return None
        finally:
            connection.close()

    def _read(
        self, connection: duckdb.DuckDBPyConnection, path: Path, columns: int
    ) -> tuple[pa.Table, pa.Table] | None:
        names = [f"c{index}" for index in range(columns)]
        spec = "{" + ", ".join(f"'{name}': 'VARCHAR'" for name in names) + "}"
        source = str(path).replace("'", "''")
        connection.execute(
            f"""CREATE TEMP TABLE fields AS SELECT row_number() OVER () + 1 AS line_no, *
            FROM read_csv('{source}', columns={spec}, header=true, auto_detect=false, quote='"', escape='"',
                          delim=',', nullstr='{NOWHERE}', null_padding=true, strict_mode=true)"""  # noqa: S608
        )
        connection.execute(
            f"""CREATE TEMP TABLE lines AS SELECT row_number() OVER () AS line_no, line
            FROM read_csv('{source}', columns={{'line': 'VARCHAR'}}, header=false, auto_detect=false, quote='',
                          escape='', delim='{NOWHERE}', strict_mode=true)"""  # noqa: S608
        )
        rows, lines = connection.sql("SELECT (SELECT count(*) FROM fields), (SELECT count(*) FROM lines)").fetchall()[0]
        if rows != lines - 1:
            return None
        self._register_tables(connection)
        connection.execute(f"CREATE TEMP TABLE mapped AS {self._mapping_sql(names)}")  # noqa: S608
        self._register_offsets(connection)
        events = connection.sql(self._events_sql()).to_arrow_table()
        refused = connection.sql(
            "SELECT m.line_no, l.line FROM mapped m JOIN lines l USING (line_no) WHERE NOT m.ok ORDER BY m.line_no"
        ).to_arrow_table()
        return _with_schema(events), refused

    def _register_tables(self, connection: duckdb.DuckDBPyConnection) -> None:
        actions = self.mapping.actions
        names = list(actions)
        connection.register("actions", pa.table({"name": names, "activity": [a.value for a in actions.values()]}))
        outcomes = pa.table({"name": list(OUTCOMES), "outcome": [o.value for o in OUTCOMES.values()]})
        connection.register("outcomes", outcomes)

    def _mapping_sql(self, names: list[str]) -> str:
        def value(field: str) -> str:
            position = self.positions.get(field)
            return f"trim(c{position})" if position is not None else "''"

        fallback = f"'{self.mapping.fallback.value}'" if self.mapping.fallback else "NULL"
        failed = ", ".join(f"'{_quoted(name)}'" for name in sorted(FAILED_ACTIONS))
        time = self._time_sql("time_text")
        plain = ", ".join(f"nullif({value(name)}, '') AS {name}" for name in PLAIN_FIELDS if name in self.positions)
        all_fields = " || chr(31) || ".join(names)
        blank = " AND ".join(f"coalesce({value_of(name)}, '') = ''" for name in names)
        width_ok = f"c{self.width - 1} IS NOT NULL"
        return f"""
        WITH v AS (
          SELECT line_no, {width_ok} AS wide_enough, {blank} AS blank,
            {value("action")} AS action, {value("user_name")} AS user_name, {value("outcome")} AS outcome_text,
            {value("record_count")} AS count_text, {value("event_uid")} AS uid_text,
            {value("time")} AS time_text, {all_fields} AS joined,
            regexp_matches(concat({", ".join(names)}), '{OTHER_SPACES}') AS odd_spaces
            {", " + plain if plain else ""}
          FROM fields
        ), t AS (
          SELECT v.*, coalesce(a.activity, {fallback}) AS activity, {time} AS local_or_zoned,
            CASE WHEN lower(action) IN ({failed}) THEN 'failure' WHEN outcome_text = '' THEN 'success'
                 ELSE o.outcome END AS outcome,
            CASE WHEN count_text = '' THEN 1 WHEN regexp_full_match(count_text, '[0-9]{{1,9}}')
                 THEN CAST(count_text AS INTEGER) END AS record_count
          FROM v LEFT JOIN actions a ON a.name = lower(action) LEFT JOIN outcomes o ON o.name = lower(outcome_text)
        )
        SELECT *, wide_enough AND NOT blank AND NOT odd_spaces
          AND activity IS NOT NULL AND user_name <> ''
          AND (local_or_zoned.local IS NOT NULL OR local_or_zoned.utc IS NOT NULL)
          AND outcome IS NOT NULL AND coalesce(record_count >= 1, false) AS ok
        FROM t
        """  # noqa: S608 - built from the mapping's column positions and this module's constants

    def _time_sql(self, text: str) -> str:
        """A struct: the naive local time, or the UTC instant when the value carries its offset."""
        if self.mapping.time_format is None:
            return (
                f"CASE WHEN regexp_full_match({text}, '{_quoted(ISO_LOCAL)}')"
                f" THEN {{'local': TRY_CAST({text} AS TIMESTAMP), 'utc': NULL::TIMESTAMPTZ}}"
                f" WHEN regexp_full_match({text}, '{_quoted(ISO_ZONED)}')"
                f" THEN {{'local': NULL::TIMESTAMP, 'utc': TRY_CAST({text} AS TIMESTAMPTZ)}} END"
            )
        pattern = format_pattern(self.mapping.time_format)
        if pattern is None:
            return "NULL"
        return (
            f"CASE WHEN regexp_full_match({text}, '{_quoted(pattern)}')"
            f" THEN {{'local': try_strptime({text}, '{_quoted(self.mapping.time_format)}'),"
            " 'utc': NULL::TIMESTAMPTZ} END"
        )

    def _register_offsets(self, connection: duckdb.DuckDBPyConnection) -> None:
        minutes = connection.sql(
            "SELECT DISTINCT date_trunc('minute', local_or_zoned.local) AS minute FROM mapped"
            " WHERE ok AND local_or_zoned.local IS NOT NULL"
        ).fetchall()
        offsets = [_offset_seconds(minute, self.zone) for (minute,) in minutes]
        table = pa.table({"minute": pa.array([m for (m,) in minutes], pa.timestamp("us")), "offset_s": offsets})
        connection.register("offsets", table)

    def _events_sql(self) -> str:
        plain = "".join(f", {name}" for name in PLAIN_FIELDS if name in self.positions)
        sessions = ", ".join(f"'{name}'" for name in SESSION_ACTIVITIES)
        return f"""
        SELECT
          CASE WHEN uid_text <> '' THEN uid_text ELSE 'sha256:' || sha256(joined) END AS event_uid,
          coalesce(local_or_zoned.utc,
                   timezone('UTC', local_or_zoned.local - to_seconds(o.offset_s))) AS time,
          CASE WHEN activity IN ({sessions}) THEN 'authentication' ELSE 'record_access' END AS event_class,
          activity, outcome, user_name, record_count, action AS action_name, l.line AS raw, line_no AS raw_offset
          {plain}
        FROM mapped m
        JOIN lines l USING (line_no)
        LEFT JOIN offsets o ON o.minute = date_trunc('minute', m.local_or_zoned.local)
        WHERE m.ok
        ORDER BY line_no
        """  # noqa: S608


def value_of(name: str) -> str:
    return f"trim({name})"


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def _offset_seconds(minute: datetime, zone: ZoneInfo) -> int:
    offset = minute.replace(tzinfo=zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds())


def _with_schema(table: pa.Table) -> pa.Table:
    columns = [
        table.column(field.name).cast(field.type)
        if field.name in table.column_names
        else pa.nulls(table.num_rows, field.type)
        for field in EVENTS_SCHEMA
    ]
    return pa.Table.from_arrays(columns, schema=EVENTS_SCHEMA)


def line_range(table: pa.Table, low: int, high: int) -> pa.Table:
    """Rows whose raw_offset is in [low, high), for a table sorted by raw_offset."""
    offsets = table.column("raw_offset")
    start = pc.sum(pc.less(offsets, low)).as_py() or 0
    stop = pc.sum(pc.less(offsets, high)).as_py() or 0
    return table.slice(start, stop - start)
