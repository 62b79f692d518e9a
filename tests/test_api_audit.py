"""The audit trail over the API: read-only, view-audit permission, filters, pagination, flat query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import AuditEvent
from tests.conftest import Cast
from tests.test_api_support import api_client, client_as, error_of

BASE = "/api/v1/orgs/clinic/audit-events/"


def record(cast: Cast, action: str, actor: Actor | None = None, count: int = 1) -> None:
    with transaction.atomic():
        for _ in range(count):
            audit_record(
                actor=actor or Actor(user=cast.owner, ip="10.0.0.5"),
                action=action,
                organization=cast.org,
                object_type="test.thing",
                object_id="1",
                object_repr="A thing",
                changes={"n": [None, 1]},
            )


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("workforce", 403), ("auditor", 200), ("outsider", 404), ("anonymous", 401)]
)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    record(cast, "thing.made")
    response = client_as(cast, who).get(BASE)
    assert response.status_code == expected
    if expected == 200:
        (event,) = response.json()["results"]
        assert (event["action"], event["actor"], event["ip_address"]) == ("thing.made", "owner@clinic.test", "10.0.0.5")
        assert event["changes"] == {"n": [None, 1]}
        assert len(event["hash"]) == 64


def test_only_this_orgs_events_newest_first(cast: Cast) -> None:
    record(cast, "first")
    record(cast, "second")
    with transaction.atomic():
        audit_record(actor=Actor(user=cast.outsider), action="elsewhere", organization=cast.other_org)
    results = api_client(cast.auditor).get(BASE).json()["results"]
    assert [r["action"] for r in results] == ["second", "first"]
    assert [r["sequence"] for r in results] == [2, 1]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_read_only(cast: Cast, method: str) -> None:
    record(cast, "thing.made")
    response = getattr(api_client(cast.owner), method)(BASE, {}, format="json")
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"
    assert AuditEvent.objects.count() == 1


def test_filters_by_action_actor_and_dates(cast: Cast) -> None:
    record(cast, "evidence.uploaded")
    record(cast, "evidence.downloaded", actor=Actor(user=cast.auditor))
    client = api_client(cast.owner)
    by_action = client.get(BASE, {"action": "evidence.downloaded"}).json()["results"]
    assert [r["actor"] for r in by_action] == ["auditor@firm.test"]
    by_actor = client.get(BASE, {"actor": "OWNER@clinic.test"}).json()["results"]
    assert [r["action"] for r in by_actor] == ["evidence.uploaded"]
    today = timezone.localdate()
    assert client.get(BASE, {"since": today.isoformat(), "until": today.isoformat()}).json()["count"] == 2
    assert client.get(BASE, {"since": (today + timedelta(days=1)).isoformat()}).json()["count"] == 0
    assert client.get(BASE, {"until": (today - timedelta(days=1)).isoformat()}).json()["count"] == 0


def test_action_prefix_and_object_type_filter_like_the_audit_page(cast: Cast) -> None:
    record(cast, "evidence.uploaded")
    record(cast, "evidence.downloaded")
    record(cast, "obligation.created")
    client = api_client(cast.owner)
    prefix = client.get(BASE, {"action": "evidence."}).json()["results"]
    assert sorted(r["action"] for r in prefix) == ["evidence.downloaded", "evidence.uploaded"]
    assert client.get(BASE, {"object_type": "test.thing"}).json()["count"] == 3
    assert client.get(BASE, {"object_type": "core.evidence"}).json()["count"] == 0


def test_bad_filters_are_400_with_field_paths(cast: Cast) -> None:
    client = api_client(cast.owner)
    malformed = client.get(BASE, {"since": "last week"})
    assert malformed.status_code == 400
    assert list(error_of(malformed)["fields"]) == ["since"]
    backwards = client.get(BASE, {"since": "2025-02-01", "until": "2025-01-01"})
    assert backwards.status_code == 400
    assert list(error_of(backwards)["fields"]) == ["until"]


def test_paginates(cast: Cast) -> None:
    record(cast, "bulk", count=55)
    client = api_client(cast.auditor)
    first = client.get(BASE).json()
    assert (first["count"], len(first["results"])) == (55, 50)
    assert len(client.get(first["next"]).json()["results"]) == 5
    too_far = client.get(BASE, {"page": 9})
    assert too_far.status_code == 404
    assert error_of(too_far)["code"] == "not_found"


def test_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)

    def count_for(n: int) -> int:
        record(cast, "bulk", count=n - AuditEvent.objects.filter(organization=cast.org).count())
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(BASE).status_code == 200
        return len(ctx.captured_queries)

    assert count_for(3) == count_for(30)
