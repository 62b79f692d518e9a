"""Backup pages: the status page (paginated, a flat query count), one asset's backups, policies (list, add, edit,
deactivate) and imports (upload, mapping, progress and problems). Auditors read and cannot change; workforce
members cannot read; another organization's records are 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.contingency.models import BackupImport, BackupPolicy, BackupResult, BackupStatus
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.contingency_backup_factories import asset, csv_text, policy, run, utc


def url(name: str, **ids: Any) -> str:
    return reverse(f"contingency:{name}", kwargs={"org_slug": "clinic", **ids})


@pytest.fixture
def nightly(cast: Cast) -> BackupPolicy:
    return policy(asset(cast.org, "EHR", rpo=1440), "nightly")


def test_status_page_shows_latest_point_failed_runs_and_copies(cast: Cast, nightly: BackupPolicy) -> None:
    run(nightly, utc("2026-03-01 01:00"))
    run(nightly, utc("2026-03-02 01:00"), status=BackupStatus.FAILED)
    page = client_for(cast.auditor).get(url("backup_status")).content.decode()
    assert "EHR" in page and "2026-03-01 01:00" in page
    assert "Stale" in page  # a day-old RPO and the last good point is older
    assert "immutable" in page and "offsite (Vault B)" in page


def test_status_page_query_count_is_flat(cast: Cast) -> None:
    def make(count: int, start: int) -> None:
        for n in range(start, start + count):
            made = policy(asset(cast.org, f"Asset {n:03}"))
            run(made, utc("2026-03-01 01:00"))

    client = client_for(cast.auditor)
    make(2, 0)
    client.get(url("backup_status"))
    with CaptureQueriesContext(connection) as few:
        client.get(url("backup_status"))
    make(20, 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("backup_status"))
    assert response.context["page"].paginator.count == 22
    assert len(many) == len(few)


def test_asset_page_lists_policies_runs_and_failures(cast: Cast, nightly: BackupPolicy) -> None:
    failed = run(nightly, utc("2099-01-01 01:00"), status=BackupStatus.FAILED)
    failed.message = "tape jammed"
    failed.save()
    page = client_for(cast.auditor).get(url("backup_asset", asset_id=nightly.asset.public_id)).content.decode()
    assert "nightly" in page
    assert "Deactivate" not in page  # auditors read only


def test_workforce_cannot_read_backup_pages(cast: Cast, nightly: BackupPolicy) -> None:
    client = client_for(cast.workforce)
    for name, ids in [
        ("backup_status", {}),
        ("backup_policy_list", {}),
        ("backup_import_list", {}),
        ("backup_asset", {"asset_id": nightly.asset.public_id}),
    ]:
        assert client.get(url(name, **ids)).status_code == 403


def test_other_organizations_records_are_404(cast: Cast) -> None:
    elsewhere = policy(asset(cast.other_org, "EHR"))
    batch = BackupImport.objects.create(organization=cast.other_org, channel="api")
    client = client_for(cast.owner)
    assert client.get(url("backup_asset", asset_id=elsewhere.asset.public_id)).status_code == 404
    assert client.get(url("backup_policy_edit", policy_id=elsewhere.public_id)).status_code == 404
    assert client.post(url("backup_policy_active", policy_id=elsewhere.public_id), {"active": "no"}).status_code == 404
    assert client.get(url("backup_import_detail", import_id=batch.public_id)).status_code == 404
    assert BackupPolicy.objects.get().active is True


def test_policy_list_filters_by_asset(cast: Cast, nightly: BackupPolicy) -> None:
    policy(asset(cast.org, "PACS"), "images")
    response = client_for(cast.auditor).get(url("backup_policy_list"), {"asset": str(nightly.asset.public_id)})
    assert [p.job_name for p in response.context["page"].object_list] == ["nightly"]


def test_create_policy_from_the_page(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=1440)
    data = {
        "asset": ehr.public_id,
        "job_name": "EHR nightly",
        "method": "full",
        "schedule": "daily",
        "interval_hours": 24,
        "retention_days": 14,
        "encrypted_at_rest": "on",
    }
    response = client_for(cast.owner).post(url("backup_policy_create"), data)
    assert response.status_code == 302
    made = BackupPolicy.objects.get()
    assert (made.encrypted_at_rest, made.offline_copy) == (True, False)


def test_page_shows_the_retention_refusal_on_its_field(cast: Cast) -> None:
    ehr = asset(cast.org, "EHR", rpo=7 * 1440)
    data = {"asset": ehr.public_id, "job_name": "n", "method": "full", "schedule": "d", "interval_hours": 24}
    response = client_for(cast.owner).post(url("backup_policy_create"), data | {"retention_days": 2})
    assert response.status_code == 200
    assert "objective of 7 d " in response.context["form"].errors["retention_days"][0]


def test_edit_and_deactivate_from_the_page(cast: Cast, nightly: BackupPolicy) -> None:
    client = client_for(cast.owner)
    form = client.get(url("backup_policy_edit", policy_id=nightly.public_id)).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    response = client.post(url("backup_policy_edit", policy_id=nightly.public_id), data | {"schedule": "daily 02:00"})
    assert response.status_code == 302
    client.post(url("backup_policy_active", policy_id=nightly.public_id), {"active": "no"})
    nightly.refresh_from_db()
    assert (nightly.schedule, nightly.active) == ("daily 02:00", False)


def test_auditor_cannot_change_policies_or_import(cast: Cast, nightly: BackupPolicy) -> None:
    client = client_for(cast.auditor)
    before = AuditEvent.objects.count()
    assert client.get(url("backup_policy_create")).status_code == 403
    assert client.post(url("backup_policy_active", policy_id=nightly.public_id), {"active": "no"}).status_code == 403
    assert client.get(url("backup_import_upload")).status_code == 403
    nightly.refresh_from_db()
    assert nightly.active is True and AuditEvent.objects.count() == before


def test_upload_map_and_read_through_the_pages(
    cast: Cast, nightly: BackupPolicy, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(cast.owner)
    data = csv_text(
        "EHR,nightly,2026-03-01T01:00:00Z,2026-03-01T01:30:00Z,ok,1", header="Client,Job,Start,Stop,Result,Bytes"
    )
    response = client.post(url("backup_import_upload"), {"file": SimpleUploadedFile("r.csv", data)})
    batch = BackupImport.objects.get()
    assert response.status_code == 302
    page = client.get(url("backup_import_detail", import_id=batch.public_id))
    assert page.context["form"].initial["started"] == "Start"
    mapping = {"asset": "Client", "job": "Job", "started": "Start", "finished": "Stop", "status": "Result"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url("backup_import_detail", import_id=batch.public_id), mapping)
    batch.refresh_from_db()
    assert (batch.state, batch.inserted) == ("done", 1)
    assert BackupResult.objects.count() == 1


def test_auditor_sees_an_import_but_cannot_map_it(cast: Cast, nightly: BackupPolicy) -> None:
    owner = client_for(cast.owner)
    owner.post(url("backup_import_upload"), {"file": SimpleUploadedFile("r.csv", csv_text())})
    batch = BackupImport.objects.get()
    auditor = client_for(cast.auditor)
    assert auditor.get(url("backup_import_detail", import_id=batch.public_id)).context["form"] is None
    assert auditor.post(url("backup_import_detail", import_id=batch.public_id), {"asset": "asset"}).status_code == 403
    batch.refresh_from_db()
    assert batch.mapping == {}


def test_refused_import_lists_problems_by_row(cast: Cast, nightly: BackupPolicy) -> None:
    batch = BackupImport.objects.create(
        organization=cast.org,
        channel="hook",
        state="refused",
        rejected=1,
        errors=[{"row": 4, "field": "finished", "reason": "The run finished before it started."}],
        failure="1 problem in 1 row. Nothing was stored.",
    )
    page = client_for(cast.auditor).get(url("backup_import_detail", import_id=batch.public_id)).content.decode()
    assert "The run finished before it started." in page and "Nothing was stored" in page


def test_import_list_is_paginated(cast: Cast) -> None:
    BackupImport.objects.bulk_create(BackupImport(organization=cast.org, channel="hook") for _ in range(55))
    response = client_for(cast.auditor).get(url("backup_import_list"))
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].has_next()
