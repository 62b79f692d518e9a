"""Workforce and access benchmarks at the issue's scale: 20,000 people, 40 systems, 120,000 accounts.

Run: .venv/bin/python bench/workforce.py [--people 20000] [--systems 40] [--accounts 120000] [--big-file 120000]

Measures, on a throwaway SQLite database (or DATABASE_URL if set to a scratch PostgreSQL database):
- importing the roster file (check, then commit through the services, audited row by row);
- importing one account list of --big-file rows (check, then commit) for one system;
- importing the other systems' lists so the organization holds --accounts accounts in all;
- preparing an access review across every system (freeze, reviewer assignment, findings);
- the live reconciliation (access beyond profile) and a whole tracker evaluation at this size;
- rendering a manager's review page, with its query count beside a small organization's (it must not grow).
Prints figures and throughput; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import _setup  # noqa: E402

DEPARTMENTS = ("Nursing", "Billing", "Radiology", "Pharmacy", "Front desk", "Laboratory", "IT", "Surgery")
ROLES = ("Nurse", "Clerk", "Technologist", "Pharmacist", "Receptionist", "Analyst", "Physician", "Administrator")


def _once(label: str, fn: Any, rows: int | None = None) -> Any:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    rate = f"  ({rows / seconds:,.0f} rows/s)" if rows else ""
    print(f"{label:<62} {seconds:9.2f} s{rate}")
    return result


def roster_csv(people: int, rng: random.Random) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Employee ID", "First name", "Last name", "Work email", "Department", "Job title", "Manager ID"])
    managers = max(1, people // 100)
    for i in range(people):
        manager = "" if i < managers else f"E{rng.randrange(managers):06d}"
        department = DEPARTMENTS[i % len(DEPARTMENTS)]
        role = ROLES[i % len(ROLES)]
        writer.writerow([f"E{i:06d}", f"Given{i}", f"Family{i}", f"e{i:06d}@bench.test", department, role, manager])
    return out.getvalue().encode()


def accounts_csv(system: int, rows: int, people: int, rng: random.Random, *, offset: int = 0) -> bytes:
    """One system's user list: most rows a person's account (matched by employee id, email or name), some service,
    shared and orphan accounts; roles from the person's job; a few privileged without MFA, a few idle."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Username", "Email", "Employee ID", "Display name", "Roles", "Status", "Last login", "MFA", "Privileged"]
    )
    for i in range(rows):
        n = (offset + i) % people
        kind = rng.random()
        if kind < 0.01:
            writer.writerow(
                [f"svc-interface-{system}-{i}", "", "", "Interface engine", "integration", "active", "", "no", "yes"]
            )
            continue
        if kind < 0.02:
            writer.writerow([f"frontdesk{system}-{i}", "", "", "Front desk", "scheduler", "active", "", "no", "no"])
            continue
        if kind < 0.03:
            writer.writerow(
                [f"old{system}-{i}", "", "", f"Nobody {i}", "viewer", "active", "2025-01-01 08:00", "no", "no"]
            )
            continue
        role = ROLES[n % len(ROLES)].lower()
        last_login = f"2026-{1 + rng.randrange(11):02d}-{1 + rng.randrange(27):02d} {rng.randrange(24):02d}:15"
        by = rng.random()
        username = f"u{n:06d}" if offset == 0 else f"u{n:06d}-{offset}-{i}"
        writer.writerow(
            [
                username,
                f"e{n:06d}@bench.test" if by < 0.6 else "",
                f"E{n:06d}" if 0.3 < by < 0.9 else "",
                f"Given{n} Family{n}",
                role + (";admin" if rng.random() < 0.01 else ""),
                "disabled" if rng.random() < 0.03 else "active",
                last_login,
                "yes" if rng.random() < 0.9 else "no",
                "yes" if rng.random() < 0.02 else "no",
            ]
        )
    return out.getvalue().encode()


