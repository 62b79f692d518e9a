"""Contingency benchmark: backup results at the issue's scale, 500 assets with 3 years of nightly runs (≈ 550,000
rows), written as CSV and NDJSON files.

Run: .venv/bin/python bench/contingency.py [--assets 500 --years 3 | --quick]
Uses a throwaway SQLite database (or DATABASE_URL if set to a scratch PostgreSQL database). Measures, through the
services the upload task and the command use:
- the import of the CSV file (check, then write in one transaction, then the tracker's re-evaluation, which the
  task backend runs inline here): rows/s;
- re-importing it (every row a duplicate, nothing inserted) and importing the NDJSON file of the same runs (the
  same: NDJSON reading plus the duplicate check): rows/s;
- the NDJSON file into a second organization (a fresh write from NDJSON): rows/s;
- backup_status() over every asset (the status page's and the dashboard's query) and the 164.308(a)(7)(ii)(A)
  check, with their query counts, beside a small organization's to show the count does not grow.
Prints figures and the peak memory; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import _setup, _timed  # noqa: E402

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


def queries(label: str, fn: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    print(f"{label:<55} {len(captured):10d} queries")
    return len(captured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=500)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="50 assets, 1 year")
    args = parser.parse_args()
    if args.quick:
        args.assets, args.years = 50, 1
    _setup()

    from django.urls import reverse
    from django.utils import timezone

    from safeguard.contingency.checks_backups import backup_plan_check
    from safeguard.contingency.queries_backups import backup_status
    from safeguard.contingency.services.settings import contingency_settings

    now = timezone.now()
    large, small = build("bench-backups", args.assets), build("bench-small", 5)
    second = build("bench-ndjson", args.assets)
    start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="safeguard-bench-backups-"))
    csv_path, ndjson_path, count = write_files(runs(args.assets, args.years, now), folder)
    written = time.perf_counter() - start
    print(f"{count:,} runs of {args.assets} assets over {args.years} years written in {written:.1f} s")
    print(f"CSV {csv_path.stat().st_size / 2**20:.1f} MB, NDJSON {ndjson_path.stat().st_size / 2**20:.1f} MB\n")

    # Loaded before timing: the first reverse() imports every URL module (the check links its records).
    reverse("contingency:backup_status", kwargs={"org_slug": large.slug})
    timed_import("import CSV (new runs)", large, csv_path, "csv")
    timed_import("re-import CSV (all duplicates)", large, csv_path, "csv")
    timed_import("import NDJSON of the same runs (all duplicates)", large, ndjson_path, "ndjson")
    timed_import("import NDJSON into a second organization (new runs)", second, ndjson_path, "ndjson")
    timed_import("small organization: 5 assets' runs (unknown: refused)", small, csv_path, "csv")
    print()

    _timed(f"backup_status(): {args.assets} assets", lambda: backup_status(large, now=now))
    _timed("164.308(a)(7)(ii)(A) check", lambda: backup_plan_check(large, timezone.localdate(now)))
    contingency_settings(small)  # made on first read: not part of the count
    many = queries(f"backup_status(): {args.assets} assets", lambda: backup_status(large, now=now))
    few = queries("backup_status(): 5 assets", lambda: backup_status(small, now=now))
    check_many = queries("check: large organization", lambda: backup_plan_check(large, timezone.localdate(now)))
    check_few = queries("check: small organization", lambda: backup_plan_check(small, timezone.localdate(now)))
    print(f"query counts flat: status {many == few}, check {check_many == check_few}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MB (the whole run: files written as generated, each import read twice)")


if __name__ == "__main__":
    main()
