"""Reading events is reading PHI: every search, event opened, evidence shown and evidence exported writes exactly
one audit event naming the member (pages and API); a refused read writes none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from safeguard.activity.models import Alert
from safeguard.activity.store.duckdb import DuckDBEventStore
from safeguard.core.models import AuditEvent, User
from tests.activity_factories import make_alert, make_rule, make_source
from tests.conftest import Cast, client_for
from tests.test_activity_store_support import append, event
from tests.test_api_support import client_as

PAGES = "/o/clinic/activity"
API = "/api/v1/orgs/clinic/activity"


@pytest.fixture
def ehr(cast: Cast):
    source = make_source(cast.org)
    append(
        DuckDBEventStore.for_organization(cast.org.pk),
        [
            event("e1", "2024-01-02 10:00", user_name="alice", patient_id="MRN1"),
            event("e2", "2024-01-03 10:00", user_name="bob", patient_id="MRN2"),
            event("e3", "2024-01-04 10:00", user_name="alice", patient_id="MRN2"),
        ],
        source_id=source.pk,
    )
    return source


def only_event(before: int, user: User) -> AuditEvent:
    """The single audit event written since `before` rows existed, checked to name the member."""
    written = list(AuditEvent.objects.order_by("sequence")[before:])
    assert len(written) == 1, [e.action for e in written]
    assert written[0].actor == user
    assert written[0].actor_label == user.email
    return written[0]


# ---- events ----------------------------------------------------------------------------------------------------


def test_search_page_writes_one_event_with_filters_and_counts(cast: Cast, ehr):
    before = AuditEvent.objects.count()
    response = client_for(cast.official).get(f"{PAGES}/events/", {"user": "ALICE", "patient": "MRN2"})
    assert [row["event_uid"] for row in response.context["events"]] == ["e3"]
    recorded = only_event(before, cast.official)
    assert recorded.action == "activity.events_searched"
    assert recorded.organization == cast.org
    # The patient id stays out of the trail auditors read; the uids say which events were shown.
    assert recorded.changes == {
        "filters": [None, {"user": "ALICE", "patient": "(given, not recorded)"}],
        "page": [None, 1],
        "shown": [None, 1],
        "matching": [None, 1],
        "uids": [None, ["e3"]],
    }
    assert "MRN2" not in str(recorded.changes)


def test_search_page_records_the_source_filter_by_its_public_id(cast: Cast, ehr):
    before = AuditEvent.objects.count()
    client_for(cast.owner).get(f"{PAGES}/events/", {"source": str(ehr.public_id), "date_from": "2024-01-03"})
    recorded = only_event(before, cast.owner)
    assert recorded.changes["filters"] == [None, {"source": str(ehr.public_id), "date_from": "2024-01-03"}]
    assert recorded.changes["uids"] == [None, ["e3", "e2"]]
    assert recorded.changes["matching"] == [None, 2]


def test_event_detail_page_writes_one_event_naming_the_uid(cast: Cast, ehr):
    before = AuditEvent.objects.count()
    assert client_for(cast.owner).get(f"{PAGES}/events/e2/").status_code == 200
    recorded = only_event(before, cast.owner)
    assert (recorded.action, recorded.object_type, recorded.object_id) == (
        "activity.events_viewed",
        "activity.event",
        "e2",
    )
    assert recorded.changes == {"uids": [None, ["e2"]], "shown": [None, 1]}


def test_missing_event_writes_nothing(cast: Cast, ehr):
    before = AuditEvent.objects.count()
    assert client_for(cast.owner).get(f"{PAGES}/events/nope/").status_code == 404
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_refused_event_pages_write_nothing(cast: Cast, ehr, who: str):
    before = AuditEvent.objects.count()
    client = client_for(getattr(cast, who))
    assert client.get(f"{PAGES}/events/").status_code == 403
    assert client.get(f"{PAGES}/events/e1/").status_code == 403
    assert AuditEvent.objects.count() == before


def test_search_api_writes_one_event_per_request_not_per_row(cast: Cast, ehr):
    client = client_as(cast, "owner")
    before = AuditEvent.objects.count()
    body = client.get(f"{API}/events/", {"page_size": 2, "page": 2}).json()
    assert [row["event_uid"] for row in body["results"]] == ["e1"]
    recorded = only_event(before, cast.owner)
    assert recorded.action == "activity.events_searched"
    assert recorded.changes == {
        "filters": [None, {}],
        "page": [None, 2],
        "shown": [None, 1],
        "matching": [None, 3],
        "uids": [None, ["e1"]],
    }


def test_event_api_writes_one_event(cast: Cast, ehr):
    client = client_as(cast, "official")
    before = AuditEvent.objects.count()
    assert client.get(f"{API}/events/e1/").status_code == 200
    recorded = only_event(before, cast.official)
    assert (recorded.action, recorded.object_id) == ("activity.events_viewed", "e1")


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_refused_event_api_writes_nothing(cast: Cast, ehr, who: str, status: int):
    client = client_as(cast, who)
    before = AuditEvent.objects.count()
    assert client.get(f"{API}/events/").status_code == status
    assert client.get(f"{API}/events/e1/").status_code == status
    assert AuditEvent.objects.count() == before


# ---- evidence --------------------------------------------------------------------------------------------------


class FakeStore:
    def events(self, uids: list[str], *, limit: int = 1000) -> list[dict[str, Any]]:
        return [{"event_uid": uid, "user_name": "jdoe", "patient_id": "MRN-7", "activity": "read"} for uid in uids]

    def export(self, uids: list[str]) -> Iterator[bytes]:
        for uid in uids:
            yield f'{{"event_uid": "{uid}"}}\n'.encode()


@pytest.fixture
def alert(cast: Cast, monkeypatch) -> Alert:
    monkeypatch.setattr("safeguard.activity.store.store_for", lambda organization_id: FakeStore())
    rule = make_rule(cast.org, "vip_access", title="VIP record opened")
    return make_alert(cast.org, rule, uid="a", evidence_uids=["e1", "e2"], evidence_count=2)


def test_alert_page_with_evidence_writes_one_evidence_event(cast: Cast, alert: Alert):
    before = AuditEvent.objects.count()
    assert "MRN-7" in client_for(cast.owner).get(f"{PAGES}/alerts/{alert.public_id}/").content.decode()
    recorded = only_event(before, cast.owner)
    assert (recorded.action, recorded.object_type, recorded.object_id) == (
        "activity.evidence_viewed",
        "activity.alert",
        str(alert.public_id),
    )
    assert recorded.changes == {"uids": [None, ["e1", "e2"]], "shown": [None, 2]}


def test_alert_page_without_evidence_rights_writes_nothing(cast: Cast, alert: Alert):
    before = AuditEvent.objects.count()
    page = client_for(cast.auditor).get(f"{PAGES}/alerts/{alert.public_id}/")
    assert page.status_code == 200 and "MRN-7" not in page.content.decode()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("file_format", ["ndjson", "csv"])
def test_each_evidence_export_writes_one_event(cast: Cast, alert: Alert, file_format: str):
    before = AuditEvent.objects.count()
    response = client_for(cast.official).get(f"{PAGES}/alerts/{alert.public_id}/evidence.{file_format}")
    assert response.status_code == 200
    body = response.getvalue()
    assert b"e2" in body
    recorded = only_event(before, cast.official)
    assert recorded.action == "activity.evidence_exported"
    assert recorded.object_id == str(alert.public_id)
    assert recorded.changes == {"format": [None, file_format], "uids": [None, ["e1", "e2"]], "evidence": [None, 2]}


def test_evidence_api_writes_one_event(cast: Cast, alert: Alert):
    client = client_as(cast, "owner")
    before = AuditEvent.objects.count()
    body = client.get(f"{API}/alerts/{alert.public_id}/evidence/").json()
    assert [row["event_uid"] for row in body["results"]] == ["e1", "e2"]
    recorded = only_event(before, cast.owner)
    assert recorded.action == "activity.evidence_viewed"
    assert recorded.changes == {"uids": [None, ["e1", "e2"]], "shown": [None, 2]}


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_refused_evidence_reads_write_nothing(cast: Cast, alert: Alert, who: str):
    before = AuditEvent.objects.count()
    client = client_for(getattr(cast, who))
    for suffix in ("evidence.ndjson", "evidence.csv"):
        assert client.get(f"{PAGES}/alerts/{alert.public_id}/{suffix}").status_code == 403
    assert client_as(cast, who).get(f"{API}/alerts/{alert.public_id}/evidence/").status_code == 403
    assert AuditEvent.objects.count() == before
