"""A review is due on its source's calendar: the schedule ends periods and sets due dates on the facility's local
days (chores_reviews), so due, missed, signed on time and late are judged on those days too, not on the
installation's. The installation runs in UTC; Honolulu is UTC−10 and Kiritimati UTC+14, neither with daylight
saving, so around midnight UTC each is on another date than the installation."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from safeguard.activity import store
from safeguard.activity.checks_common import review_timeliness
from safeguard.activity.chores_reviews import source_today
from safeguard.activity.models import ActivityReview, LogSource
from safeguard.activity.queries_reviews import ReviewState, filter_reviews, review_state, reviews
from tests.activity_factories import make_source
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client

DUE = date(2026, 1, 14)
HONOLULU_STILL_THE_14TH = datetime(2026, 1, 15, 5, tzinfo=UTC)  # 2026-01-14 19:00 in Honolulu
HONOLULU_THE_15TH = datetime(2026, 1, 15, 10, tzinfo=UTC)  # 2026-01-15 00:00 in Honolulu
KIRITIMATI_THE_15TH = datetime(2026, 1, 14, 12, tzinfo=UTC)  # 2026-01-15 02:00 in Kiritimati
KIRITIMATI_STILL_THE_14TH = datetime(2026, 1, 14, 9, 59, tzinfo=UTC)  # 2026-01-14 23:59 in Kiritimati


@pytest.fixture(autouse=True)
def utc_installation(settings: Any) -> None:
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


@pytest.fixture
def quiet_store(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStore:
        def source_days(self, start: datetime, end: datetime) -> list[Any]:
            return []

    monkeypatch.setattr(store, "store_for", lambda organization_id: FakeStore())


def source_in(cast: Cast, zone: str, name: str = "") -> LogSource:
    return make_source(cast.org, name or zone.split("/")[-1], time_zone=zone, review_every_days=7)


def review_of(source: LogSource, signed_at: datetime | None = None, due_on: date = DUE) -> ActivityReview:
    return ActivityReview.objects.create(
        organization=source.organization,
        source=source,
        period_start=due_on - timedelta(days=9),
        period_end=due_on - timedelta(days=3),
        due_on=due_on,
        signed_at=signed_at,
    )


def state_now(review: ActivityReview) -> ReviewState:
    return review_state(ActivityReview.objects.select_related("source").get(pk=review.pk), timezone.localdate())


# ---- the state of one review ----------------------------------------------------------------------------------


def test_honolulu_review_is_still_due_on_the_facility_due_date(cast: Cast, clock: Any) -> None:
    review = review_of(source_in(cast, "Pacific/Honolulu"))
    clock(HONOLULU_STILL_THE_14TH)
    assert timezone.localdate() == date(2026, 1, 15)  # the installation is past the due date; the facility is not
    assert state_now(review) == ReviewState.DUE
    clock(HONOLULU_THE_15TH)
    assert state_now(review) == ReviewState.MISSED


def test_kiritimati_review_is_missed_once_the_facility_due_date_has_passed(cast: Cast, clock: Any) -> None:
    review = review_of(source_in(cast, "Pacific/Kiritimati"))
    clock(KIRITIMATI_STILL_THE_14TH)
    assert state_now(review) == ReviewState.DUE
    clock(KIRITIMATI_THE_15TH)
    assert timezone.localdate() == DUE  # the installation is still on the due date; the facility has moved on
    assert state_now(review) == ReviewState.MISSED


def test_signed_on_time_is_judged_on_the_facility_day_of_the_signature(cast: Cast) -> None:
    # Signed at 05:00 UTC on the 15th: still the due date in Honolulu, on time.
    honolulu = review_of(source_in(cast, "Pacific/Honolulu"), signed_at=HONOLULU_STILL_THE_14TH)
    # Signed at 12:00 UTC on the 14th: already the 15th in Kiritimati, late.
    kiritimati = review_of(source_in(cast, "Pacific/Kiritimati"), signed_at=KIRITIMATI_THE_15TH)
    assert state_now(honolulu) == ReviewState.SIGNED
    assert state_now(kiritimati) == ReviewState.LATE


def test_acting_as_another_day_judges_on_the_facility_date_the_schedule_uses(cast: Cast) -> None:
    # The real clock is not on 2026-01-14: its last instant UTC is 13:59 that day in Honolulu, the 15th in Kiritimati.
    honolulu, kiritimati = source_in(cast, "Pacific/Honolulu"), source_in(cast, "Pacific/Kiritimati")
    assert (source_today(honolulu, DUE), source_today(kiritimati, DUE)) == (DUE, date(2026, 1, 15))
    assert review_state(review_of(honolulu), DUE) == ReviewState.DUE
    assert review_state(review_of(kiritimati), DUE) == ReviewState.MISSED


# ---- the list filters agree with the state ----------------------------------------------------------------------


@pytest.fixture
def both_zones(cast: Cast) -> dict[str, ActivityReview]:
    """One review in each state, all due on the 14th; each but the missed one in another state on the
    installation's calendar."""
    new_york = make_source(cast.other_org, time_zone="America/New_York", review_every_days=7)
    review_of(new_york)  # another organization's: never listed
    return {
        "honolulu_due": review_of(source_in(cast, "Pacific/Honolulu")),
        "honolulu_on_time": review_of(source_in(cast, "Pacific/Honolulu", "Lab"), HONOLULU_STILL_THE_14TH),
        "kiritimati_missed": review_of(source_in(cast, "Pacific/Kiritimati")),
        "kiritimati_late": review_of(source_in(cast, "Pacific/Kiritimati", "Pharmacy"), KIRITIMATI_THE_15TH),
    }


