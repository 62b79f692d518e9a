"""Foundation benchmarks: tracker evaluation, audit-chain verification, and page query counts at scale.

Run: .venv/bin/python bench/foundation.py [--events 100000] [--attestations 2000]
Uses a throwaway SQLite database (or DATABASE_URL if set to a scratch PostgreSQL database). Prints figures;
asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path


def _setup() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if "DATABASE_URL" not in os.environ:
        os.environ["SAFEGUARD_DATA_DIR"] = tempfile.mkdtemp(prefix="safeguard-bench-")
    # Production-like settings: DEBUG would log every query and slow the figures down.
    os.environ.update(DEBUG="0", SECRET_KEY="bench-" + "x" * 50, ALLOWED_HOSTS="127.0.0.1", SECURE_SSL_REDIRECT="0")
    os.environ["TASKS_BACKEND"] = "immediate"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "safeguard.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("catalog_load", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)


def _timed(label: str, fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    print(f"{label:<55} {best * 1000:10.1f} ms (best of {repeat})")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--attestations", type=int, default=1_000)
    args = parser.parse_args()
    _setup()

    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from safeguard.catalog.models import Requirement
    from safeguard.core.audit import Actor, audit_record, audit_verify_chain
    from safeguard.core.models import Membership, Organization, User
    from safeguard.tracker.evaluation import tracker_evaluate
    from safeguard.tracker.models import Attestation

    suffix = str(int(time.time()))
    org = Organization.objects.create(slug=f"bench-{suffix}", name="Bench", mfa_required=False)
    user = User.objects.create_user(email=f"bench-{suffix}@example.org", password="bench-password-123")
    Membership.objects.create(organization=org, user=user, role="owner")
    leaves = list(Requirement.objects.leaves())
    today = timezone.localdate()
    Attestation.objects.bulk_create(
        Attestation(
            organization=org,
            requirement=leaves[i % len(leaves)],
            statement="bench",
            attested_by=user,
            expires_on=today + timedelta(days=30 + i % 400),
        )
        for i in range(args.attestations)
    )
    print(f"organization with {args.attestations} attestations over {len(leaves)} leaf requirements")
    actor = Actor.system("bench")
    _timed("tracker_evaluate (68 requirements)", lambda: tracker_evaluate(organization=org, actor=actor))

    start = time.perf_counter()
    batch = 5_000
    for offset in range(0, args.events, batch):
        with transaction.atomic():
            for i in range(offset, min(offset + batch, args.events)):
                audit_record(
                    actor=actor, action="bench.event", organization=org, object_id=str(i), changes={"n": [i, i + 1]}
                )
    elapsed = time.perf_counter() - start
    print(f"{'audit_record':<55} {args.events / elapsed:10.0f} events/s ({args.events} events)")
    _timed(f"audit_verify_chain ({args.events + 1} events)", lambda: audit_verify_chain(org), repeat=1)

    client = Client(HTTP_HOST="127.0.0.1")
    connection.queries_log.clear()
    client.force_login(user)
    for path in (f"/o/{org.slug}/", f"/o/{org.slug}/requirements/", f"/o/{org.slug}/audit/"):
        with CaptureQueriesContext(connection) as queries:
            status = client.get(path).status_code
        _timed(f"GET {path} [{status}, {len(queries)} queries]", lambda p=path: client.get(p))


if __name__ == "__main__":
    main()
