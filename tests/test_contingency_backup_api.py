"""The backup API: policies (list, add, change, deactivate), backup status, file uploads read in the background,
one import, and the post-job hook a backup tool calls. Program viewers read, program managers deliver; another
organization's records are 404; nothing changes and no audit event is written on denial."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.contingency.models import BackupImport, BackupPolicy, BackupResult, ContingencySettings
from safeguard.core.models import AuditEvent
from tests.conftest import Cast
from tests.contingency_backup_factories import asset, csv_text, policy, run, utc
from tests.test_api_support import api_client

BASE = "/api/v1/orgs/clinic/contingency"
RUN = {
    "asset": "EHR",
    "job": "nightly",
    "started": "2026-03-01T01:00:00Z",
    "finished": "2026-03-01T01:30:00Z",
    "status": "success",
    "size": 2048,
    "run_id": "job-77",
}
NEW_POLICY = {
    "job_name": "EHR nightly",
    "method": "snapshot",
    "schedule": "daily 01:00",
    "retention_days": 30,
    "encrypted_at_rest": True,
    "immutable_copy": False,
    "offline_copy": True,
    "responsible": "so@clinic.test",
}


@pytest.fixture
def nightly(cast: Cast) -> BackupPolicy:
    return policy(asset(cast.org, "EHR", rpo=1440), "nightly")


def audit_count() -> int:
    return AuditEvent.objects.count()


# ---- policies ------------------------------------------------------------------------------------------------------


def test_policy_list_filters_by_asset_and_is_paginated(cast: Cast, nightly: BackupPolicy) -> None:
    policy(asset(cast.org, "PACS"), "images")
    body = api_client(cast.auditor).get(f"{BASE}/backup-policies/", {"asset": str(nightly.asset.public_id)}).json()
    assert body["count"] == 1
    assert body["results"][0]["job_name"] == "nightly"
    assert body["results"][0]["asset"]["name"] == "EHR"


def test_create_policy(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR")
    response = api_client(cast.owner).post(
        f"{BASE}/backup-policies/", {**NEW_POLICY, "asset": str(ehr.public_id)}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["responsible"] == "so@clinic.test"
    assert BackupPolicy.objects.get().offline_copy is True


def test_create_policy_with_short_retention_is_400_naming_the_field(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=7 * 1440)
    response = api_client(cast.owner).post(
        f"{BASE}/backup-policies/", {**NEW_POLICY, "asset": str(ehr.public_id), "retention_days": 3}, format="json"
    )
    assert response.status_code == 400
    assert "objective of 7 d " in response.json()["error"]["fields"]["retention_days"][0]


def test_create_policy_for_another_organizations_asset_is_refused(cast: Cast) -> None:
    elsewhere = asset(cast.other_org, "EHR")
    response = api_client(cast.owner).post(
        f"{BASE}/backup-policies/", {**NEW_POLICY, "asset": str(elsewhere.public_id)}, format="json"
    )
    assert response.status_code == 400
    assert not BackupPolicy.objects.exists()


def test_patch_changes_and_deactivates(cast: Cast, nightly: BackupPolicy) -> None:
    response = api_client(cast.owner).patch(
        f"{BASE}/backup-policies/{nightly.public_id}/", {"interval_hours": 12, "active": False}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["interval_hours"], response.json()["active"]) == (12, False)


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_policy_writes_are_refused_to_readers_and_workforce(cast: Cast, nightly: BackupPolicy, who: str) -> None:
    user = cast.auditor if who == "auditor" else cast.workforce
    before = audit_count()
    patch = api_client(user).patch(f"{BASE}/backup-policies/{nightly.public_id}/", {"active": False}, format="json")
    post = api_client(user).post(
        f"{BASE}/backup-policies/", {**NEW_POLICY, "asset": str(nightly.asset.public_id)}, format="json"
    )
    assert (patch.status_code, post.status_code) == (403, 403)
    assert BackupPolicy.objects.get().active is True and audit_count() == before


def test_workforce_cannot_read_policies_status_or_imports(cast: Cast, nightly: BackupPolicy) -> None:
    client = api_client(cast.workforce)
    batch = BackupImport.objects.create(organization=cast.org, channel="api")
    for url in ("backup-policies/", f"backup-policies/{nightly.public_id}/", "backup-status/"):
        assert client.get(f"{BASE}/{url}").status_code == 403
    assert client.get(f"{BASE}/backup-imports/{batch.public_id}/").status_code == 403


def test_other_organizations_records_are_404(cast: Cast) -> None:
    elsewhere = policy(asset(cast.other_org, "EHR"))
    batch = BackupImport.objects.create(organization=cast.other_org, channel="api")
    client = api_client(cast.owner)
    assert client.get(f"{BASE}/backup-policies/{elsewhere.public_id}/").status_code == 404
    assert (
        client.patch(f"{BASE}/backup-policies/{elsewhere.public_id}/", {"active": False}, format="json").status_code
        == 404
    )
    assert client.get(f"{BASE}/backup-imports/{batch.public_id}/").status_code == 404
    assert api_client(cast.outsider).get(f"{BASE}/backup-policies/").status_code == 404


# ---- status ----------------------------------------------------------------------------------------------------------


def test_status_reports_age_against_rpo(cast: Cast, nightly: BackupPolicy, monkeypatch: pytest.MonkeyPatch) -> None:
    run(nightly, utc("2026-03-01 01:00"))
    monkeypatch.setattr("safeguard.contingency.api.backups.timezone.now", lambda: utc("2026-03-02 01:00"))
    body = api_client(cast.auditor).get(f"{BASE}/backup-status/").json()
    row = body["results"][0]
    assert (row["asset"]["name"], row["age_minutes"], row["rpo_minutes"], row["within_rpo"]) == (
        "EHR",
        1440,
        1440,
        True,
    )


def test_status_query_count_is_flat(cast: Cast, django_assert_max_num_queries: Any) -> None:
    for n in range(15):
        run(policy(asset(cast.org, f"Asset {n:02}")), utc("2026-03-01 01:00"))
    client = api_client(cast.auditor)
    client.get(f"{BASE}/backup-status/")  # makes the settings row
    with django_assert_max_num_queries(14):
        body = client.get(f"{BASE}/backup-status/").json()
    assert body["count"] == 15


# ---- uploads, imports and the hook -------------------------------------------------------------------------------


def test_upload_is_accepted_and_read_in_the_background(
    cast: Cast, nightly: BackupPolicy, django_capture_on_commit_callbacks: Any
) -> None:
    data = csv_text(
        "EHR,nightly,2026-03-01T01:00:00Z,2026-03-01T01:30:00Z,ok,10", header="Client,Job,Begin,End,Result,Bytes"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(cast.owner).post(
            f"{BASE}/backup-imports/",
            {"file": SimpleUploadedFile("r.csv", data), "mapping": '{"started": "Begin", "finished": "End"}'},
            format="multipart",
        )
    assert response.status_code == 202, response.json()
    detail = api_client(cast.auditor).get(f"{BASE}/backup-imports/{response.json()['public_id']}/").json()
    assert (detail["state"], detail["inserted"], detail["mapping"]["asset"]) == ("done", 1, "Client")


def test_upload_with_unmappable_columns_is_400_and_keeps_nothing(cast: Cast, nightly: BackupPolicy) -> None:
    data = csv_text("x,y", header="foo,bar")
    response = api_client(cast.owner).post(
        f"{BASE}/backup-imports/", {"file": SimpleUploadedFile("r.csv", data)}, format="multipart"
    )
    assert response.status_code == 400
    assert "asset" in response.json()["error"]["fields"]
    assert not BackupImport.objects.exists()


def test_auditor_cannot_upload(cast: Cast, nightly: BackupPolicy) -> None:
    before = audit_count()
    response = api_client(cast.auditor).post(
        f"{BASE}/backup-imports/", {"file": SimpleUploadedFile("r.csv", csv_text())}, format="multipart"
    )
    assert response.status_code == 403
    assert not BackupImport.objects.exists() and audit_count() == before


def test_hook_stores_one_run_and_answers_201(cast: Cast, nightly: BackupPolicy) -> None:
    response = api_client(cast.owner).post(f"{BASE}/backup-results/", RUN, format="json")
    assert response.status_code == 201
    assert (response.json()["inserted"], response.json()["channel"]) == (1, "hook")
    assert BackupResult.objects.get().run_id == "job-77"


def test_hook_is_idempotent(cast: Cast, nightly: BackupPolicy) -> None:
    client = api_client(cast.owner)
    client.post(f"{BASE}/backup-results/", [RUN], format="json")
    again = client.post(f"{BASE}/backup-results/", [RUN], format="json")
    assert again.status_code == 201
    assert (again.json()["inserted"], again.json()["duplicates"]) == (0, 1)
    assert BackupResult.objects.count() == 1


def test_hook_refuses_a_list_with_a_bad_run_naming_each_problem(cast: Cast, nightly: BackupPolicy) -> None:
    ContingencySettings.objects.update_or_create(
        organization=cast.org, defaults={"import_time_zone": "America/New_York"}
    )
    bad = RUN | {"started": "2026-03-08T02:30:00", "size": -3}  # no offset, and New York skips 02:30 that night
    response = api_client(cast.owner).post(f"{BASE}/backup-results/", [RUN, bad], format="json")
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) == {"runs[1].started", "runs[1].size"}
    assert "2026-03-08 02:30 does not exist in America/New_York" in fields["runs[1].started"][0]
    assert not BackupResult.objects.exists()
    assert BackupImport.objects.get().state == "refused"


def test_hook_needs_manage_program(cast: Cast, nightly: BackupPolicy) -> None:
    for user in (cast.auditor, cast.workforce):
        assert api_client(user).post(f"{BASE}/backup-results/", RUN, format="json").status_code == 403
    assert api_client(None).post(f"{BASE}/backup-results/", RUN, format="json").status_code == 401
    assert api_client(cast.outsider).post(f"{BASE}/backup-results/", RUN, format="json").status_code == 404
    assert not BackupResult.objects.exists() and not BackupImport.objects.exists()


def test_hook_cannot_reach_another_organizations_assets(cast: Cast) -> None:
    policy(asset(cast.other_org, "EHR"), "nightly")
    response = api_client(cast.owner).post(f"{BASE}/backup-results/", RUN, format="json")
    assert response.status_code == 400
    assert "No asset named 'EHR'" in response.json()["error"]["fields"]["runs[0].asset"][0]
