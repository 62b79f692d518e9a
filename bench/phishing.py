"""Phishing benchmarks at the issue's scale: a GoPhish result set of 200,000 events (10,000 recipients) imported as
its raw-events CSV and as its API's JSON, and the campaign pages with 24 campaigns of 10,000 recipients.

Run: .venv/bin/python bench/phishing.py [--people 10000] [--events 200000] [--campaigns 24]

Measures, on a throwaway SQLite database (or DATABASE_URL if set to a scratch PostgreSQL database), tasks inline:
- building the table from each file, checking every row, and committing (through the pipeline's import_apply);
- the process's peak memory (max RSS) after each step;
- the upload request's cost (recognising the format and reading the headers: the rows are read in the background);
- a re-import that changes nothing, refused at commit;
- the campaigns list, a campaign's page, the trend page (its repeat clickers paged by the database) and the API's
  campaign list and repeat clickers with 24 campaigns of 10,000 recipients, each with its query count beside a small
  organization's (they must not grow).
Prints figures and throughput; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import _setup  # noqa: E402

DEPARTMENTS = ("Nursing", "Billing", "Radiology", "Pharmacy", "Front desk", "Laboratory", "IT", "Surgery")
LAUNCH = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def _once(label: str, fn: Any, rows: int | None = None) -> Any:
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    rate = f"  ({rows / seconds:,.0f} rows/s)" if rows else ""
    print(f"{label:<58} {seconds:8.2f} s{rate}  peak {peak_mb():,.0f} MB")
    return result


def events(recipients: int, total: int, rng: random.Random, campaign_id: int) -> list[tuple[str, str, str, str]]:
    """(email, time, message, details) in time order per recipient: sent, opens, clicks, some submit and report;
    "Email Opened" repeats (a tracking pixel loads each time the email is viewed) until `total` events."""
    per = max(total // recipients, 2)
    out: list[tuple[str, str, str, str]] = [("", LAUNCH.isoformat(), "Campaign Created", "")]
    details = json.dumps({"payload": {"rid": ["x"]}, "browser": {"address": "10.0.0.1", "user-agent": "Mozilla/5.0"}})
    for n in range(recipients):
        email = f"e{n:06d}@bench.test"
        moment = LAUNCH + timedelta(seconds=n)
        steps = ["Email Sent"]
        roll = rng.random()
        if roll < 0.25:
            steps += ["Email Opened", "Clicked Link"] + (["Submitted Data"] if roll < 0.08 else [])
        if rng.random() < 0.3:
            steps.append("Email Reported")
        steps += ["Email Opened"] * (per - len(steps))
        for step in steps[:per]:
            moment += timedelta(minutes=rng.randrange(1, 90))
            out.append(
                (email, moment.isoformat(timespec="microseconds"), step, details if step != "Email Sent" else "")
            )
    return out


def events_csv(rows: list[tuple[str, str, str, str]], campaign_id: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["campaign_id", "email", "time", "message", "details"])
    for email, moment, message, details in rows:
        writer.writerow([campaign_id, email, moment, message, details])
    return buffer.getvalue().encode()


def campaign_json(rows: list[tuple[str, str, str, str]], recipients: int, campaign_id: int) -> bytes:
    results = [
        {"id": f"r{n}", "email": f"e{n:06d}@bench.test", "first_name": f"Given{n}", "last_name": f"Family{n}",
         "position": "Staff", "status": "Email Sent", "reported": False, "send_date": LAUNCH.isoformat()}
        for n in range(recipients)
    ]  # fmt: skip
    timeline = [
        {"campaign_id": campaign_id, "email": email, "time": moment, "message": message, "details": details}
        for email, moment, message, details in rows
    ]
    return json.dumps(
        {"id": campaign_id, "name": f"Bench JSON {campaign_id}", "results": results, "timeline": timeline}
    ).encode()


def run_import(organization: Any, actor: Any, kind: str, data: bytes, name: str, options: dict[str, Any]) -> Any:
    from safeguard.core import tabular
    from safeguard.core.imports import importer_for
    from safeguard.core.services.file_imports import check_table, import_apply

    importer = importer_for(kind)
    file_format = tabular.sniff_format(data, name, formats=importer.formats, max_bytes=importer.byte_limit)
    print(f"  {name}: {len(data) / 2**20:,.1f} MB")
    table = _once(f"  read the file into a table ({kind})", lambda: importer.read_table(data, file_format))
    options = importer.clean_options(organization, options)
    mapping = importer.guess_mapping(table.headers)
    checked = _once(
        f"  check {len(table.rows):,} rows",
        lambda: check_table(importer, organization, table, mapping, options),
        len(table.rows),
    )
    assert not checked.errors, checked.errors[:5]
    _checked, outcome = _once(
        f"  commit {len(table.rows):,} rows (re-checked, then written)",
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
    print(f"  created {outcome.created:,}, updated {outcome.updated:,}")
    return outcome


def refused_again(organization: Any, actor: Any, kind: str, data: bytes, name: str) -> None:
    """A re-import that changes nothing: checked, then refused by the commit (a command exits 1)."""
    from safeguard.core import tabular
    from safeguard.core.imports import importer_for
    from safeguard.core.services.file_imports import ImportRejected, import_apply

    importer = importer_for(kind)
    table = importer.read_table(
        data, tabular.sniff_format(data, name, formats=importer.formats, max_bytes=importer.byte_limit)
    )
    mapping, options = importer.guess_mapping(table.headers), importer.clean_options(organization, {})

    def commit() -> str:
        try:
            import_apply(
                organization=organization,
                actor=actor,
                importer=importer,
                table=table,
                mapping=mapping,
                options=options,
                file_name=name,
            )
        except ImportRejected as refused:
            return refused.failure
        raise AssertionError("a file that changes nothing was committed")

    print(f"  {_once(f'  check {len(table.rows):,} rows, then refuse the commit', commit, len(table.rows))}")


def upload_memory(kind: str, data: bytes, name: str) -> None:
    """What the upload request costs before the file is stored: recognising the format and reading the headers
    (tracemalloc peak). The rows are read later, in the background check."""
    import tracemalloc

    from safeguard.core import tabular
    from safeguard.core.imports import importer_for

    importer = importer_for(kind)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    start = time.perf_counter()
    file_format = tabular.sniff_format(data, name, formats=importer.formats, max_bytes=importer.byte_limit)
    headers = importer.read_headers(data, file_format)
    seconds = time.perf_counter() - start
    peak = (tracemalloc.get_traced_memory()[1] - base) / 2**20
    tracemalloc.stop()
    print(
        f"  upload request, {name} ({len(data) / 2**20:,.0f} MB): format and {len(headers)} headers in "
        f"{seconds:.2f} s, peak {peak:,.1f} MB"
    )


def memory_of(organization: Any, kind: str, data: bytes, name: str) -> None:
    """Python's peak allocation while the file is read into a table and every row checked (tracemalloc: slower,
    so apart from the timings)."""
    import tracemalloc

    from safeguard.core import tabular
    from safeguard.core.imports import importer_for
    from safeguard.core.services.file_imports import check_table

    importer = importer_for(kind)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    file_format = tabular.sniff_format(data, name, formats=importer.formats, max_bytes=importer.byte_limit)
    table = importer.read_table(data, file_format)
    held = tracemalloc.get_traced_memory()[0] - base
    check_table(
        importer, organization, table, importer.guess_mapping(table.headers), importer.clean_options(organization, {})
    )
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    held_mb, top_mb = held / 2**20, peak / 2**20
    print(f"  memory, {name}: the table holds {held_mb:,.0f} MB; peak while reading and checking {top_mb:,.0f} MB")


def seed_campaigns(organization: Any, campaigns: int, recipients: int, rng: random.Random) -> None:
    """Campaigns straight into the tables (the import is measured above): a result per recipient."""
    from safeguard.training.models import PhishingCampaign, PhishingOutcome, PhishingResult
    from safeguard.workforce.models import Person

    people = list(Person.objects.filter(organization=organization).values_list("pk", "email", "department"))
    outcomes = [PhishingOutcome.SENT] * 50 + [PhishingOutcome.OPENED] * 25 + [PhishingOutcome.CLICKED] * 12
    outcomes += [PhishingOutcome.SUBMITTED] * 5 + [PhishingOutcome.ERROR] * 2 + [PhishingOutcome.NOT_SENT]
    for number in range(campaigns):
        launched = LAUNCH - timedelta(days=30 * (campaigns - number))
        campaign = PhishingCampaign.objects.create(
            organization=organization, name=f"Seeded {number:02d}", source="gophish", launched_at=launched
        )
        rows = []
        for pk, email, department in people[:recipients]:
            status = rng.choice(outcomes)
            reported = status != PhishingOutcome.ERROR and rng.random() < 0.3
            rows.append(
                PhishingResult(
                    organization=organization,
                    campaign=campaign,
                    email=email,
                    person_id=pk,
                    department=department,
                    status=status,
                    sent_at=launched,
                    reported=reported,
                    reported_at=launched + timedelta(minutes=rng.randrange(1, 600)) if reported else None,
                    clicks=1 if status in (PhishingOutcome.CLICKED, PhishingOutcome.SUBMITTED) else 0,
                )
            )
        PhishingResult.objects.bulk_create(rows, batch_size=2000)


def time_pages(label: str, client: Any, urls: dict[str, str]) -> dict[str, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for name, url in urls.items():
        client.get(url)  # warm: session, templates
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url)
            seconds = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        counts[name] = len(captured.captured_queries)
        print(f"  {label}: {name:<28} {seconds * 1000:8.0f} ms  {counts[name]} queries")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--campaigns", type=int, default=24)
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one line per background task would drown the figures
    _setup()

    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from safeguard.core.audit import Actor
    from safeguard.core.models import Membership, Organization, User
    from safeguard.training.models import PhishingCampaign, PhishingResult
    from safeguard.training.phishing_import import KIND_EVENTS, KIND_JSON
    from safeguard.workforce.models import Person

    rng = random.Random(5)
    print(f"== {args.people:,} people, {args.events:,} events, {args.campaigns} campaigns ({connection.vendor})")
    org = Organization.objects.create(slug="bench", name="Bench Hospital", mfa_required=False)
    official = User.objects.create_user(email="so@bench.test", password="bench-password-123")
    Membership.objects.create(organization=org, user=official, role="security_official")
    actor = Actor(user=official)
    Person.objects.bulk_create(
        Person(
            organization=org,
            employee_id=f"E{n:06d}",
            given_name=f"Given{n}",
            family_name=f"Family{n}",
            email=f"e{n:06d}@bench.test",
            department=DEPARTMENTS[n % len(DEPARTMENTS)],
        )
        for n in range(args.people)
    )

    print(f"-- GoPhish raw events CSV, {args.events:,} events")
    rows = events(args.people, args.events, rng, 7)
    run_import(org, actor, KIND_EVENTS, events_csv(rows, 7), "events.csv", {})
    print("-- the same file again (refused: nothing new)")
    refused_again(org, actor, KIND_EVENTS, events_csv(rows, 7), "events.csv")
    print(f"-- GoPhish API JSON, {args.events:,} timeline events and {args.people:,} results")
    run_import(org, actor, KIND_JSON, campaign_json(rows, args.people, 8), "campaign.json", {})
    memory_of(org, KIND_EVENTS, events_csv(rows, 7), "events.csv")
    memory_of(org, KIND_JSON, campaign_json(rows, args.people, 8), "campaign.json")
    upload_memory(KIND_EVENTS, events_csv(rows, 7), "events.csv")
    upload_memory(KIND_JSON, campaign_json(rows, args.people, 8), "campaign.json")
    del rows

    print(f"-- pages with {args.campaigns} campaigns of {args.people:,} recipients")
    seed_campaigns(org, args.campaigns, args.people, rng)
    small = Organization.objects.create(slug="small", name="Small clinic", mfa_required=False)
    Membership.objects.create(organization=small, user=official, role="security_official")
    Person.objects.bulk_create(
        Person(organization=small, employee_id=f"S{n}", email=f"s{n}@small.test", department="Nursing")
        for n in range(10)
    )
    seed_campaigns(small, 3, 10, rng)
    # At least one repeat clicker, so the small organization's pages page a list too.
    PhishingResult.objects.filter(organization=small, email="s0@small.test").update(status="clicked")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(official)
    counts = {}
    for slug in ("small", "bench"):
        campaign = PhishingCampaign.objects.filter(organization__slug=slug).order_by("-launched_at").first()
        assert campaign is not None
        urls = {
            "campaigns list": reverse("training:phishing_campaign_list", args=[slug]),
            "campaign page": reverse("training:phishing_campaign_detail", args=[slug, campaign.public_id]),
            "trend (every campaign)": reverse("training:phishing_trend", args=[slug]) + "?months=all",
            "API campaign list": f"/api/v1/orgs/{slug}/training/phishing-campaigns/",
            "API repeat clickers": f"/api/v1/orgs/{slug}/training/phishing-repeat-clickers/",
        }
        counts[slug] = time_pages(slug, client, urls)
    flat = {name: counts["small"][name] == counts["bench"][name] for name in counts["bench"]}
    print(f"  query counts equal for 3 x 10 and {args.campaigns + 2} x {args.people:,}: {flat}")


if __name__ == "__main__":
    main()
