"""Contingency benchmark at the issue's scale: 500 assets with 3 years of nightly backup results (≈ 550,000 rows),
written as CSV and NDJSON files, beside a 50-asset organization to show query counts do not grow.

Run: .venv/bin/python bench/contingency.py [--assets 500 --small 50 --years 3 | --quick] [--all-imports]
Uses a throwaway SQLite database; with a PostgreSQL DATABASE_URL it creates a database beside that one, runs there
and drops it at the end. Measures, through the services the upload task and the command use:
- the import of the CSV file (check, then write in one transaction, then the tracker's re-evaluation, which the
  task backend runs inline here): rows/s; re-importing it (every row a duplicate, nothing inserted; with
  --all-imports also the NDJSON file of the same runs); the NDJSON file into a second organization (a fresh
  write): rows/s;
- then, with restore tests, dependencies, an approved criticality analysis, approved disaster recovery and
  emergency mode plans, an exercise with the plan revision it caused and corrective actions added: backup_status(),
  the readiness view (readiness() and the page through the test client), each of the five 164.308(a)(7)(ii)
  checks and the whole tracker evaluation: time on the large organization, query counts on both sizes;
- the two daily chores (overdue corrective actions, restore tests due), first run and an idempotent second run.
Prints figures and the peak memory; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import _setup  # noqa: E402

TIERS = (1,) * 10 + (2,) * 30 + (3,) * 40 + (4,) * 20  # percent of assets per tier
HEADER = ("asset", "job", "started", "finished", "status", "size", "restore_point", "run_id")


def build(slug: str, assets: int) -> Any:
    """An organization with `assets` assets, each with a recovery profile (a tier mix) and a nightly policy."""
    from safeguard.contingency.models import BackupPolicy, RecoveryProfile
    from safeguard.core.models import Organization
    from safeguard.risk.models import Asset, AssetKind

    org = Organization.objects.create(slug=slug, name=f"Bench {slug}", mfa_required=False)
    made = Asset.objects.bulk_create(
        Asset(organization=org, name=f"Asset {i:04d}", kind=AssetKind.APPLICATION) for i in range(assets)
    )
    RecoveryProfile.objects.bulk_create(
        RecoveryProfile(
            organization=org,
            asset=asset,
            tier=TIERS[i % len(TIERS)],
            business_functions="Bench",
            mtd_minutes=10_080,
            rto_minutes=240,
            rpo_minutes=1440 * TIERS[i % len(TIERS)],
        )
        for i, asset in enumerate(made)
    )
    BackupPolicy.objects.bulk_create(
        BackupPolicy(
            organization=org,
            asset=asset,
            job_name="nightly",
            method="incremental",
            schedule="daily 01:00",
            retention_days=90,
            encrypted_at_rest=True,
            immutable_copy=i % 2 == 0,
            offline_copy=i % 5 == 0,
            created_at=datetime(2000, 1, 1, tzinfo=UTC),
        )
        for i, asset in enumerate(made)
    )
    return org


def runs(assets: int, years: int, end: datetime) -> Iterator[tuple[str, ...]]:
    """Nightly runs per asset: 2% failed, 3% with warnings, 1% of nights skipped (missing)."""
    rng = random.Random(7)
    first = end - timedelta(days=365 * years)
    for i in range(assets):
        for day in range(365 * years):
            roll = rng.random()
            if roll < 0.01:
                continue
            started = first + timedelta(days=day, hours=1, minutes=rng.randrange(30))
            finished = started + timedelta(minutes=20 + rng.randrange(90))
            status = "failed" if roll < 0.03 else "warning" if roll < 0.06 else "success"
            point = "" if status == "failed" else started.isoformat()
            size = str(rng.randrange(10**8, 10**11))
            yield (
                f"Asset {i:04d}",
                "nightly",
                started.isoformat(),
                finished.isoformat(),
                status,
                size,
                point,
                f"r{i}-{day}",
            )


def write_files(rows: Iterator[tuple[str, ...]], folder: Path) -> tuple[Path, Path, int]:
    """The same runs as CSV and NDJSON, written as they are made (never held whole)."""
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, ndjson_path = folder / "results.csv", folder / "results.ndjson"
    count = 0
    with csv_path.open("w", encoding="utf-8") as csv_file, ndjson_path.open("w", encoding="utf-8") as ndjson_file:
        csv_file.write(",".join(HEADER) + "\n")
        for row in rows:
            csv_file.write(",".join(row) + "\n")
            ndjson_file.write(json.dumps({key: value for key, value in zip(HEADER, row, strict=True) if value}) + "\n")
            count += 1
    return csv_path, ndjson_path, count


def timed_import(label: str, org: Any, path: Path, file_format: str) -> Any:
    from safeguard.contingency.services.backup_import import backup_import_local
    from safeguard.core.audit import Actor

    mapping = {name: name for name in ("asset", "job", "started", "finished", "status", "size", "restore_point")}
    mapping["run_id"] = "run_id"
    start = time.perf_counter()
    batch = backup_import_local(
        organization=org, actor=Actor.system("bench"), path=path, file_format=file_format, mapping=mapping
    )
    seconds = time.perf_counter() - start
    print(
        f"{label:<55} {seconds:8.1f} s  {batch.rows_read / seconds:10,.0f} rows/s  "
        f"state={batch.state} inserted={batch.inserted:,} duplicates={batch.duplicates:,}"
    )
    return batch


def counted(fn: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured)


def best_ms(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def reads(org: Any, user: Any, today: date, now: datetime) -> dict[str, Callable[[], Any]]:
    """Every read the issue asks to measure, as it runs for one organization."""
    from django.test import Client
    from django.urls import reverse

    from safeguard.contingency.checks_backups import backup_plan_check
    from safeguard.contingency.checks_criticality import criticality_analysis_check
    from safeguard.contingency.checks_plans import disaster_recovery_plan, emergency_mode_plan
    from safeguard.contingency.checks_testing import restore_tests_and_exercises
    from safeguard.contingency.queries_backups import backup_status
    from safeguard.contingency.queries_overview import readiness
    from safeguard.core.audit import Actor
    from safeguard.tracker.evaluation import tracker_evaluate

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    home = reverse("contingency:home", kwargs={"org_slug": org.slug})
    checks = {
        "(ii)(A) backup plan": backup_plan_check,
        "(ii)(B) disaster recovery plan": disaster_recovery_plan,
        "(ii)(C) emergency mode plan": emergency_mode_plan,
        "(ii)(D) restore tests and exercises": restore_tests_and_exercises,
        "(ii)(E) criticality analysis": criticality_analysis_check,
    }

    def page() -> None:
        response = client.get(home)
        if response.status_code != 200:
            raise SystemExit(f"GET {home} answered {response.status_code}")

    return {
        "backup_status()": lambda: backup_status(org, now=now),
        "readiness()": lambda: readiness(org, today=today, now=now),
        "GET readiness page (first 50 rows)": page,
        **{f"check {name}": partial(fn, org, today) for name, fn in checks.items()},
        "all five (a)(7) checks": lambda: [fn(org, today) for fn in checks.values()],
        "tracker_evaluate() (every requirement)": lambda: tracker_evaluate(
            organization=org, actor=Actor.system("bench"), today=today
        ),
    }


def verdicts(org: Any, today: date) -> None:
    """What the checks found in the generated organization, to show each had work to do."""
    from safeguard.tracker.registry import checks_for

    for letter in "ABCDE":
        citation = f"164.308(a)(7)(ii)({letter})"
        for registered in checks_for(citation):
            result = registered.function(org, today)
            print(f"  {citation:<22} {result.status.value:<16} {result.reason[:90]}")


def compare(large: tuple[Any, Any, int], small: tuple[Any, Any, int], today: date, now: datetime) -> None:
    """Time each read on the large organization; count its queries on both sizes (they must not grow)."""
    big, few = reads(large[0], large[1], today, now), reads(small[0], small[1], today, now)
    for fn in big.values():  # warm: URL modules, templates, settings rows made on first read
        fn()
    for fn in few.values():
        fn()
    print(f"{'read':<42} {large[2]:>5} assets ms  queries  {small[2]:>4} assets queries  flat")
    for label, fn in big.items():
        repeat = 1 if label.startswith("tracker") else 3
        ms, many, fewer = best_ms(fn, repeat), counted(fn), counted(few[label])
        print(f"{label:<42} {ms:14,.1f} {many:8d} {fewer:19d}  {'yes' if many == fewer else 'NO'}")


def chores(today: date) -> None:
    from safeguard.contingency.chores import escalate_overdue_corrective_actions, remind_restore_tests_due

    for label, chore in (
        ("overdue corrective actions", escalate_overdue_corrective_actions),
        ("restore tests due", remind_restore_tests_due),
    ):
        for run in ("first run", "second run (idempotent)"):
            start = time.perf_counter()
            lines = chore(today, False)
            seconds = time.perf_counter() - start
            print(f"chore: {label}, {run:<24} {seconds * 1000:10,.1f} ms  {len(lines):5d} changes")
            for line in lines[:2]:
                print(f"  {line}")


def scratch_postgres() -> tuple[str, str] | None:
    """With a PostgreSQL DATABASE_URL, run in a new database beside it (dropped at the end), never in it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    import psycopg

    name = f"safeguard_bench_{os.getpid()}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    os.environ["DATABASE_URL"] = urlsplit(url)._replace(path=f"/{name}").geturl()
    return url, name