def run_import(organization: Any, actor: Any, kind: str, data: bytes, name: str, options: dict[str, Any]) -> Any:
    from safeguard.core import tabular
    from safeguard.core.imports import importer_for
    from safeguard.core.services.file_imports import check_table, import_apply

    importer = importer_for(kind)
    options = importer.clean_options(organization, options)
    table = tabular.read_table(data, "csv", max_rows=importer.max_rows)
    mapping = importer.guess_mapping(table.headers)
    checked = _once(
        f"  check {len(table.rows):,} rows ({kind})",
        lambda: check_table(importer, organization, table, mapping, options),
        len(table.rows),
    )
    assert not checked.errors, checked.errors[:5]
    return _once(
        f"  commit {len(table.rows):,} rows ({kind})",
        lambda: import_apply(
            organization=organization,
            actor=actor,
            importer=importer,
            table=table,
            mapping=mapping,
            options=options,
            file_name=name,
        ),
        len(table.rows),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--systems", type=int, default=40)
    parser.add_argument("--accounts", type=int, default=120_000)
    parser.add_argument("--big-file", type=int, default=120_000)
    args = parser.parse_args()
    _setup()

    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from safeguard.access.models import Account, ReviewCampaign, ReviewItem, System
    from safeguard.access.reconcile import beyond_profile
    from safeguard.access.services.campaigns import campaign_prepare_run, campaign_start
    from safeguard.core import tabular
    from safeguard.core.audit import Actor
    from safeguard.core.imports import importer_for
    from safeguard.core.models import Membership, Organization, User
    from safeguard.core.services.file_imports import import_apply
    from safeguard.risk.models import Asset, AssetKind
    from safeguard.tracker.evaluation import tracker_evaluate
    from safeguard.workforce.models import Person, RosterSource

    rng = random.Random(4)
    print(f"== {args.people:,} people, {args.systems} systems, {args.accounts:,} accounts ({connection.vendor})")
    org = Organization.objects.create(slug="bench", name="Bench Hospital", mfa_required=False)
    official = User.objects.create_user(email="so@bench.test", password="bench-password-123")
    Membership.objects.create(organization=org, user=official, role="security_official")
    actor = Actor(user=official)
    source = RosterSource.objects.create(organization=org, name="HR export", time_zone="America/New_York")
    run_import(
        org,
        actor,
        "workforce.roster",
        roster_csv(args.people, rng),
        "roster.csv",
        {"source": str(source.public_id), "initial_load": True},
    )
    # The first managers of the roster sign in to review their reports' access.
    managers = list(
        Person.objects.filter(organization=org, reports__isnull=False).distinct().order_by("employee_id")[:50]
    )
    for manager in managers:
        user = User.objects.create_user(email=manager.email, password="bench-password-123")
        Membership.objects.create(organization=org, user=user, role="manager")

    now = timezone.now()
    systems = []
    for number in range(args.systems):
        asset = Asset.objects.create(
            organization=org,
            name=f"System {number:02d}",
            kind=AssetKind.APPLICATION,
            owner=official,
            in_service_since=now - timedelta(days=400),
        )
        systems.append(System.objects.create(organization=org, asset=asset))

    print(f"-- one account list of {args.big_file:,} rows")
    scratch = Organization.objects.create(slug="bench-file", name="Bench file", mfa_required=False)
    Membership.objects.create(organization=scratch, user=official, role="security_official")
    Person.objects.bulk_create(
        Person(
            organization=scratch,
            employee_id=p.employee_id,
            given_name=p.given_name,
            family_name=p.family_name,
            email=p.email,
        )
        for p in Person.objects.filter(organization=org).iterator()
    )
    big_asset = Asset.objects.create(organization=scratch, name="EHR", kind=AssetKind.APPLICATION, owner=official)
    run_import(
        scratch,
        actor,
        "access.accounts",
        accounts_csv(0, args.big_file, args.people, rng, offset=1),
        "ehr-users.csv",
        {"system": big_asset.name, "taken_at": now.isoformat()},
    )

    per_system = args.accounts // args.systems
    print(f"-- {args.systems} account lists of {per_system:,} rows ({args.accounts:,} accounts)")
    start = time.perf_counter()
    importer = importer_for("access.accounts")
    for number, system in enumerate(systems):
        data = accounts_csv(number, per_system, args.people, rng)
        table = tabular.read_table(data, "csv", max_rows=importer.max_rows)
        import_apply(
            organization=org,
            actor=actor,
            importer=importer,
            table=table,
            mapping=importer.guess_mapping(table.headers),
            options=importer.clean_options(org, {"system": str(system.public_id), "taken_at": now.isoformat()}),
            file_name=f"system-{number}.csv",
        )
    seconds = time.perf_counter() - start
    total = Account.objects.filter(organization=org).count()
    print(f"{'  all lists, check + commit':<62} {seconds:9.2f} s  ({total / seconds:,.0f} rows/s)")

    print("-- access review of every system")
    campaign = campaign_start(
        organization=org, actor=actor, title="Bench review", system_ids=None, roster_as_of=timezone.localdate()
    )
    ReviewCampaign.objects.filter(pk=campaign.pk).update(status=ReviewCampaign.Status.PREPARING)
    ReviewItem.objects.filter(campaign=campaign).delete()
    with CaptureQueriesContext(connection) as prepared:
        _once(
            f"  prepare: freeze + findings for {total:,} accounts",
            lambda: campaign_prepare_run(campaign_id=campaign.pk),
            total,
        )
    campaign.refresh_from_db()
    findings, queries = campaign.findings.count(), len(prepared.captured_queries)
    print(f"  items {campaign.item_count:,}, findings {findings:,}, queries {queries:,}")

    print("-- the live checks at this size")
    _once(
        f"  access beyond profile, {total:,} accounts",
        lambda: sum(1 for _ in beyond_profile(org)),
        total,
    )
    _once("  tracker evaluation, every requirement", lambda: tracker_evaluate(organization=org, actor=actor))

    print("-- a manager's review page")
    busiest = (
        ReviewItem.objects.filter(campaign=campaign, reviewer__isnull=False)
        .values("reviewer")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    reviewer = User.objects.get(pk=busiest["reviewer"]) if busiest else official
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(reviewer)
    url = reverse("access:review_mine", args=[org.slug, campaign.public_id])
    client.get(url)
    with CaptureQueriesContext(connection) as page:
        start = time.perf_counter()
        response = client.get(url)
        seconds = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    assigned = busiest["n"] if busiest else 0
    print(f"  {assigned:,} items assigned: {seconds * 1000:.0f} ms, {len(page.captured_queries)} queries")


if __name__ == "__main__":
    main()
