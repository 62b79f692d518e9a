"""The restore test schedule page is paginated like the other contingency lists: overdue first, then by next due
date, then by name, across pages; its query count does not grow with assets; who may read it. The API schedule
pages the same order."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.contingency import views_restore_tests
from tests.conftest import client_for
from tests.contingency_restore_factories import asset_with_objectives, stored_test
from tests.test_api_support import client_as

pytestmark = pytest.mark.django_db
PAGE = "/o/clinic/contingency/restore-tests/schedule/"
API = "/api/v1/orgs/clinic/contingency/restore-tests/schedule/"


def _names(page: str, names: list[str]) -> list[str]:
    """The given asset names in the order the page shows them."""
    shown = [name for name in names if f"<td>{name}</td>" in page]
    return sorted(shown, key=lambda name: page.index(f"<td>{name}</td>"))


def _schedule(cast) -> list[str]:
    """Five assets: two never tested (due now, overdue), one overdue, two due later; names in the expected order."""
    today = timezone.localdate()
    asset_with_objectives(cast.org, "Zeta never")
    asset_with_objectives(cast.org, "Alpha never")
    late = asset_with_objectives(cast.org, "Late", tier=1)  # quarterly: tested 4 months ago is overdue
    stored_test(late, cast.official, on=today - timedelta(days=130))
    soon = asset_with_objectives(cast.org, "Soon", tier=1)
    stored_test(soon, cast.official, on=today - timedelta(days=60))
    later = asset_with_objectives(cast.org, "Later", tier=1)
    stored_test(later, cast.official, on=today - timedelta(days=10))
    return ["Late", "Alpha never", "Zeta never", "Soon", "Later"]


def test_the_schedule_is_paged_in_its_order(cast, monkeypatch):
    expected = _schedule(cast)
    monkeypatch.setattr(views_restore_tests, "PAGE_SIZE", 2)
    client = client_for(cast.auditor)
    pages = [client.get(PAGE, {"page": number}).content.decode() for number in (1, 2, 3)]
    assert [_names(page, expected) for page in pages] == [expected[:2], expected[2:4], expected[4:]]
    assert "Page 1 of 3" in pages[0] and 'rel="next"' in pages[0]
    assert "5 assets" in pages[0]
    # An out-of-range page shows the last one, as the other lists do.
    assert _names(client.get(PAGE, {"page": 99}).content.decode(), expected) == expected[4:]


def test_one_page_shows_no_pager(cast):
    _schedule(cast)
    page = client_for(cast.official).get(PAGE).content.decode()
    assert "Page 1 of" not in page and "Record a test" in page


def _count(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PAGE).status_code == 200
    return len(captured.captured_queries)


def test_the_query_count_is_the_same_for_a_few_and_many_assets(cast, django_assert_num_queries, monkeypatch):
    monkeypatch.setattr(views_restore_tests, "PAGE_SIZE", 5)
    _schedule(cast)
    client = client_for(cast.official)
    client.get(PAGE)  # the session and settings rows are made on the first visit
    few = _count(client)
    for number in range(12):
        stored_test(asset_with_objectives(cast.org, f"System {number}"), cast.official, on=date(2026, 1, 2))
    with django_assert_num_queries(few):
        page = client.get(PAGE).content.decode()
    assert "Page 1 of 4" in page


@pytest.mark.parametrize(("who", "expected"), [("auditor", 200), ("official", 200), ("workforce", 403)])
def test_who_may_read_the_schedule(cast, who, expected):
    _schedule(cast)
    response = client_for(getattr(cast, who)).get(PAGE)
    assert response.status_code == expected
    if who == "auditor":
        assert "Record a test" not in response.content.decode()


def test_another_organizations_assets_are_not_scheduled(cast):
    asset_with_objectives(cast.other_org, "Their EHR")
    page = client_for(cast.owner).get(PAGE).content.decode()
    assert "Their EHR" not in page and "No asset has recovery objectives yet" in page
    assert client_for(cast.owner).get("/o/other/contingency/restore-tests/schedule/").status_code == 404


def test_the_api_schedule_is_paged_in_the_same_order(cast):
    expected = _schedule(cast)
    body = client_as(cast, "auditor").get(API, {"page_size": 2}).json()
    assert body["count"] == 5
    first = [row["asset"]["name"] for row in body["results"]]
    assert first == expected[:2] and body["next"]
    everything = client_as(cast, "auditor").get(API).json()["results"]
    assert [row["asset"]["name"] for row in everything] == expected
