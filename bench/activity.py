"""Activity review benchmark: the issue's gates on the design note's data set (Appendix C), 10M events by default.

Run: .venv/bin/python bench/activity.py [--events 10000000 | --quick] [--seed 7] [--batches 100]
     [--format-events 500000] [--sqlite-events 1000000] [--skip-formats] [--skip-sqlite]

Measures, on a throwaway DuckDB store file:
- ingestion into the store: the generated events appended per source in 1M-row batches (events/s);
- G1: evaluate() of the 30 Appendix A rules over the whole month, in a fresh process (so its peak memory is the
  evaluation's own), with the ten slowest rules;
- G2: that process's peak RSS, with the store's memory cap (ACTIVITY_STORE_MEMORY_LIMIT, 2GB unless
  --memory-limit says otherwise); candidates per rule, and the recall of the injected scenarios (every brute-force
  burst, password spray and snooping spree must be inside an alert of its rule);
- G3/G4: ingestion of a FHIR AuditEvent NDJSON file and an EHR access-log CSV written by
  bench/activity_formats.py. The gate is the design note's "ingest and normalize": the parser's work from the file
  to normalized, checked events (its prototype's figures were measured so, without storage). The append into the
  store is timed apart and printed with the end-to-end rate, and the file's size with MB/s, since the FHIR events
  written here (about 1.3 KB) are larger than the note's (about 970 B);
- evidence: collect_evidence() for the candidates a run would record, timed apart from evaluate(): after G1 every
  candidate (a backfill: every alert is new), after each G5 batch the candidates that are new or grew against the
  state the previous five minutes left (recording into the main database is not part of this benchmark);
- G5: 100 five-minute micro-batches at random peak times (all rules, lookback included): p50, p95, max;
- the ratio against pysigma-backend-sqlite (tests/activity_sqlite_oracle.py) for brute force, spray and mass
  viewing on a slice of about 1M events.
Prints figures and a gate table; asserts nothing about time. The machine's load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

RULES_FILE = Path(__file__).resolve().parent / "activity_rules" / "appendix_a.yml"
APPEND_ROWS = 1_000_000
SQLITE_RULES = ("r01_brute_force_user", "r03_spray", "r12_mass_viewing")
SCENARIO_RULES = {
    "brute_force_bursts": ("r01_brute_force_user", "user_name"),
    "password_sprays": ("r03_spray", "src_ip"),
    "snooping_sprees": ("r12_mass_viewing", "user_name"),
}
GATES = {  # gate → (target text, passes(value))
    "G1": ("30 rules / 10M ≤ 20 s (stretch 10 s)", lambda v: v <= 20.0),
    "G2": ("peak RSS ≤ 4 GB", lambda v: v <= 4.0),
    "G3": ("FHIR NDJSON parse+normalize ≥ 400k/s", lambda v: v >= 400_000),
    "G4": ("EHR CSV parse+normalize ≥ 1M rows/s", lambda v: v >= 1_000_000),
    "G5": ("5-min micro-batch p95 ≤ 1 s", lambda v: v <= 1.0),
}


def setup_django() -> None:
    """The store reads a few settings; nothing here touches the main database."""
    os.environ.update(DEBUG="0", SECRET_KEY="bench-" + "x" * 50, ALLOWED_HOSTS="127.0.0.1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguard.settings")
    import django

    django.setup()


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def rule_documents(enabled: tuple[str, ...] | None = None) -> list[Any]:
    """Appendix A as stored rules: building blocks (b_*) compiled but not run on their own."""
    import yaml

    from safeguard.activity.engine import RuleDocument

    documents = []
    for text in RULES_FILE.read_text().split("\n---\n"):
        name = yaml.safe_load(text)["name"]
        runs = not name.startswith("b_") and (enabled is None or name in enabled)
        documents.append(RuleDocument(name=name, yaml=text, enabled=runs))
    return documents


# The evaluation process (G1, G2): a fresh interpreter, so its peak RSS is the evaluation's.


def evaluate_in_child(store_path: Path, start: datetime, end: datetime, memory_limit: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--evaluate", str(store_path), start.isoformat(), end.isoformat()]
    # The store's documented cap (ACTIVITY_STORE_MEMORY_LIMIT), as a worker sharing the machine would run with.
    environment = {**os.environ, "ACTIVITY_STORE_MEMORY_LIMIT": memory_limit}
    done = subprocess.run(  # noqa: S603 - our own script
        command, capture_output=True, text=True, check=False, env=environment
    )
    if done.returncode != 0:
        raise SystemExit(f"the evaluation process failed:\n{done.stderr}")
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def peak_rss_gb() -> float:
    """This process's peak resident memory (VmHWM). Not getrusage's ru_maxrss: Linux carries that across the
    fork and exec that started this process, so it would report the parent's peak (the generated data set)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024**2
    raise RuntimeError("no VmHWM in /proc/self/status (the benchmark needs Linux)")


