"""The shippers' endpoint: POST /api/v1/orgs/<org>/activity/sources/<id>/events with a source's ingestion token."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from safeguard.activity.api.ingest import MAX_LINES
from safeguard.activity.models import IngestBatch, IngestToken
from safeguard.activity.services.sources import token_create, token_revoke
from safeguard.core.audit import Actor
from tests.activity_factories import make_source
from tests.conftest import Cast
from tests.test_activity_ingestion_fakes import Fakes, install_fakes
from tests.test_api_support import api_client


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    return install_fakes(monkeypatch)


T1 = "2026-03-02T10:00:00+00:00"


def _url(source) -> str:
    return f"/api/v1/orgs/{source.organization.slug}/activity/sources/{source.public_id}/events"


def _post(source, key: str | None, body: bytes, content_type: str = "application/x-ndjson"):
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client.post(_url(source), data=body, content_type=content_type)


def _lines(*records: object) -> bytes:
    return b"".join(
        (record if isinstance(record, bytes) else json.dumps(record).encode()) + b"\n" for record in records
    )


@pytest.fixture
def source_and_key(cast: Cast):
    source = make_source(cast.org, format="normalized")
    _, key = token_create(organization=cast.org, actor=Actor(cast.owner), source=source, name="shipper")
    return source, key


def test_batch_stored_and_bad_line_rejected_with_its_number(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, key = source_and_key
    body = _lines({"uid": "a", "time": T1}, b"{not json", b"", {"uid": "b", "time": T1}, {"bad": True})
    response = _post(source, key, body)
    assert response.status_code == 200, response.content
    data = response.json()
    batch = IngestBatch.objects.get(source=source)
    assert data["batch"] == str(batch.public_id)
    assert (data["accepted"], data["duplicates"], data["rejected"]) == (2, 0, 2)
    assert [(reject["line"], reject["field"]) for reject in data["rejects"]] == [(2, ""), (5, "time")]
    assert data["rejects"][0]["reason"].startswith("not JSON")
    assert batch.channel == IngestBatch.Channel.HTTP
    assert IngestToken.objects.get(source=source).last_used_at is not None

    again = _post(source, key, _lines({"uid": "a", "time": T1}))
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)


def test_missing_malformed_and_revoked_tokens_are_401(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, key = source_and_key
    body = _lines({"uid": "a", "time": T1})
    assert _post(source, None, body).status_code == 401
    assert _post(source, "sgi_not-a-real-key", body).status_code == 401
    assert _post(source, "sg_personal", body).status_code == 401
    token_revoke(organization=cast.org, actor=Actor(cast.owner), token=IngestToken.objects.get(source=source))
    response = _post(source, key, body)
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "Invalid or revoked ingestion token."
    assert not IngestBatch.objects.exists()


def test_personal_api_token_is_not_an_ingestion_token(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, _ = source_and_key
    response = api_client(cast.owner).post(_url(source), data=_lines({"uid": "a"}), content_type="application/x-ndjson")
    assert response.status_code == 401
    assert not IngestBatch.objects.exists()


def test_other_sources_token_is_403(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, _ = source_and_key
    other = make_source(cast.org, name="VPN", format="normalized")
    _, other_key = token_create(organization=cast.org, actor=Actor(cast.owner), source=other, name="vpn")
    response = _post(source, other_key, _lines({"uid": "a", "time": T1}))
    assert response.status_code == 403
    assert not IngestBatch.objects.exists()


def test_other_organizations_token_cannot_post_here(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, _ = source_and_key
    theirs = make_source(cast.other_org, format="normalized")
    _, their_key = token_create(organization=cast.other_org, actor=Actor(cast.outsider), source=theirs, name="x")
    assert _post(source, their_key, _lines({"uid": "a", "time": T1})).status_code == 403
    # their own source, reached through our organization's URL, does not exist here
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {their_key}")
    url = f"/api/v1/orgs/{cast.org.slug}/activity/sources/{theirs.public_id}/events"
    assert client.post(url, data=b"{}\n", content_type="application/x-ndjson").status_code == 404
    assert not IngestBatch.objects.exists()


def test_too_many_lines_is_413_naming_the_limit(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, key = source_and_key
    response = _post(source, key, b"{}\n" * (MAX_LINES + 1))
    assert response.status_code == 413
    assert "10,000 lines" in response.json()["error"]["message"]
    assert not IngestBatch.objects.exists()


def test_too_many_bytes_is_413(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, key = source_and_key
    response = _post(source, key, b'{"pad": "' + b"x" * (10 * 1024 * 1024) + b'"}\n')
    assert response.status_code == 413
    assert "10 MB" in response.json()["error"]["message"]


def test_wrong_content_type_is_415(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, key = source_and_key
    assert _post(source, key, b'{"uid": "a"}', content_type="application/json").status_code == 415


def test_deactivated_source_refuses(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, key = source_and_key
    source.is_active = False
    source.save()
    assert _post(source, key, _lines({"uid": "a", "time": T1})).status_code == 403


def test_body_past_djangos_form_limit_but_within_ours_is_read(cast: Cast, fakes: Fakes, source_and_key) -> None:
    source, key = source_and_key
    padded = {"uid": "big", "time": T1, "pad": "x" * (3 * 1024 * 1024)}
    response = _post(source, key, _lines(padded))
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
