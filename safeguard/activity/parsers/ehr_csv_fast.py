"""The fast path for large EHR CSV exports: DuckDB splits the rows and applies the mapping in SQL on all cores.

It takes only what it can read exactly as the row-by-row reader would: times in the shapes matched below (the rest
of the rows go to that reader, which also words every reject), actions and outcomes looked up in map literals,
counts of plain digits. The n-th row meets the n-th non-empty line after the header, which holds only when no
quoted value spans lines, so `read` answers None (and the caller reads the file row by row) when the row and line
counts disagree or DuckDB refuses the file. Local times take the offset Python's zoneinfo gives (fold=0), computed
per distinct minute: ICU resolves the repeated hour of a DST change the other way.

Measured on 1M rows (62 MB; bench/activity.py's layout with --format-events 1000000; 2 cores): 0.85 s in DuckDB
(reading 0.17 s, the row's SHA-256 uid 0.19 s, the time's shape and cast 0.14 s, the raw lines 0.08 s) and 0.15 s
in Arrow and Python, of which 0.05 s is the byte scan that spares the per-row check for other whitespace (0.14 s)."""

from __future__ import annotations

import mmap
import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from safeguard.activity.parsers.common import SQL_PYTHON_TIMES, with_events_schema
from safeguard.activity.parsers.ehr_csv_actions import FAILED_ACTIONS, OUTCOMES
from safeguard.activity.parsers.ehr_csv_mapping import CsvMapping
from safeguard.activity.schema import Activity