def drop_scratch(scratch: tuple[str, str]) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    url, name = scratch
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"scratch database {name} dropped")


def ingestion(args: argparse.Namespace, large: Any, small: Any, second: Any, now: datetime, folder: Path) -> None:
    from django.urls import reverse

    start = time.perf_counter()
    csv_path, ndjson_path, count = write_files(runs(args.assets, args.years, now), folder / "large")
    small_csv, _, small_count = write_files(runs(args.small, args.years, now), folder / "small")
    written = time.perf_counter() - start
    print(
        f"{count:,} runs of {args.assets} assets and {small_count:,} of {args.small} over {args.years} years "
        f"written in {written:.1f} s"
    )
    print(f"CSV {csv_path.stat().st_size / 2**20:.1f} MB, NDJSON {ndjson_path.stat().st_size / 2**20:.1f} MB\n")

    # Loaded before timing: the first reverse() imports every URL module (the check links its records).
    reverse("contingency:backup_status", kwargs={"org_slug": large.slug})
    timed_import("import CSV (new runs)", large, csv_path, "csv")
    timed_import("re-import CSV (all duplicates)", large, csv_path, "csv")
    if args.all_imports:
        timed_import("import NDJSON of the same runs (all duplicates)", large, ndjson_path, "ndjson")
    timed_import("import NDJSON into a second organization (new runs)", second, ndjson_path, "ndjson")
    timed_import(f"small organization: {args.small} assets' runs (new runs)", small, small_csv, "csv")
    timed_import(f"small organization: {args.assets} assets' runs (unknown: refused)", small, csv_path, "csv")
    print()


