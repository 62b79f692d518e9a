"""Stored events over the API: the role matrix, another organization's uids not found, filters, pagination with
the store's total, the detail with its raw line, and a flat number of queries."""

from __future__ import annotations

import pytest

from safeguard.activity.store.duckdb import DuckDBEventStore
from tests.activity_factories import make_source
from tests.test_activity_store_support import append, event
from tests.test_api_support import client_as, error_of

BASE = "/api/v1/orgs/clinic/activity/events/"


@pytest.fixture
def ehr(cast):
    source = make_source(cast.org)
    append(
        DuckDBEventStore.for_organization(cast.org.pk),
        [
            event("e1", "2024-01-02 10:00", user_name="Alice", patient_id="MRN1", src_ip="10.0.0.1"),
            event("e2", "2024-01-03 10:00", user_name="bob", patient_id="MRN2", raw="raw two"),
            event("e3", "2024-01-04 10:00", user_name="alice", patient_id="MRN2"),
        ],
        source_id=source.pk,
    )
    return source


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_role_matrix(cast, ehr, who, status):
    client = client_as(cast, who)
    assert client.get(BASE).status_code == status
    assert client.get(f"{BASE}e1/").status_code == status


def test_another_organizations_uid_is_not_found_in_its_own_store(cast, ehr):
    client = client_as(cast, "outsider")
    assert client.get("/api/v1/orgs/other/activity/events/").json()["count"] == 0
    response = client.get("/api/v1/orgs/other/activity/events/e1/")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_list_is_newest_first_with_count_and_decoded_fields(cast, ehr):
    body = client_as(cast, "owner").get(BASE).json()
    assert body["count"] == 3
    assert [row["event_uid"] for row in body["results"]] == ["e3", "e2", "e1"]
    first = body["results"][2]
    assert first["user_name"] == "alice"
    assert first["src_ip"] == "10.0.0.1"
    assert first["source"] == str(ehr.public_id)
    assert first["source_name"] == "EHR"
    assert first["time"] == "2024-01-02T10:00:00Z"
    assert "raw" not in first and "source_id" not in first and "batch_id" not in first


def test_filters_and_pages(cast, ehr):
    client = client_as(cast, "owner")

    def uids(**query) -> list[str]:
        return [row["event_uid"] for row in client.get(BASE, query).json()["results"]]

    assert uids(user="ALICE") == ["e3", "e1"]
    assert uids(patient="MRN2", user="bob") == ["e2"]
    assert uids(date_from="2024-01-03", date_to="2024-01-04") == ["e3", "e2"]
    assert uids(source=str(ehr.public_id), page_size=2, page=2) == ["e1"]
    page = client.get(BASE, {"page_size": 2}).json()
    assert (page["count"], len(page["results"]), page["next"] is not None) == (3, 2, True)


def test_bad_filters_are_400_with_the_field(cast, ehr):
    client = client_as(cast, "owner")
    wrong_order = client.get(BASE, {"date_from": "2024-01-05", "date_to": "2024-01-01"})
    assert wrong_order.status_code == 400
    assert "date_to" in error_of(wrong_order)["fields"]
    theirs = make_source(cast.other_org, name="Theirs")
    foreign = client.get(BASE, {"source": str(theirs.public_id)})
    assert foreign.status_code == 400
    assert error_of(foreign)["fields"] == {"source": ["No log source of this organization has this id."]}


def test_detail_includes_the_raw_line(cast, ehr):
    body = client_as(cast, "owner").get(f"{BASE}e2/").json()
    assert (body["event_uid"], body["raw"], body["patient_id"]) == ("e2", "raw two", "MRN2")


def test_list_queries_do_not_grow_with_events(cast, ehr, django_assert_max_num_queries):
    client = client_as(cast, "owner")
    client.get(BASE)  # the organization's first audit event also makes its chain head
    # Eight for the list, five for the search's audit event.
    with django_assert_max_num_queries(13):
        assert client.get(BASE).json()["count"] == 3
    append(
        DuckDBEventStore.for_organization(cast.org.pk),
        [event(f"m{n}", f"2024-01-05 00:00:{n:02}") for n in range(40)],
        source_id=ehr.pk,
        batch_id=2,
    )
    with django_assert_max_num_queries(13):
        assert len(client.get(BASE).json()["results"]) == 43