EXPECTED = {
    ReviewState.DUE: {"honolulu_due"},
    ReviewState.MISSED: {"kiritimati_missed"},
    ReviewState.SIGNED: {"honolulu_on_time"},
    ReviewState.LATE: {"kiritimati_late"},
}


@pytest.mark.parametrize("state", list(ReviewState))
def test_filter_matches_review_state_in_every_zone(cast: Cast, clock: Any, both_zones: dict, state: str) -> None:
    # 2026-01-15 05:00 UTC: Honolulu is on the 14th, Kiritimati on the 15th.
    clock(HONOLULU_STILL_THE_14TH)
    names = {review.pk: name for name, review in both_zones.items()}
    today = timezone.localdate()
    listed = {names[review.pk] for review in filter_reviews(reviews(cast.org), state, today)}
    judged = {names[review.pk] for review in reviews(cast.org) if review_state(review, today) == state}
    assert listed == judged == EXPECTED[ReviewState(state)]


def test_api_state_filter_and_state_use_the_facility_date(
    cast: Cast, clock: Any, both_zones: dict, django_assert_max_num_queries: Any
) -> None:
    clock(HONOLULU_STILL_THE_14TH)
    client = api_client(cast.auditor)
    with django_assert_max_num_queries(10):
        rows = client.get("/api/v1/orgs/clinic/activity/reviews/?state=due").json()["results"]
    assert [(row["source"], row["state"]) for row in rows] == [("Honolulu", "due")]
    rows = client.get("/api/v1/orgs/clinic/activity/reviews/?state=late").json()["results"]
    assert [(row["source"], row["state"]) for row in rows] == [("Pharmacy", "late")]


def test_review_list_page_filters_missed_on_the_facility_date(
    cast: Cast, clock: Any, quiet_store: None, both_zones: dict
) -> None:
    clock(HONOLULU_STILL_THE_14TH)
    page = client_for(cast.auditor).get(reverse("activity:review_list", args=["clinic"]), {"state": "missed"})
    assert [(row["review"].source.name, row["state"]) for row in page.context["rows"]] == [
        ("Kiritimati", ReviewState.MISSED)
    ]


# ---- the checks' timeliness -------------------------------------------------------------------------------------


def test_timeliness_waits_for_the_facility_due_date_to_pass(cast: Cast, clock: Any) -> None:
    source = source_in(cast, "Pacific/Honolulu")
    review = review_of(source)
    clock(HONOLULU_STILL_THE_14TH)
    found = review_timeliness(cast.org, timezone.localdate(), LogSource.objects.filter(pk=source.pk))
    assert (found.due, found.missed, found.next_due_on) == ([], [], DUE)
    clock(HONOLULU_THE_15TH)
    found = review_timeliness(cast.org, timezone.localdate(), LogSource.objects.filter(pk=source.pk))
    assert (found.due, found.missed, found.next_due_on) == ([review], [review], None)


def test_timeliness_counts_a_kiritimati_review_missed_before_the_installation_reaches_its_date(
    cast: Cast, clock: Any, django_assert_max_num_queries: Any
) -> None:
    source = source_in(cast, "Pacific/Kiritimati")
    review = review_of(source)
    clock(KIRITIMATI_THE_15TH)
    with django_assert_max_num_queries(2):
        found = review_timeliness(cast.org, timezone.localdate(), LogSource.objects.filter(pk=source.pk))
    assert (found.missed, found.late, found.next_due_on) == ([review], [], None)


def test_timeliness_judges_signatures_on_the_facility_day(cast: Cast, clock: Any) -> None:
    honolulu, kiritimati = source_in(cast, "Pacific/Honolulu"), source_in(cast, "Pacific/Kiritimati")
    on_time = review_of(honolulu, signed_at=HONOLULU_STILL_THE_14TH)
    late = review_of(kiritimati, signed_at=KIRITIMATI_THE_15TH)
    clock(datetime(2026, 1, 16, 12, tzinfo=UTC))  # both facilities are past the due date
    found = review_timeliness(cast.org, timezone.localdate(), LogSource.objects.filter(organization=cast.org))
    assert {review.pk for review in found.due} == {on_time.pk, late.pk}
    assert (found.late, found.missed) == ([late], [])