def run(args: argparse.Namespace) -> None:
    from django.utils import timezone

    from bench.contingency_story import furnish, signer

    now = timezone.now()
    today = timezone.localdate(now)
    large, small = build("bench-backups", args.assets), build("bench-small", args.small)
    second = build("bench-ndjson", args.assets)
    signer(second)  # someone for the chores to hand its restore tests to
    folder = Path(tempfile.mkdtemp(prefix="safeguard-bench-backups-"))
    try:
        ingestion(args, large, small, second, now, folder)
    finally:
        shutil.rmtree(folder)

    rng = random.Random(11)
    start = time.perf_counter()
    large_user, large_tests = furnish(large, today, rng)
    small_user, _ = furnish(small, today, rng)
    print(
        f"restore tests ({large_tests:,}), plans, approvals, exercise and actions made in "
        f"{time.perf_counter() - start:.1f} s (each approval re-evaluates the tracker inline)"
    )
    print(f"(a)(7) verdicts of the {args.assets}-asset organization:")
    verdicts(large, today)
    print()
    compare((large, large_user, args.assets), (small, small_user, args.small), today, now)
    print()
    chores(today)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (the whole run: files written as generated, each import read twice)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--small", type=int, default=50, help="assets of the organization the counts compare to")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="50 assets against 10, 1 year")
    parser.add_argument("--all-imports", action="store_true", help="also re-import the runs as NDJSON (~15 s)")
    args = parser.parse_args()
    if args.quick:
        args.assets, args.small, args.years = 50, 10, 1
    scratch = scratch_postgres()
    try:
        _setup()
        run(args)
    finally:
        if scratch is not None:
            drop_scratch(scratch)


if __name__ == "__main__":
    main()
