"""GET backup-results/: the stored backup runs, newest first, filtered by asset, policy, status and start time, so a
caller can find the run a restore test used. Program viewers (auditors too) read; workforce members and backup hook
tokens cannot; another organization's runs never show; a bad filter is 400 naming it; the query count is flat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.contingency.models import BackupPolicy, BackupResult, BackupStatus
from safeguard.contingency.services.hook_tokens import hook_token_create
from safeguard.core.audit import Actor
from tests.conftest import Cast
from tests.contingency_backup_factories import asset, policy, run, utc
from tests.test_api_support import api_client, error_of

URL = "/api/v1/orgs/clinic/contingency/backup-results/"


@pytest.fixture
def nightly(cast: Cast) -> BackupPolicy:
    return policy(asset(cast.org, "EHR"), "nightly")


def ids(body: dict[str, list[dict[str, str]]]) -> list[str]:
    return [row["public_id"] for row in body["results"]]


def test_runs_are_listed_newest_first_with_their_policy_asset_and_import(cast: Cast, nightly: BackupPolicy) -> None:
    older = run(nightly, utc("2026-03-01 01:00"))
    newer = run(nightly, utc("2026-03-02 01:00"), status=BackupStatus.FAILED)
    newer.message, newer.run_id = "tape jammed", "job-78"
    newer.save()
    body = api_client(cast.auditor).get(URL).json()
    assert ids(body) == [str(newer.public_id), str(older.public_id)]
    row = body["results"][0]
    assert row == {
        "public_id": str(newer.public_id),
        "policy": str(nightly.public_id),
        "asset": {"public_id": str(nightly.asset.public_id), "name": "EHR"},
        "job_name": "nightly",
        "started_at": "2026-03-02T01:00:00Z",
        "finished_at": "2026-03-02T01:30:00Z",
        "status": "failed",
        "size_bytes": 1000,
        "restore_point_at": None,
        "run_id": "job-78",
        "message": "tape jammed",
        "batch": str(newer.batch.public_id),
    }


def test_filters_by_asset_policy_and_status(cast: Cast, nightly: BackupPolicy) -> None:
    weekly = policy(nightly.asset, "weekly")
    pacs = policy(asset(cast.org, "PACS"), "images")
    ehr_good = run(nightly, utc("2026-03-01 01:00"))
    ehr_failed = run(weekly, utc("2026-03-01 02:00"), status=BackupStatus.FAILED)
    run(pacs, utc("2026-03-01 03:00"))
    client = api_client(cast.auditor)
    by_asset = client.get(URL, {"asset": str(nightly.asset.public_id)}).json()
    assert ids(by_asset) == [str(ehr_failed.public_id), str(ehr_good.public_id)]
    assert ids(client.get(URL, {"policy": str(nightly.public_id)}).json()) == [str(ehr_good.public_id)]
    failed = client.get(URL, {"asset": str(nightly.asset.public_id), "status": "failed"}).json()
    assert ids(failed) == [str(ehr_failed.public_id)]


def test_since_and_until_bound_the_start_time_with_its_offset(cast: Cast, nightly: BackupPolicy) -> None:
    first, second, third = (run(nightly, utc(f"2026-03-0{day} 01:00")) for day in (1, 2, 3))
    client = api_client(cast.auditor)
    # 2026-03-01T21:00-05:00 is 2026-03-02T02:00Z: after the second run started.
    body = client.get(URL, {"since": "2026-03-02T01:00:00Z", "until": "2026-03-01T21:00:00-05:00"}).json()
    assert ids(body) == [str(second.public_id)]
    assert ids(client.get(URL, {"until": "2026-03-02T01:00:00+00:00"}).json()) == [str(first.public_id)]
    assert ids(client.get(URL, {"since": "2026-03-02T01:00:01Z"}).json()) == [str(third.public_id)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"asset": "not-an-id"}, "asset"),
        ({"policy": "42"}, "policy"),
        ({"status": "ok"}, "status"),
        ({"since": "2026-03-01T01:00:00"}, "since"),
        ({"until": "yesterday"}, "until"),
        ({"since": "2026-03-02T00:00:00Z", "until": "2026-03-01T00:00:00Z"}, "until"),
    ],
)
def test_a_bad_filter_is_400_naming_it(cast: Cast, nightly: BackupPolicy, query: dict[str, str], field: str) -> None:
    response = api_client(cast.auditor).get(URL, query)
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == [field]


def test_a_time_without_offset_is_refused_with_how_to_send_one(cast: Cast) -> None:
    response = api_client(cast.auditor).get(URL, {"since": "2026-03-01T01:00:00"})
    assert "UTC offset" in error_of(response)["fields"]["since"][0]


def test_another_organizations_runs_never_show(cast: Cast, nightly: BackupPolicy) -> None:
    theirs = policy(asset(cast.other_org, "EHR"), "nightly")
    run(theirs, utc("2026-03-01 01:00"))
    mine = run(nightly, utc("2026-03-01 01:00"))
    client = api_client(cast.owner)
    assert ids(client.get(URL).json()) == [str(mine.public_id)]
    assert client.get(URL, {"policy": str(theirs.public_id)}).json()["count"] == 0
    assert client.get(URL, {"asset": str(theirs.asset.public_id)}).json()["count"] == 0
    assert api_client(cast.outsider).get(URL).status_code == 404


def test_workforce_members_nobody_and_hook_tokens_cannot_list(cast: Cast, nightly: BackupPolicy) -> None:
    run(nightly, utc("2026-03-01 01:00"))
    _, key = hook_token_create(organization=cast.org, actor=Actor(user=cast.official), name="Veeam")
    hook = api_client(None)
    hook.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api_client(cast.workforce).get(URL).status_code == 403
    assert api_client(None).get(URL).status_code == 401
    assert hook.get(URL).status_code == 401


def test_the_list_is_paginated_and_its_query_count_is_flat(cast: Cast) -> None:
    def add(count: int, start: int) -> None:
        for n in range(start, start + count):
            made = policy(asset(cast.org, f"Asset {n:03}"))
            run(made, utc("2026-03-01 01:00") + timedelta(hours=n))

    client = api_client(cast.auditor)
    add(2, 0)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    add(60, 2)
    with CaptureQueriesContext(connection) as many:
        body = client.get(URL).json()
    assert body["count"] == 62 and len(body["results"]) == 50 and body["next"]
    assert len(many) == len(few)
    assert BackupResult.objects.count() == 62
