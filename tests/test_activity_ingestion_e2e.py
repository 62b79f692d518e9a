"""Ingestion through the real normalized-events parser and the DuckDB store: a file, the same file again (all
duplicates), a wrong file (nothing stored), and the HTTP endpoint; the evaluation is the only stand-in."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from safeguard.activity.models import IngestBatch
from safeguard.activity.services.ingestion import ingest_path
from safeguard.activity.services.sources import token_create
from safeguard.activity.store import store_for
from safeguard.core.audit import Actor
from tests.activity_factories import make_source
from tests.conftest import Cast


def _event(uid: str, hour: int, **extra: Any) -> dict[str, Any]:
    return {
        "event_uid": uid,
        "time": f"2026-03-02T{hour:02d}:15:00+00:00",
        "event_class": "authentication",
        "activity": "logon",
        "outcome": "failure",
        "user_name": "jdoe",
        **extra,
    }


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    from safeguard.activity.services import ingestion

    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(ingestion, "request_evaluation", lambda organization, **kwargs: asked.append(kwargs))
    return asked


def test_file_then_same_file_again(cast: Cast, evaluations, tmp_path) -> None:
    source = make_source(cast.org, format="normalized")
    path = tmp_path / "events.ndjson"
    lines = [_event("u1", 9), _event("u2", 11), {"time": "yesterday"}, _event("u3", 10)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    actor = Actor(cast.owner)

    first = ingest_path(source, path, file_name=path.name, channel="command", actor=actor)
    first.refresh_from_db()
    assert (first.state, first.lines_read, first.accepted, first.duplicates, first.rejected) == ("done", 4, 3, 0, 1)
    assert first.rejects[0]["line"] == 3
    assert first.parser == "normalized"
    assert store_for(cast.org.pk).count() == 3
    assert evaluations[0]["start"] == datetime(2026, 3, 2, 9, 15, tzinfo=UTC)
    assert evaluations[0]["end"] == datetime(2026, 3, 2, 11, 15, 0, 1, tzinfo=UTC)

    again = ingest_path(source, path, file_name=path.name, channel="command", actor=actor)
    assert (again.accepted, again.duplicates, again.rejected) == (0, 3, 1)
    assert store_for(cast.org.pk).count() == 3
    assert len(evaluations) == 1
    source.refresh_from_db()
    assert source.event_count == 3


def test_wrong_file_stores_nothing(cast: Cast, evaluations, tmp_path) -> None:
    source = make_source(cast.org, format="normalized")
    path = tmp_path / "export.csv"
    path.write_text("ACCESS_TIME,USER_ID\n2026-03-02 10:00,jdoe\n")
    batch = ingest_path(source, path, file_name=path.name, channel="command", actor=Actor(cast.owner))
    assert batch.state == IngestBatch.State.FAILED and batch.failure
    assert store_for(cast.org.pk).count() == 0


def test_http_endpoint_end_to_end(cast: Cast, evaluations) -> None:
    source = make_source(cast.org, format="normalized")
    _, key = token_create(organization=cast.org, actor=Actor(cast.owner), source=source, name="shipper")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = (json.dumps(_event("h1", 8)) + "\n{oops\n" + json.dumps(_event("h2", 9, colour="red")) + "\n").encode()
    url = f"/api/v1/orgs/clinic/activity/sources/{source.public_id}/events"
    data = client.post(url, data=body, content_type="application/x-ndjson").json()
    assert (data["accepted"], data["rejected"]) == (1, 2)
    assert [(reject["line"], reject["field"]) for reject in data["rejects"]] == [(2, ""), (3, "colour")]
    assert store_for(cast.org.pk).count() == 1