PLAIN_FIELDS = (
    "patient_id", "patient_id_system", "outcome_reason", "src_host", "src_ip", "purpose_of_use", "user_upn",
    "session_id", "dst_service", "dst_host", "resource_type",
)  # fmt: skip
SESSION_ACTIVITIES = (Activity.LOGON.value, Activity.LOGOFF.value)
# Whitespace other than spaces (str.isspace), which str.strip() removes and SQL trim() may not (it takes the Unicode
# space separators, not tabs or line ends): a row carrying any is left to the row-by-row reader (trim with a
# character list costs several times more on every value).
OTHER_SPACE_CHARS = (
    "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
OTHER_SPACES = f"[{OTHER_SPACE_CHARS}]"
# The first bytes of their UTF-8 forms, but for the line ends, which a file holds anyway and are looked at apart.
OTHER_SPACE_BYTES = sorted({char.encode()[0] for char in OTHER_SPACE_CHARS} - {ord("\n"), ord("\r")})
# Hours, minutes and seconds as Python reads them: DuckDB would also take 24:00:00 (the next midnight) and second 60.
_ISO = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{3}|\.[0-9]{6})?"
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
EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - wall times: their zone comes with their offset
MINUTE_US = 60_000_000
HOUR_US = 60 * MINUTE_US
REFUSED_SCHEMA = pa.schema([pa.field("line_no", pa.int64()), pa.field("line", pa.string())])


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
        if holds_byte(path, NOWHERE.encode()):  # the line reader would cut such a line, the field reader nulls it
            return None
        connection = duckdb.connect()
        try:
            connection.execute("SET TimeZone = 'UTC'")
            connection.execute("SET preserve_insertion_order = true")  # rows meet their lines by position
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
        fields = f"""read_csv('{source}', columns={spec}, header=true, auto_detect=false, quote='"', escape='"',
            delim=',', nullstr='{NOWHERE}', null_padding=true, strict_mode=true)"""  # noqa: S608
        lines = f"""read_csv('{source}', columns={{'line': 'VARCHAR'}}, header=false, auto_detect=false, quote='',
            escape='', delim='{NOWHERE}', strict_mode=true)"""  # noqa: S608
        # Both queries only select from one table, which DuckDB guarantees keeps the file's order: the n-th row of
        # the mapping is the n-th line after the header that is not empty (the row reader skips empty lines, the
        # line reader gives them as NULL), without numbering passes, joins or sorts.
        mapping = self._mapping_sql(names, fields, other_spaces=may_hold_other_spaces(path))
        mapped = connection.sql(mapping).to_arrow_table()
        raw = connection.sql(f"SELECT line FROM {lines}").to_arrow_table().column(0)  # noqa: S608
        blank = pa.array([], pa.int64())
        numbers = pa.array(np.arange(2, len(raw) + 1, dtype=np.int64))
        rows_raw = raw.slice(1)
        if raw.null_count:
            if not raw[0].is_valid:
                return None  # a blank first line: the header is not line 1
            empty = pc.is_null(rows_raw)
            blank = pc.filter(numbers, empty)
            numbers = pc.filter(numbers, pc.invert(empty))
            rows_raw = rows_raw.filter(pc.invert(empty))
        if mapped.num_rows != len(numbers):
            return None
        mapped = mapped.append_column("raw", rows_raw).append_column("raw_offset", numbers)
        ok = mapped.column("ok")
        # Empty lines go with the refused rows, which the caller reads as the row reader would: skipped, counted.
        refused = pa.table({"line_no": blank, "line": pa.array([""] * len(blank), pa.string())}, schema=REFUSED_SCHEMA)
        if not pc.all(ok).as_py():
            rejected = mapped.filter(pc.invert(ok)).select(["raw_offset", "raw"]).rename_columns(REFUSED_SCHEMA.names)
            refused = pa.concat_tables([refused, rejected]).sort_by("line_no")
            mapped = mapped.filter(ok)
        events = mapped.drop_columns(["ok", "local_time", "utc_time"]).append_column(
            "time", self._utc(mapped.column("local_time"), mapped.column("utc_time"))
        )
        return with_events_schema(events), refused

    def _utc(self, local: pa.ChunkedArray, utc: pa.ChunkedArray) -> pa.ChunkedArray:
        """Local times as UTC instants, with the offset Python's zoneinfo gives each distinct minute."""
        minutes = pc.floor_temporal(local, unit="minute")
        distinct = pc.unique(minutes).drop_null()
        offsets = pa.array(minute_offsets(distinct.cast(pa.int64()).to_numpy(), self.zone), pa.int64())
        shifts = pc.take(offsets, pc.index_in(minutes, value_set=distinct)).cast(pa.duration("us"))
        from_local = pc.subtract(local, shifts).cast(pa.int64()).cast(pa.timestamp("us", tz="UTC"))
        return pc.coalesce(utc.cast(pa.timestamp("us", tz="UTC")), from_local)

    def _mapping_sql(self, names: list[str], fields: str, *, other_spaces: bool = True) -> str:
        def value(field: str) -> str:
            position = self.positions.get(field)
            return f"trim(c{position})" if position is not None else "''"

        fallback = f"'{self.mapping.fallback.value}'" if self.mapping.fallback else "NULL"
        failed = ", ".join(f"'{_quoted(name)}'" for name in sorted(FAILED_ACTIONS))
        time = self._time_sql("time_text")
        plain = ", ".join(f"nullif({value(name)}, '') AS {name}" for name in PLAIN_FIELDS if name in self.positions)
        # concat_ws skips the NULLs of a row shorter than the header, as the reader joins only the fields it has.
        all_fields = f"concat_ws(chr(31), {', '.join(names)})"
        # A file without such bytes needs no check on each row (the check is a seventh of the query's time).
        odd_spaces = f"regexp_matches(concat({', '.join(names)}), '{OTHER_SPACES}')" if other_spaces else "false"
        width_ok = f"c{self.width - 1} IS NOT NULL"
        sessions = ", ".join(f"'{name}'" for name in SESSION_ACTIVITIES)
        # Lookups in map literals rather than joins, which would give up the file's order.
        actions = _map_literal({name: activity.value for name, activity in self.mapping.actions.items()})
        outcomes = _map_literal({name: outcome.value for name, outcome in OUTCOMES.items()})
        return f"""
        WITH v AS (
          SELECT {width_ok} AS wide_enough,
            {value("action")} AS action, {value("user_name")} AS user_name, {value("outcome")} AS outcome_text,
            {value("record_count")} AS count_text, {value("event_uid")} AS uid_text,
            {value("time")} AS time_text, {all_fields} AS joined,
            {odd_spaces} AS odd_spaces
            {", " + plain if plain else ""}
          FROM {fields}
        ), t AS (
          SELECT *, coalesce({actions}[lower(action)], {fallback}) AS activity, {time} AS local_or_zoned,
            CASE WHEN lower(action) IN ({failed}) THEN 'failure' WHEN outcome_text = '' THEN 'success'
                 ELSE {outcomes}[lower(outcome_text)] END AS outcome,
            CASE WHEN count_text = '' THEN 1 WHEN regexp_full_match(count_text, '[0-9]{{1,9}}')
                 THEN CAST(count_text AS INTEGER) END AS record_count
          FROM v
        ), checked AS (
          SELECT *, wide_enough AND NOT odd_spaces
            AND activity IS NOT NULL AND user_name <> ''  -- a blank row too, which the caller skips
            AND (local_or_zoned.local IS NOT NULL OR local_or_zoned.utc IS NOT NULL)
            AND coalesce(timezone('UTC', local_or_zoned.local), local_or_zoned.utc) {SQL_PYTHON_TIMES}
            AND outcome IS NOT NULL AND coalesce(record_count >= 1, false) AS ok
          FROM t
        )
        SELECT ok,
          CASE WHEN NOT ok THEN NULL WHEN uid_text <> '' THEN uid_text ELSE 'sha256:' || sha256(joined) END
            AS event_uid,
          local_or_zoned.local AS local_time, local_or_zoned.utc AS utc_time,
          CASE WHEN activity IN ({sessions}) THEN 'authentication' ELSE 'record_access' END AS event_class,
          activity, outcome, user_name, record_count, action AS action_name
          {"".join(f", {name}" for name in PLAIN_FIELDS if name in self.positions)}
        FROM checked
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


def _map_literal(pairs: dict[str, str]) -> str:
    return "MAP {" + ", ".join(f"'{_quoted(key)}': '{_quoted(value)}'" for key, value in pairs.items()) + "}"


def _quoted(text: str) -> str:
    return text.replace("'", "''")


def minute_offsets(minutes: np.ndarray, zone: ZoneInfo) -> np.ndarray:
    """The UTC offsets (µs) zoneinfo gives (fold=0) local minutes, as µs since 1970 without zone. Asked once an hour
    at :00 and :59, and of each minute only in an hour where the two differ: no zone changes twice within an hour."""
    hours, index = np.unique(minutes // HOUR_US, return_inverse=True)
    first = np.array([_offset_us(int(hour) * HOUR_US, zone) for hour in hours], np.int64)
    last = np.array([_offset_us(int(hour) * HOUR_US + HOUR_US - MINUTE_US, zone) for hour in hours], np.int64)
    offsets = first[index]
    changing = (first != last)[index]
    offsets[changing] = [_offset_us(int(minute), zone) for minute in minutes[changing]]
    return offsets


def _offset_us(local_us: int, zone: ZoneInfo) -> int:
    local = (EPOCH + timedelta(microseconds=local_us)).replace(tzinfo=zone)
    return (local.utcoffset() or timedelta(0)) // timedelta(microseconds=1)


def holds_byte(path: Path, byte: bytes) -> bool:
    if path.stat().st_size == 0:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        return view.find(byte) >= 0


def may_hold_other_spaces(path: Path) -> bool:
    """Whether a value of the file may hold whitespace other than spaces, from its bytes: a memchr pass per byte
    (about 30 ms for 60 MB), and carriage returns counted against CRLF line ends when there are some (about
    70 ms more for 63 MB)."""
    if path.stat().st_size == 0:
        return False
    with path.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
        if any(view.find(bytes([byte])) >= 0 for byte in OTHER_SPACE_BYTES):
            return True
        if view.find(b"\r") < 0:
            return False
        data = np.frombuffer(view, np.uint8)
        returns = data == ord("\r")
        line_ends = np.count_nonzero(returns[:-1] & (data[1:] == ord("\n")))
        lone = np.count_nonzero(returns) != line_ends
        del data, returns  # the map cannot close while NumPy holds its buffer
        return bool(lone)