def evaluate_here(store_path: Path, start: datetime, end: datetime) -> None:
    setup_django()
    from safeguard.activity.engine import collect_evidence, compile_rules, evaluate
    from safeguard.activity.store.duckdb import DuckDBEventStore

    store = DuckDBEventStore(store_path)
    began = time.perf_counter()
    compiled = compile_rules(rule_documents())
    compiled_at = time.perf_counter()
    result = evaluate(store, compiled, organization_id=1, start=start, end=end)
    finished = time.perf_counter()
    evaluate_rss = peak_rss_gb()
    collect_evidence(store, compiled, organization_id=1, start=start, end=end, candidates=result.candidates)
    evidence_s = time.perf_counter() - finished
    candidates = [
        {"rule": c.rule_name, "key": c.group_key, "first": c.first_seen.isoformat(), "last": c.last_seen.isoformat()}
        for c in result.candidates
        if c.rule_name in {rule for rule, _ in SCENARIO_RULES.values()}
    ]
    figures = {
        "compile_s": compiled_at - began,
        "evaluate_s": finished - compiled_at,
        "rss_gb": evaluate_rss,
        "evidence_s": evidence_s,
        "evidence_candidates": len(result.candidates),
        "evidence_rss_gb": peak_rss_gb(),
        "stats": [vars(stat) for stat in result.stats],
        "scenario_candidates": candidates,
    }
    print(json.dumps(figures))


# Steps of the parent process.


def build_store(folder: Path, generated: Any) -> tuple[Any, float, int]:
    from bench.activity_generator import by_source
    from safeguard.activity.store.duckdb import DuckDBEventStore

    store = DuckDBEventStore(folder / "org-1.duckdb", lock_seconds=600)
    tables = by_source(generated)
    inserted = 0
    began = time.perf_counter()
    for batch, (source_id, table) in enumerate(sorted(tables.items()), start=1):
        for offset in range(0, table.num_rows, APPEND_ROWS):
            result = store.append(
                source_id,
                batch,
                table.slice(offset, APPEND_ROWS),
                time_zone="UTC",
                parser="bench",
                parser_version="1",
            )
            inserted += result.inserted
    seconds = time.perf_counter() - began
    store.load_reference(generated.reference)
    return store, seconds, inserted


