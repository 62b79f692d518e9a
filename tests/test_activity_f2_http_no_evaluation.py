"""Shippers post every few seconds: their requests store events and queue no rule run (the micro-batch schedule
evaluates them), while a file read still asks for its own run."""

from __future__ import annotations

import json

from rest_framework.test import APIClient

from safeguard.activity.models import IngestBatch, RuleRun
from safeguard.activity.services.ingestion import ingest_path
from safeguard.activity.services.sources import token_create
from safeguard.activity.store import store_for
from safeguard.core.audit import Actor
from tests.activity_factories import make_rule, make_source
from tests.conftest import Cast

EVENT = {"time": "2026-03-02T09:15:00+00:00", "event_class": "authentication", "activity": "logon",
         "outcome": "failure", "user_name": "jdoe"}  # fmt: skip


def test_a_shippers_post_queues_no_rule_run(cast: Cast, django_capture_on_commit_callbacks) -> None:
    make_rule(cast.org)
    source = make_source(cast.org, format="normalized")
    _, key = token_create(organization=cast.org, actor=Actor(cast.owner), source=source, name="shipper")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    body = "".join(json.dumps({**EVENT, "event_uid": f"h{n}"}) + "\n" for n in range(3)).encode()
    url = f"/api/v1/orgs/clinic/activity/sources/{source.public_id}/events"
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for _ in range(2):
            assert client.post(url, data=body, content_type="application/x-ndjson").status_code == 200
    assert not RuleRun.objects.exists()
    assert not callbacks
    assert store_for(cast.org.pk).count() == 3
    assert list(IngestBatch.objects.order_by("pk").values_list("accepted", "duplicates")) == [(3, 0), (0, 3)]


def test_a_file_still_asks_for_its_run(cast: Cast, tmp_path, django_capture_on_commit_callbacks) -> None:
    make_rule(cast.org)
    source = make_source(cast.org, format="normalized")
    path = tmp_path / "events.ndjson"
    path.write_text(json.dumps({**EVENT, "event_uid": "f1"}) + "\n")
    with django_capture_on_commit_callbacks(execute=False):
        batch = ingest_path(source, path, file_name=path.name, channel="command", actor=Actor(cast.owner))
    assert list(RuleRun.objects.values_list("batch_id", "state")) == [(batch.pk, RuleRun.State.QUEUED)]
