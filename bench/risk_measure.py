"""The measurements of bench/risk.py: query counts at two sizes, page/API/report/import timings."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

Timed = Callable[..., float]


def _queries(client: Any, path: str) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    return status, len(captured)


def _client(user: Any, *, api: bool = False) -> Any:
    from django.test import Client
    from rest_framework.test import APIClient

    client = APIClient(HTTP_HOST="127.0.0.1") if api else Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return client


def measure(big: dict[str, Any], small: dict[str, Any], *, timed: Timed) -> None:
    from safeguard.core.audit import Actor
    from safeguard.risk.reports.analysis_pdf import analysis_pdf
    from safeguard.risk.reports.register_xlsx import register_workbook
    from safeguard.tracker.evaluation import tracker_evaluate

    pages = (
        "risk/register/",
        "risk/register/?level=high&treatment=mitigate",
        "risk/register/?status=open&q=Risk%201",
        "risk/assets/",
        "risk/assets/?kind=server",
        "risk/data-flows/",
        "risk/actions/",
        f"risk/analyses/{big['analysis'].public_id}/",
    )
    api = (
        "risks/",
        "risks/?level=high&treatment=mitigate",
        "assets/",
        "data-flows/",
        "actions/",
        f"analyses/{big['analysis'].public_id}/risks/",
    )
    print("\nquery counts: small organization (30 risks) vs large (10,000 risks), then best-of-3 time (large)")
    for kind, paths, prefix in (("page", pages, "/o/{slug}/"), ("api", api, "/api/v1/orgs/{slug}/")):
        small_client, big_client = _client(small["user"], api=kind == "api"), _client(big["user"], api=kind == "api")
        for path in paths:
            small_path = prefix.format(slug=small["org"].slug) + path.replace(
                str(big["analysis"].public_id), str(small["analysis"].public_id)
            )
            big_path = prefix.format(slug=big["org"].slug) + path
            small_status, small_count = _queries(small_client, small_path)
            big_status, big_count = _queries(big_client, big_path)
            timed(
                f"GET {kind} {path[:38]} [{big_status}] q {small_count}/{big_count}",
                lambda p=big_path, c=big_client: c.get(p),
            )
            if small_status != 200 or big_status != 200:
                print(f"   ! unexpected status {small_status}/{big_status} for {path}")

    actor = Actor.system("bench")
    timed(
        "tracker_evaluate, large organization (68 requirements)",
        lambda: tracker_evaluate(organization=big["org"], actor=actor),
    )
    report = big["report"]
    start = time.perf_counter()
    pdf = analysis_pdf(report)
    print(
        f"{'analysis PDF, ' + str(report.risks.count()) + ' risks':<55} {(time.perf_counter() - start) * 1000:10.1f} ms"
        f" ({len(pdf) / 1024:.0f} KiB)"
    )
    start = time.perf_counter()
    workbook = register_workbook(big["org"])
    print(
        f"{'register XLSX, whole register':<55} {(time.perf_counter() - start) * 1000:10.1f} ms"
        f" ({len(workbook) / 1024:.0f} KiB)"
    )
    _import(big, timed)


def _import(big: dict[str, Any], timed: Timed) -> None:
    """A 2,000-row asset file checked and committed into a fresh organization, as the background task does."""
    from django.db import transaction

    from safeguard.core import tabular
    from safeguard.core.audit import Actor
    from safeguard.core.models import Membership, Organization
    from safeguard.risk.models import Asset, ImportJob
    from safeguard.risk.services.exports import COLUMNS
    from safeguard.risk.services.import_rows import check_rows, guess_mapping
    from safeguard.risk.services.imports import import_apply

    rows = (
        [a.name, a.kind, a.status, big["user"].email, a.hosting, a.volume_band, a.business_associate, a.description]
        for a in Asset.objects.filter(organization=big["org"]).order_by("name")
    )
    data = "".join(tabular.csv_lines(COLUMNS[ImportJob.Kind.ASSETS], rows)).encode()
    table = tabular.read_table(data, "csv")
    target = Organization.objects.create(slug="bench-import", name="Import target", mfa_required=False)
    Membership.objects.create(organization=target, user=big["user"], role="security_official")
    mapping = guess_mapping("assets", table.headers)
    start = time.perf_counter()
    checked = check_rows(organization=target, kind="assets", table=table, mapping=mapping)
    print(
        f"{f'import check, {len(table.rows)} asset rows ({len(checked.errors)} errors)':<55} "
        f"{(time.perf_counter() - start) * 1000:10.1f} ms"
    )
    start = time.perf_counter()
    with transaction.atomic():
        outcome = import_apply(
            organization=target,
            actor=Actor(user=big["user"]),
            kind="assets",
            table=table,
            mapping=mapping,
            file_name="bench.csv",
        )
    print(f"{f'import commit, {outcome.created} created':<55} {(time.perf_counter() - start) * 1000:10.1f} ms")