def scenarios(generated: Any, background: int) -> dict[str, list[tuple[str, datetime, datetime]]]:
    """Each injected scenario as (group value, first event, last event), read back from its event uids: the
    generator numbers background events 0..n-1, then bursts, sprays and sprees in that order."""
    import pyarrow.compute as pc

    table = generated.table
    index = pc.cast(pc.utf8_slice_codeunits(table.column("event_uid"), 1), "int64")
    sizes = {"brute_force_bursts": 30, "password_sprays": 40, "snooping_sprees": 300}
    found: dict[str, list[tuple[str, datetime, datetime]]] = {}
    first = background
    for name, size in sizes.items():
        count = generated.injected[name]
        rows = table.filter(pc.and_(pc.greater_equal(index, first), pc.less(index, first + count * size)))
        rows = rows.append_column(
            "_n", pc.subtract(pc.cast(pc.utf8_slice_codeunits(rows["event_uid"], 1), "int64"), first)
        )
        groups: dict[int, list[dict[str, Any]]] = {}
        for row in rows.select(["_n", "time", "user_name", "src_ip"]).to_pylist():
            groups.setdefault(row["_n"] // size, []).append(row)
        field = SCENARIO_RULES[name][1]
        found[name] = [
            (str(events[0][field]).lower(), min(e["time"] for e in events), max(e["time"] for e in events))
            for events in groups.values()
        ]
        first += count * size
    return found


def recall(
    injected: dict[str, list[tuple[str, datetime, datetime]]], candidates: list[dict[str, Any]]
) -> dict[str, str]:
    out = {}
    for name, items in injected.items():
        rule, field = SCENARIO_RULES[name]
        alerts = [
            (c["key"].get(field, "").lower(), datetime.fromisoformat(c["first"]), datetime.fromisoformat(c["last"]))
            for c in candidates
            if c["rule"] == rule
        ]
        hit = sum(
            any(key == value and first <= end and last >= start for key, first, last in alerts)
            for value, start, end in items
        )
        out[name] = f"{hit}/{len(items)}"
    return out


def _changed(candidates: list[Any], before: dict[str, Any]) -> list[Any]:
    """What a run would collect evidence for: candidates without an alert yet, or whose bucket grew."""
    changed = []
    for candidate in candidates:
        known = before.get(candidate.uid)
        if known is None or (candidate.last_seen, candidate.anchor_count) > (known.last_seen, known.anchor_count):
            changed.append(candidate)
    return changed


def micro_batches(store: Any, generated: Any, count: int, seed: int) -> tuple[list[float], list[float], list[int]]:
    """(evaluate seconds, evidence seconds, candidates needing evidence) per batch."""
    from safeguard.activity.engine import collect_evidence, compile_rules, evaluate

    compiled = compile_rules(rule_documents())
    rng = random.Random(seed)
    days = (generated.end - generated.start).days
    seconds: list[float] = []
    evidence: list[float] = []
    changed: list[int] = []
    step = timedelta(minutes=5)
    for _ in range(count):
        # Peak: a weekday-agnostic working hour, 09:00–17:00, after the first day so the lookback has data.
        start = generated.start + timedelta(days=rng.randrange(1, days), seconds=rng.randrange(9 * 3600, 17 * 3600))
        # The alerts as the previous micro-batch left them (untimed): whole buckets up to this batch's start.
        before = {
            c.uid: c for c in evaluate(store, compiled, organization_id=1, start=start - step, end=start).candidates
        }
        began = time.perf_counter()
        found = evaluate(store, compiled, organization_id=1, start=start, end=start + step).candidates
        evaluated = time.perf_counter()
        wanted = _changed(found, before)
        collect_evidence(store, compiled, organization_id=1, start=start, end=start + step, candidates=wanted)
        seconds.append(evaluated - began)
        evidence.append(time.perf_counter() - evaluated)
        changed.append(len(wanted))
    return seconds, evidence, changed


def _p50_p95(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), statistics.quantiles(values, n=20, method="inclusive")[18] if len(
        values
    ) > 1 else values[0]


def ingest_file(
    folder: Path, format_name: str, path: Path, mapping: dict[str, str]
) -> tuple[float, float, int, int, int]:
    """(parse seconds, append seconds, events parsed, events stored, rejects) for one file into a fresh store."""
    from safeguard.activity.parsers import parser_for
    from safeguard.activity.parsers.base import SourceConfig
    from safeguard.activity.services.ingestion import APPEND_ROWS as APPEND_ROWS_INGEST
    from safeguard.activity.store.duckdb import DuckDBEventStore
    from safeguard.activity.store.duckdb_append_chunks import coalesced

    store = DuckDBEventStore(folder / f"org-{format_name}.duckdb", lock_seconds=600)
    parser = parser_for(format_name)
    source = SourceConfig(source_id=1, kind="ehr", time_zone="America/New_York", mapping=mapping)
    parse_s = append_s = 0.0
    parsed = events = rejects = 0
    began = time.perf_counter()
    # As the ingestion service reads: the parser's chunks joined into appends of about half a million rows. The
    # CSV parser's fast path reads the whole file inside parse(), so the call is timed too.
    chunks = iter(coalesced(parser.parse(path, source), rows=APPEND_ROWS_INGEST))
    parse_s += time.perf_counter() - began
    while True:
        began = time.perf_counter()
        chunk = next(chunks, None)
        parse_s += time.perf_counter() - began
        if chunk is None:
            break
        rejects += len(chunk.rejects)
        parsed += chunk.table.num_rows
        began = time.perf_counter()
        result = store.append(
            1, 1, chunk.table, time_zone=source.time_zone, parser=parser.name, parser_version=parser.version
        )
        append_s += time.perf_counter() - began
        events += result.inserted
    return parse_s, append_s, parsed, events, rejects


CSV_MAPPING = {
    "time": "ACCESS_TIME",
    "user_name": "USER_ID",
    "patient_id": "PAT_ID",
    "action": "METRIC_NAME",
    "workstation": "WORKSTATION",
    "ip": "IP",
}


def format_gates(folder: Path, generated: Any, events: int) -> dict[str, float]:
    try:
        from bench.activity_formats import write_ehr_csv, write_fhir_ndjson
    except ImportError:
        print("G3/G4: bench/activity_formats.py is absent: skipped")
        return {}
    table = generated.table.slice(0, events).drop_columns(["source_id"])
    rates: dict[str, float] = {}
    for gate, format_name, name, write, mapping in (
        ("G3", "fhir_audit", "audit.ndjson", lambda p: write_fhir_ndjson(table, p), {}),
        ("G4", "ehr_csv", "access.csv", lambda p: write_ehr_csv(table, p, "America/New_York"), CSV_MAPPING),
    ):
        path = folder / name
        began = time.perf_counter()
        write(path)
        written = time.perf_counter() - began
        parse_s, append_s, parsed, stored, rejects = ingest_file(folder, format_name, path, mapping)
        megabytes = path.stat().st_size / 1e6
        rates[gate] = parsed / parse_s
        print(
            f"{gate} {format_name}: {megabytes:,.0f} MB ({megabytes * 1e6 / max(parsed, 1):,.0f} B an event) "
            f"written in {written:.1f} s; {parsed:,} events parsed ({rejects} rejects), {stored:,} stored: "
            f"parse + normalize {parse_s:.2f} s = {rates[gate]:,.0f}/s, {megabytes / parse_s:,.0f} MB/s; "
            f"store append {append_s:.2f} s; end to end {stored / (parse_s + append_s):,.0f} stored/s"
        )
        path.unlink()
    return rates


def sqlite_ratio(store: Any, generated: Any, events: int) -> None:
    from safeguard.activity.engine import compile_rules, evaluate
    from tests.activity_sqlite_oracle import SqliteOracle, rules_by_name

    total = generated.table.num_rows
    days = max(1, min(30, round(30 * events / total)))
    end = generated.start + timedelta(days=days)
    import pyarrow.compute as pc

    sliced = generated.table.filter(pc.less(generated.table["time"], end))
    began = time.perf_counter()
    oracle = SqliteOracle(sliced)
    loaded = time.perf_counter() - began
    rules = rules_by_name(RULES_FILE.read_text())
    print(f"sqlite slice: {sliced.num_rows:,} events ({days} days) loaded into SQLite in {loaded:.1f} s")
    for name in SQLITE_RULES:
        compiled = compile_rules(rule_documents(enabled=(name,)))
        began = time.perf_counter()
        ours = evaluate(store, compiled, organization_id=1, start=generated.start, end=end)
        ours_s = time.perf_counter() - began
        began = time.perf_counter()
        theirs = oracle.anchors(name, rules)
        theirs_s = time.perf_counter() - began
        print(
            f"  {name:<22} ours {ours_s:6.2f} s ({ours.stats[0].anchors} anchor events)   "
            f"pysigma-sqlite {theirs_s:7.2f} s ({len(theirs)} anchor times)   ratio {theirs_s / ours_s:6.1f}×"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--quick", action="store_true", help="1M events")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--format-events", type=int, default=500_000)
    parser.add_argument("--sqlite-events", type=int, default=1_000_000)
    parser.add_argument("--skip-formats", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument(
        "--memory-limit", default="2GB", help="ACTIVITY_STORE_MEMORY_LIMIT for the G1/G2 process ('' for DuckDB's)"
    )
    parser.add_argument("--evaluate", nargs=3, metavar=("STORE", "START", "END"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.evaluate:
        path, start, end = args.evaluate
        evaluate_here(Path(path), datetime.fromisoformat(start), datetime.fromisoformat(end))
        return
    events = 1_000_000 if args.quick else args.events
    setup_django()
    from bench.activity_generator import generate

    print(load_average())
    began = time.perf_counter()
    generated = generate(events, seed=args.seed)
    print(f"generated {generated.table.num_rows:,} events in {time.perf_counter() - began:.1f} s; {generated.injected}")
    injected = scenarios(generated, events)
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="activity-bench-") as scratch:
        folder = Path(scratch)
        store, seconds, inserted = build_store(folder, generated)
        size = (folder / "org-1.duckdb").stat().st_size / 1e6
        rate = inserted / seconds
        print(f"store ingestion: {inserted:,} events in {seconds:.1f} s = {rate:,.0f} events/s; {size:,.0f} MB")
        print(load_average())
        figures = evaluate_in_child(store.path, generated.start, generated.end, args.memory_limit)
        results["G1"], results["G2"] = figures["evaluate_s"], figures["rss_gb"]
        stats = figures["stats"]
        print(
            f"G1 evaluate: {figures['evaluate_s']:.2f} s for {len(stats)} rules "
            f"(compile {figures['compile_s']:.2f} s); "
            f"{inserted / figures['evaluate_s']:,.0f} events/s; G2 peak RSS {figures['rss_gb']:.2f} GB "
            f"(store memory limit {args.memory_limit or 'DuckDB default'}). {load_average()}"
        )
        print(
            f"  evidence for all {figures['evidence_candidates']:,} candidates (a backfill): "
            f"{figures['evidence_s']:.2f} s; peak RSS with it {figures['evidence_rss_gb']:.2f} GB"
        )
        print("  slowest rules:")
        for stat in sorted(stats, key=lambda s: -s["milliseconds"])[:10]:
            print(f"    {stat['rule']:<30} {stat['milliseconds']:6d} ms")
        print("  candidates (anchors) per rule:")
        for stat in stats:
            print(f"    {stat['rule']:<30} {stat['candidates']:8,d} ({stat['anchors']:,})")
        found = recall(injected, figures["scenario_candidates"])
        print(f"  recall of injected scenarios: {found}")
        if args.batches:
            latencies, evidence, changed = micro_batches(store, generated, args.batches, args.seed)
            p50, p95 = _p50_p95(latencies)
            results["G5"] = p95
            print(
                f"G5 micro-batches ({len(latencies)} × 5 min, all rules): p50 {p50 * 1000:.0f} ms, "
                f"p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms. {load_average()}"
            )
            e50, e95 = _p50_p95(evidence)
            print(
                f"  evidence for the new or grown candidates (median {statistics.median(changed):g}, "
                f"max {max(changed)} a batch): p50 {e50 * 1000:.0f} ms, p95 {e95 * 1000:.0f} ms, "
                f"max {max(evidence) * 1000:.0f} ms"
            )
        if not args.skip_formats:
            results.update(format_gates(folder, generated, min(args.format_events, generated.table.num_rows)))
        if not args.skip_sqlite:
            sqlite_ratio(store, generated, args.sqlite_events)
    print(f"\n{'gate':<5} {'target':<40} {'measured':>14}  verdict")
    units = {"G1": "{:.2f} s", "G2": "{:.2f} GB", "G3": "{:,.0f}/s", "G4": "{:,.0f}/s", "G5": "{:.3f} s"}
    for gate, (target, passes) in GATES.items():
        if gate not in results:
            print(f"{gate:<5} {target:<40} {'not run':>14}")
            continue
        value = results[gate]
        scale = "" if gate != "G1" or events >= 10_000_000 else f" (at {events / 1e6:g}M)"
        print(f"{gate:<5} {target:<40} {units[gate].format(value):>14}  {'PASS' if passes(value) else 'MISS'}{scale}")
    print(f"recall: {found}; {load_average()}")


if __name__ == "__main__":
    main()
