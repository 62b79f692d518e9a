"""Imports over the API: upload (201 with headers and the guessed mapping), mapping (202), polling, commit (202)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.risk.models import Asset, ImportJob
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_risk_import_support import (
    ASSET_HEADER,
    Capture,
    binary_file,
    checked,
    csv_file,
    inventory,
    start,
    xlsx_file,
)

BASE = "/api/v1/orgs/clinic/imports/"
State = ImportJob.State
DENIED = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def job_url(job: ImportJob, action: str = "", org: str = "clinic") -> str:
    return f"/api/v1/orgs/{org}/imports/{job.public_id}/{action}"


def test_the_whole_import_over_the_api(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    client = api_client(cast.owner)
    upload = xlsx_file([["Asset name", "Kind"], ["EHR", "application"], ["PACS", "Server"]])
    created = client.post(BASE, {"kind": "assets", "file": upload}, format="multipart")
    assert created.status_code == 201
    data = created.json()
    assert (data["state"], data["file_format"], data["headers"]) == ("uploaded", "xlsx", ["Asset name", "Kind"])
    assert data["mapping"] == {"name": "Asset name", "kind": "Kind"}
    job = ImportJob.objects.get(public_id=data["public_id"])

    with django_capture_on_commit_callbacks(execute=True):
        mapped = client.post(
            job_url(job, "mapping/"), {"mapping": {"name": "Asset name", "kind": "Kind"}}, format="json"
        )
    assert mapped.status_code == 202
    assert mapped.json()["state"] == "validating"
    ready = client.get(job_url(job)).json()
    assert (ready["state"], ready["progress"], ready["error_count"], ready["errors"]) == ("ready", 100, 0, [])
    assert [row["action"] for row in ready["preview"]] == ["create", "create"]
    assert ready["preview"][1]["values"]["kind"] == "server"

    with django_capture_on_commit_callbacks(execute=True):
        accepted = client.post(job_url(job, "commit/"))
    assert accepted.status_code == 202
    done = client.get(job_url(job)).json()
    assert (done["state"], done["created_count"], done["updated_count"]) == ("committed", 2, 0)
    assert sorted(Asset.objects.values_list("name", flat=True)) == ["EHR", "PACS"]


def test_errors_come_with_row_and_column_capped_with_a_count(
    cast: Cast, django_capture_on_commit_callbacks: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("safeguard.risk.api.imports.ERRORS_SHOWN", 3)
    rows = "".join(f"Asset {n},gadget,,,,,,\n" for n in range(5))
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(ASSET_HEADER + "\n" + rows))
    data = api_client(cast.owner).get(job_url(job)).json()
    assert data["state"] == "invalid"
    assert data["error_count"] == 5
    assert data["errors"][0]["row"] == 2 and data["errors"][0]["column"] == "kind"
    assert len(data["errors"]) == 3
    assert data["preview"] == []


def test_commit_is_refused_with_400_unless_ready(cast: Cast) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    before = audit_count()
    response = api_client(cast.owner).post(job_url(job, "commit/"))
    assert response.status_code == 400
    assert "Only a checked file without errors" in error_of(response)["message"]
    assert ImportJob.objects.get().state == State.UPLOADED
    assert audit_count() == before


def test_bad_uploads_and_mappings_are_400_with_the_field(cast: Cast) -> None:
    client = api_client(cast.owner)
    binary = binary_file()
    refused = client.post(BASE, {"kind": "assets", "file": binary}, format="multipart")
    assert refused.status_code == 400 and list(error_of(refused)["fields"]) == ["file"]
    wrong_kind = client.post(BASE, {"kind": "sanctions", "file": csv_file("name\n")}, format="multipart")
    assert wrong_kind.status_code == 400 and list(error_of(wrong_kind)["fields"]) == ["kind"]
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    unmapped = client.post(job_url(job, "mapping/"), {"mapping": {"name": "name"}}, format="json")
    assert unmapped.status_code == 400 and list(error_of(unmapped)["fields"]) == ["kind"]
    assert ImportJob.objects.count() == 1


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED])
def test_read_matrix(cast: Cast, who: str, expected: int) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    client = client_as(cast, who)
    assert client.get(BASE).status_code == expected
    assert client.get(job_url(job)).status_code == expected


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED])
def test_upload_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_as(cast, who).post(BASE, {"kind": "assets", "file": csv_file("name,kind\n")}, format="multipart")
    assert response.status_code == expected
    assert ImportJob.objects.exists() == (expected == 201)
    if expected != 201:
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 202), *DENIED])
def test_mapping_and_commit_matrix(
    cast: Cast, who: str, expected: int, django_capture_on_commit_callbacks: Capture
) -> None:
    ready = checked(cast, django_capture_on_commit_callbacks, csv_file("name,kind\nEHR,application\n"))
    uploaded = start(cast, csv_file("name,kind\nPACS,server\n"))
    before = audit_count()
    client = client_as(cast, who)
    with django_capture_on_commit_callbacks(execute=True):
        mapped = client.post(job_url(uploaded, "mapping/"), {"mapping": uploaded.mapping}, format="json")
        committed = client.post(job_url(ready, "commit/"))
    assert (mapped.status_code, committed.status_code) == (expected, expected)
    if expected != 202:
        assert audit_count() == before
        assert ImportJob.objects.get(pk=uploaded.pk).state == State.UPLOADED
        assert ImportJob.objects.get(pk=ready.pk).state == State.READY
        assert inventory() == (0, 0)


def test_another_organizations_import_is_not_found(cast: Cast) -> None:
    ours = start(cast, csv_file("name,kind\nEHR,application\n"))
    outsider = api_client(cast.outsider)
    assert outsider.get(job_url(ours, org="other")).status_code == 404
    assert outsider.post(job_url(ours, "commit/", org="other")).status_code == 404
    assert outsider.get("/api/v1/orgs/other/imports/").json()["results"] == []
    assert api_client(cast.owner).get(job_url(ours, org="other")).status_code == 404


def test_list_is_paginated_filtered_and_flat_in_queries(cast: Cast) -> None:
    client = api_client(cast.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BASE).status_code == 200
        return len(captured)

    for n in range(3):
        start(cast, csv_file("name,kind\n", name=f"{n}.csv"), user=cast.official if n % 2 else cast.owner)
    queries()
    few = queries()
    for n in range(3, 30):
        start(cast, csv_file("source,destination\n", name=f"{n}.csv"), kind="data_flows", user=cast.official)
    assert queries() == few
    data = client.get(BASE, {"page_size": 10}).json()
    assert data["count"] == 30 and len(data["results"]) == 10
    assert data["results"][0]["created_by"]["email"] == cast.official.email
    assert client.get(BASE, {"kind": "assets"}).json()["count"] == 3
    assert client.get(BASE, {"state": "nonsense"}).status_code == 400
