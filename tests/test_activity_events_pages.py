"""The events pages: who may see them, filters, paging from the store's total, the detail with the raw line,
another organization's events never reachable, and a flat number of queries."""

from __future__ import annotations

import pytest

from safeguard.activity.store.duckdb import DuckDBEventStore
from tests.activity_factories import make_source
from tests.conftest import client_for
from tests.test_activity_store_support import append, event

LIST = "/o/clinic/activity/events/"


@pytest.fixture
def ehr(cast):
    source = make_source(cast.org)
    store = DuckDBEventStore.for_organization(cast.org.pk)
    append(
        store,
        [
            event("e1", "2024-01-02 10:00", user_name="Alice", patient_id="MRN1", src_host="WS-1", src_ip="10.0.0.1"),
            event("e2", "2024-01-03 10:00", user_name="bob", patient_id="MRN2", raw="THE RAW LINE of e2"),
            event("e3", "2024-01-04 10:00", user_name="alice", patient_id="MRN2"),
        ],
        source_id=source.pk,
    )
    return source


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("official", 200), ("auditor", 403), ("workforce", 403)])
def test_only_roles_with_view_events_see_the_list_and_detail(cast, ehr, who, status):
    client = client_for(getattr(cast, who))
    assert client.get(LIST).status_code == status
    assert client.get(f"{LIST}e1/").status_code == status


def test_another_organizations_member_gets_404(cast, ehr):
    client = client_for(cast.outsider)
    assert client.get(LIST).status_code == 404
    assert client.get(f"{LIST}e1/").status_code == 404
    # In their own organization the uid is simply not there.
    assert client.get("/o/other/activity/events/e1/").status_code == 404
    # Not a search of the page for "e1": its random tokens hold that pair of characters now and then.
    assert [event["event_uid"] for event in client.get("/o/other/activity/events/").context["events"]] == []


def test_list_shows_events_newest_first_with_decoded_fields(cast, ehr):
    response = client_for(cast.owner).get(LIST)
    rows = [e["event_uid"] for e in response.context["events"]]
    assert rows == ["e3", "e2", "e1"]
    assert response.context["page"].paginator.count == 3
    content = response.content.decode()
    assert "ws-1" in content and "10.0.0.1" in content and "MRN1" in content and "EHR" in content


def test_filters_by_user_patient_source_and_dates(cast, ehr):
    client = client_for(cast.owner)

    def uids(**query) -> list[str]:
        return [e["event_uid"] for e in client.get(LIST, query).context["events"]]

    assert uids(user="ALICE") == ["e3", "e1"]
    assert uids(patient="MRN2") == ["e3", "e2"]
    assert uids(user="alice", patient="MRN2") == ["e3"]
    assert uids(source=str(ehr.public_id)) == ["e3", "e2", "e1"]
    other = make_source(cast.org, name="Okta")
    assert uids(source=str(other.public_id)) == []
    # TIME_ZONE is the installation's; the days are whole days there.
    assert uids(date_from="2024-01-03", date_to="2024-01-03") == ["e2"]
    assert uids(date_from="2024-01-03") == ["e3", "e2"]


def test_pages_of_fifty_come_from_the_store_total(cast):
    source = make_source(cast.org)
    rows = [event(f"n{n:03}", f"2024-01-01 00:{n // 60:02}:{n % 60:02}") for n in range(120)]
    append(DuckDBEventStore.for_organization(cast.org.pk), rows, source_id=source.pk)
    client = client_for(cast.owner)
    first = client.get(LIST)
    assert first.context["page"].paginator.num_pages == 3
    assert [e["event_uid"] for e in first.context["events"]][:2] == ["n119", "n118"]
    third = client.get(LIST, {"page": 3})
    assert [e["event_uid"] for e in third.context["events"]] == [f"n{n:03}" for n in range(19, -1, -1)]
    beyond = client.get(LIST, {"page": 9})
    assert beyond.context["page"].number == 3


def test_list_makes_the_same_number_of_queries_for_few_and_many_events(cast, django_assert_max_num_queries):
    source = make_source(cast.org)
    store = DuckDBEventStore.for_organization(cast.org.pk)
    client = client_for(cast.owner)
    append(store, [event("one", "2024-01-01 00:00")], source_id=source.pk)
    client.get(LIST)  # the organization's first audit event also makes its chain head
    # Ten for the page, five for the search's audit event.
    with django_assert_max_num_queries(15):
        client.get(LIST)
    append(store, [event(f"m{n}", f"2024-01-02 00:00:{n:02}") for n in range(50)], source_id=source.pk, batch_id=2)
    with django_assert_max_num_queries(15):
        assert len(client.get(LIST).context["events"]) == 50


def test_detail_shows_every_field_and_the_raw_line(cast, ehr):
    response = client_for(cast.owner).get(f"{LIST}e2/", {"source": str(ehr.public_id)})
    assert response.status_code == 200
    content = response.content.decode()
    assert "THE RAW LINE of e2" in content
    assert "MRN2" in content and "bob" in content


def test_detail_of_a_uid_with_special_characters(cast):
    source = make_source(cast.org)
    uid = "sha256:ab/cd"
    append(DuckDBEventStore.for_organization(cast.org.pk), [event(uid, "2024-01-01 00:00")], source_id=source.pk)
    assert client_for(cast.owner).get(f"{LIST}sha256:ab/cd/").status_code == 200


def test_detail_of_an_unknown_uid_or_source_is_404(cast, ehr):
    client = client_for(cast.owner)
    assert client.get(f"{LIST}nope/").status_code == 404
    other_source = make_source(cast.other_org, name="Theirs")
    assert client.get(f"{LIST}e1/", {"source": str(other_source.public_id)}).status_code == 404
