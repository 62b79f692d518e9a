"""Event store append throughput: how fast DuckDBEventStore.append stores parsed events.

Run: .venv/bin/python bench/activity_store.py [--rows 1000000] [--fill 10000000] [--chunk 50000]
     [--raw short|long] [--skip-fill]

Rows come from bench/activity_generator.py's generate(rows), split per source with by_source(), each source's
rows appended `--chunk` rows at a time (0: the whole source in one call), as the ingestion pipeline does per
parsed chunk. Raw lines are added because the generator leaves them blank: `short` is an EHR access-log CSV
line (about 90 bytes), `long` an AuditEvent-like JSON line of about 1 KB. Prints rows/s for:
- the rows into an empty store;
- the same rows re-sent (every one a duplicate);
- new rows (other uids, the same month) into a store already holding `--fill` events (copies of the rows under
  other uids, so the de-duplication really scans the month);
- new rows of the following month into that store (the usual case: a later day's log).
The machine's load average is printed with the figures; nothing about time is asserted.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.activity import load_average, setup_django  # noqa: E402 - after the path is set

LONG_PADDING = 830  # bytes of varied filler, for lines of about 1 KB


def _text(table: pa.Table, name: str) -> pa.Array:
    return pc.fill_null(table.column(name), "")


def with_raw(table: pa.Table, kind: str) -> pa.Table:
    """The table with a raw line per row built from its own fields, so lines vary as real ones do."""
    moment = pc.strftime(table.column("time"), format="%Y-%m-%dT%H:%M:%S")
    fields = [moment, _text(table, "user_name"), _text(table, "patient_id"), _text(table, "action_name")]
    fields += [_text(table, "src_host"), _text(table, "src_ip"), _text(table, "event_uid")]
    line = pc.binary_join_element_wise(*fields, ",")
    if kind == "long":
        uid = _text(table, "event_uid")
        filler = pc.binary_join_element_wise(*([uid, _text(table, "user_name"), moment] * 20), "|")
        line = pc.binary_join_element_wise(
            '{"resourceType":"AuditEvent","recorded":"',
            line,
            '","entity":"',
            pc.utf8_slice_codeunits(filler, 0, LONG_PADDING),
            '"}',
            "",
        )
    return table.set_column(table.schema.get_field_index("raw"), "raw", line)


def renamed(table: pa.Table, prefix: str, *, shift_days: int = 0) -> pa.Table:
    """The same events under other uids (and optionally later), which the store must take as new."""
    uids = pc.binary_join_element_wise(prefix, table.column("event_uid"), "")
    table = table.set_column(table.schema.get_field_index("event_uid"), "event_uid", uids)
    if shift_days:
        moved = pc.add(table.column("time"), pa.scalar(shift_days * 86_400_000_000, pa.duration("us")))
        table = table.set_column(table.schema.get_field_index("time"), "time", moved)
    return table


def append_all(store: Any, tables: dict[int, pa.Table], chunk: int, batch_id: int) -> tuple[int, int, float]:
    """(inserted, duplicates, seconds) for every source's rows, `chunk` rows per call."""
    inserted = duplicates = 0
    began = time.perf_counter()
    for source_id, table in sorted(tables.items()):
        size = chunk or table.num_rows
        for offset in range(0, table.num_rows, size):
            result = store.append(
                source_id,
                batch_id,
                table.slice(offset, size),
                time_zone="America/New_York",
                parser="bench",
                parser_version="1",
            )
            inserted += result.inserted
            duplicates += result.duplicates
    return inserted, duplicates, time.perf_counter() - began


def report(label: str, figures: tuple[int, int, float]) -> None:
    inserted, duplicates, seconds = figures
    rows = inserted + duplicates
    print(
        f"{label:<44} {rows:>10,} rows ({inserted:,} new, {duplicates:,} duplicates) in {seconds:6.2f} s "
        f"= {rows / seconds:>10,.0f} rows/s; {load_average()}",
        flush=True,
    )


def per_source(tables: Iterable[tuple[int, pa.Table]], prefix: str, shift_days: int = 0) -> dict[int, pa.Table]:
    return {source_id: renamed(table, prefix, shift_days=shift_days) for source_id, table in tables}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fill", type=int, default=10_000_000)
    parser.add_argument("--chunk", type=int, default=50_000, help="rows per append call; 0: a source at once")
    parser.add_argument("--raw", choices=("short", "long"), default="short")
    parser.add_argument("--skip-fill", action="store_true", help="only the empty store and the duplicates")
    args = parser.parse_args()
    setup_django()
    from bench.activity_generator import by_source, generate
    from safeguard.activity.store.duckdb import DuckDBEventStore

    print(load_average())
    generated = generate(args.rows)
    tables = {source_id: with_raw(table, args.raw) for source_id, table in by_source(generated).items()}
    width = pc.mean(pc.binary_length(pa.chunked_array([t.column("raw") for t in tables.values()]))).as_py()
    print(f"{args.rows:,} rows, {args.raw} raw lines of {width:.0f} bytes on average, {args.chunk:,} rows per call")
    with tempfile.TemporaryDirectory(prefix="activity-store-bench-") as scratch:
        folder = Path(scratch)
        store = DuckDBEventStore(folder / "org-1.duckdb", lock_seconds=600)
        report("into an empty store", append_all(store, tables, args.chunk, 1))
        report("the same rows re-sent (duplicates)", append_all(store, tables, args.chunk, 2))
        if args.skip_fill:
            return
        filled = DuckDBEventStore(folder / "org-2.duckdb", lock_seconds=600)
        copies = max(1, args.fill // args.rows)
        began = time.perf_counter()
        for copy in range(copies):
            append_all(filled, per_source(tables.items(), f"f{copy}-"), 0, copy)
        print(f"filled a store with {filled.count():,} events in {time.perf_counter() - began:.1f} s")
        report(
            "new rows, same month, into the filled store",
            append_all(filled, per_source(tables.items(), "n-"), args.chunk, 90),
        )
        report(
            "new rows, next month, into the filled store",
            append_all(filled, per_source(tables.items(), "m-", shift_days=31), args.chunk, 91),
        )
        report(
            "the same-month rows re-sent (duplicates)",
            append_all(filled, per_source(tables.items(), "n-"), args.chunk, 92),
        )
        size = filled.path.stat().st_size / 1e6
        print(f"filled store file: {size:,.0f} MB")


if __name__ == "__main__":
    main()
