"""The dashboard's review compliance judges on each source's calendar, as the review list does: a review counts once
its due date has passed on the source's date, and as on time when the list calls it signed on time. Kiritimati is
UTC+14 without daylight saving: around midnight UTC it is already the afternoon of the next day there, so the
installation (UTC) and the facility disagree about the date on both sides of the installation's midnight."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from safeguard.activity import queries_overview
from safeguard.activity.models import ActivityReview, LogSource
from safeguard.activity.queries_reviews import ReviewState
from safeguard.activity.widgets import review_compliance_widget
from tests.activity_factories import make_source
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client

DUE = date(2026, 1, 14)
BEFORE_UTC_MIDNIGHT = datetime(2026, 1, 14, 23, 59, tzinfo=UTC)  # the installation's 14th; Kiritimati's 15th, 13:59
AFTER_UTC_MIDNIGHT = datetime(2026, 1, 15, 0, 1, tzinfo=UTC)  # the installation's 15th; Kiritimati's 15th, 14:01
AROUND_MIDNIGHT = pytest.mark.parametrize("moment", [BEFORE_UTC_MIDNIGHT, AFTER_UTC_MIDNIGHT], ids=["before", "after"])
# The figure on the Kiritimati calendar, the same on both sides of midnight UTC: four reviews past their due date
# (one missed, two signed late, one on time) and one Honolulu review still due.
EXPECTED = {"due": 4, "on_time": 1, "percent": 25}
LISTED_STATES = {"missed": 1, "late": 2, "signed": 1, "due": 1}


@pytest.fixture(autouse=True)
def utc_installation(settings: Any) -> None:
    settings.TIME_ZONE = "UTC"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def review_of(source: LogSource, due_on: date, signed_at: datetime | None = None) -> ActivityReview:
    return ActivityReview.objects.create(
        organization=source.organization,
        source=source,
        period_start=due_on - timedelta(days=9),
        period_end=due_on - timedelta(days=3),
        due_on=due_on,
        signed_at=signed_at,
    )


@pytest.fixture
def reviews_near_midnight(cast: Cast) -> None:
    """Each review on a source of its own (one review per source and period)."""

    def kiritimati(name: str) -> LogSource:
        return make_source(cast.org, name, time_zone="Pacific/Kiritimati", review_every_days=7)

    # Due on the 14th, unsigned: missed in Kiritimati (already the 15th) while the installation is on the 14th.
    review_of(kiritimati("Pharmacy"), DUE)
    # Signed at 23:30 UTC on the 14th: the installation's due date, 13:30 on the 15th in Kiritimati: late.
    review_of(kiritimati("Radiology"), DUE, datetime(2026, 1, 14, 23, 30, tzinfo=UTC))
    # Due on the 13th, signed at 10:30 UTC on the 13th: the installation's due date, 00:30 on the 14th there: late.
    review_of(kiritimati("Lab"), DUE - timedelta(days=1), datetime(2026, 1, 13, 10, 30, tzinfo=UTC))
    # Due on the 13th, signed at 09:30 UTC on the 13th: 23:30 on the 13th there: on time.
    review_of(kiritimati("Billing"), DUE - timedelta(days=1), datetime(2026, 1, 13, 9, 30, tzinfo=UTC))
    # Due on the 14th in Honolulu (UTC-10): still the 14th there on both sides of midnight UTC, so still due.
    review_of(make_source(cast.org, "Clinic", time_zone="Pacific/Honolulu", review_every_days=7), DUE)
    # Another organization's missed review never counts.
    review_of(make_source(cast.other_org, "EHR", time_zone="Pacific/Kiritimati", review_every_days=7), DUE)


def listed(user: Any, state: str) -> int:
    page = client_for(user).get(reverse("activity:review_list", args=["clinic"]), {"state": state})
    return len(page.context["rows"])


@AROUND_MIDNIGHT
def test_dashboard_figure_agrees_with_the_review_list(
    cast: Cast, clock: Any, reviews_near_midnight: None, moment: datetime
) -> None:
    clock(moment)
    counts = {state: listed(cast.owner, state) for state in ReviewState}
    assert counts == LISTED_STATES
    compliance = client_for(cast.owner).get(reverse("activity:home", args=["clinic"])).context["compliance"]
    past_due = counts[ReviewState.MISSED] + counts[ReviewState.LATE] + counts[ReviewState.SIGNED]
    assert (compliance.due, compliance.on_time) == (past_due, counts[ReviewState.SIGNED])
    assert (compliance.due, compliance.on_time, compliance.percent) == tuple(EXPECTED.values())


@AROUND_MIDNIGHT
def test_api_overview_agrees_with_the_api_review_list(
    cast: Cast, clock: Any, reviews_near_midnight: None, moment: datetime
) -> None:
    clock(moment)
    client = api_client(cast.auditor)
    counts = {
        state: client.get("/api/v1/orgs/clinic/activity/reviews/", {"state": state}).json()["count"]
        for state in ReviewState
    }
    assert counts == LISTED_STATES
    figures = client.get("/api/v1/orgs/clinic/activity/overview/").json()
    assert (figures["reviews_due"], figures["reviews_on_time"]) == (EXPECTED["due"], EXPECTED["on_time"])


@AROUND_MIDNIGHT
def test_dashboard_widget_judges_on_the_source_date(
    cast: Cast, clock: Any, reviews_near_midnight: None, moment: datetime
) -> None:
    clock(moment)
    widget = review_compliance_widget(cast.org, timezone.localdate())
    assert widget is not None and widget.context == EXPECTED


def test_another_organization_sees_only_its_own_reviews(cast: Cast, clock: Any, reviews_near_midnight: None) -> None:
    clock(BEFORE_UTC_MIDNIGHT)
    compliance = queries_overview.review_compliance(cast.other_org, timezone.localdate())
    assert (compliance.due, compliance.on_time) == (1, 0)
    assert api_client(cast.outsider).get("/api/v1/orgs/clinic/activity/overview/").status_code == 404


def test_acting_as_another_day_judges_at_its_last_instant(cast: Cast, reviews_near_midnight: None) -> None:
    # The real clock is not on the 14th: its last instant UTC is the 15th in Kiritimati, the 14th in Honolulu.
    compliance = queries_overview.review_compliance(cast.org, DUE)
    assert (compliance.due, compliance.on_time) == (EXPECTED["due"], EXPECTED["on_time"])


def test_query_count_does_not_grow_with_sources_or_zones(
    cast: Cast, clock: Any, django_assert_max_num_queries: Any
) -> None:
    zones = ["Pacific/Kiritimati", "Pacific/Honolulu", "Asia/Kolkata", "Europe/Berlin", "America/New_York"]
    for number in range(20):
        source = make_source(cast.org, f"Source {number}", time_zone=zones[number % len(zones)], review_every_days=7)
        for weeks in range(3):
            review_of(source, DUE - timedelta(weeks=weeks), signed_at=BEFORE_UTC_MIDNIGHT - timedelta(weeks=weeks))
    clock(AFTER_UTC_MIDNIGHT)
    with django_assert_max_num_queries(3):
        compliance = queries_overview.review_compliance(cast.org, timezone.localdate())
    # Honolulu and New York are still on the 14th, so their reviews due that day are not counted yet: 4 × (3+2+3+3+2).
    # Signed at 23:59 UTC on each due date: the next day east of UTC (late), the due date west of it (on time).
    assert (compliance.due, compliance.on_time) == (52, 16)
