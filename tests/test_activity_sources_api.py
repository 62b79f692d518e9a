"""Sources over the API: the role matrix, other organizations' records are 404, lists in constant queries,
tokens (key once), uploads, batches (raw reject lines only for those who may see events)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.activity.models import IngestBatch, IngestToken, LogSource
from safeguard.core.models import AuditEvent
from tests.activity_factories import make_source
from tests.conftest import Cast
from tests.test_activity_ingestion_fakes import Fakes, install_fakes
from tests.test_api_support import api_client


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    return install_fakes(monkeypatch)


BASE = "/api/v1/orgs/clinic/activity"
CSV_MAP = {"time": "T", "user_name": "U", "action": "A"}


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_list_role_matrix(cast: Cast, who: str, status: int) -> None:
    make_source(cast.org)
    assert api_client(getattr(cast, who)).get(f"{BASE}/sources/").status_code == status


def test_list_in_constant_queries(cast: Cast, django_assert_max_num_queries) -> None:
    for n in range(25):
        make_source(cast.org, name=f"S{n}")
    make_source(cast.other_org, name="Theirs")
    client = api_client(cast.auditor)
    with django_assert_max_num_queries(8):
        response = client.get(f"{BASE}/sources/")
    names = [row["name"] for row in response.json()["results"]]
    assert len(names) == 25 and "Theirs" not in names


@pytest.mark.parametrize(
    ("who", "status"), [("official", 201), ("auditor", 403), ("workforce", 403), ("outsider", 404)]
)
def test_create_role_matrix(cast: Cast, who: str, status: int) -> None:
    body = {"name": "EHR", "kind": "ehr", "format": "ehr_csv", "mapping": CSV_MAP, "time_zone": "America/Chicago"}
    response = api_client(getattr(cast, who)).post(f"{BASE}/sources/", body, format="json")
    assert response.status_code == status
    assert LogSource.objects.filter(organization=cast.org).count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["mapping"] == CSV_MAP
    else:
        assert not AuditEvent.objects.filter(action="activity.source_created").exists()


def test_create_refusal_names_the_field(cast: Cast) -> None:
    body = {"name": "EHR", "kind": "ehr", "format": "ehr_csv", "mapping": {"time": "T"}}
    response = api_client(cast.owner).post(f"{BASE}/sources/", body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["mapping"][0].startswith("A CSV source needs the column for user_name")


def test_asset_of_another_organization_is_404(cast: Cast) -> None:
    from safeguard.risk.models import Asset

    theirs = Asset.objects.create(organization=cast.other_org, name="X", kind="application")
    body = {"name": "EHR", "kind": "ehr", "format": "okta", "asset": str(theirs.public_id)}
    assert api_client(cast.owner).post(f"{BASE}/sources/", body, format="json").status_code == 404


def test_other_organizations_source_is_404_everywhere(cast: Cast) -> None:
    theirs = make_source(cast.other_org)
    client = api_client(cast.owner)
    url = f"{BASE}/sources/{theirs.public_id}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"name": "Mine"}, format="json").status_code == 404
    assert client.post(f"{url}deactivate/").status_code == 404
    assert client.post(f"{url}tokens/", {"name": "x"}, format="json").status_code == 404
    assert client.get(f"{url}batches/").status_code == 404
    theirs.refresh_from_db()
    assert (theirs.name, theirs.is_active) == ("EHR", True)


def test_patch_and_deactivate(cast: Cast) -> None:
    source = make_source(cast.org)
    client = api_client(cast.owner)
    response = client.patch(f"{BASE}/sources/{source.public_id}/", {"silent_after_hours": 8}, format="json")
    assert response.status_code == 200 and response.json()["silent_after_hours"] == 8
    assert client.post(f"{BASE}/sources/{source.public_id}/deactivate/").json()["is_active"] is False
    assert api_client(cast.auditor).post(f"{BASE}/sources/{source.public_id}/activate/").status_code == 403
    source.refresh_from_db()
    assert not source.is_active


def test_token_create_list_revoke(cast: Cast) -> None:
    source = make_source(cast.org)
    client = api_client(cast.owner)
    created = client.post(f"{BASE}/sources/{source.public_id}/tokens/", {"name": "Vector"}, format="json").json()
    assert created["key"].startswith("sgi_") and created["prefix"] == created["key"][:12]
    listed = client.get(f"{BASE}/sources/{source.public_id}/tokens/").json()["results"]
    assert [row["name"] for row in listed] == ["Vector"] and "key" not in listed[0]
    assert api_client(cast.auditor).get(f"{BASE}/sources/{source.public_id}/tokens/").status_code == 403
    revoke = f"{BASE}/sources/{source.public_id}/tokens/{created['public_id']}/revoke/"
    assert client.post(revoke).json()["revoked_at"] is not None
    assert IngestToken.objects.get().revoked_at is not None


def test_upload_reads_the_file(cast: Cast, fakes: Fakes, django_capture_on_commit_callbacks) -> None:
    source = make_source(cast.org)
    upload = SimpleUploadedFile("log.ndjson", b'{"uid": "a", "time": "2026-03-02T10:00:00+00:00"}\n')
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client(cast.owner).post(
            f"{BASE}/sources/{source.public_id}/batches/", {"file": upload}, format="multipart"
        )
    assert response.status_code == 202
    batch = IngestBatch.objects.get(public_id=response.json()["public_id"])
    assert (batch.state, batch.accepted) == ("done", 1)
    assert (
        api_client(cast.auditor)
        .post(f"{BASE}/sources/{source.public_id}/batches/", {"file": upload}, format="multipart")
        .status_code
        == 403
    )


def test_batch_raw_lines_only_for_event_viewers(cast: Cast, django_assert_max_num_queries) -> None:
    source = make_source(cast.org)
    for _ in range(5):
        batch = IngestBatch.objects.create(
            organization=cast.org,
            source=source,
            channel="http",
            rejects=[{"line": 1, "field": "", "reason": "not JSON", "raw": "MRN 123 SMITH"}],
        )
    owner, auditor = api_client(cast.owner), api_client(cast.auditor)
    assert owner.get(f"{BASE}/batches/{batch.public_id}/").json()["rejects"][0]["raw"] == "MRN 123 SMITH"
    hidden = auditor.get(f"{BASE}/batches/{batch.public_id}/").json()["rejects"][0]
    assert (hidden["raw"], hidden["reason"]) == ("", "not JSON")
    with django_assert_max_num_queries(8):
        rows = auditor.get(f"{BASE}/sources/{source.public_id}/batches/").json()["results"]
    assert len(rows) == 5 and {row["rejects"][0]["raw"] for row in rows} == {""}
    assert api_client(cast.outsider).get(f"/api/v1/orgs/other/activity/batches/{batch.public_id}/").status_code == 404
