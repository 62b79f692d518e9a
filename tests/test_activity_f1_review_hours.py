"""A review's after-hours count uses the organization's business hours (not the store's defaults), and the page
and the signed statistics say which hours those were."""

from __future__ import annotations

from datetime import date

from safeguard.activity.models import ActivityReview
from safeguard.activity.queries_reviews import period_summary
from safeguard.activity.services.reviews import review_sign
from safeguard.activity.services.settings import activity_settings
from safeguard.activity.store.duckdb import DuckDBEventStore
from safeguard.core.audit import Actor
from tests.activity_factories import make_source
from tests.conftest import Cast, client_for
from tests.test_activity_store_support import append, event


def review_with_events(cast: Cast) -> ActivityReview:
    source = make_source(cast.org, review_every_days=7)  # America/New_York: UTC-5 in January
    append(
        DuckDBEventStore.for_organization(cast.org.pk),
        [
            event("early", "2026-01-06 12:00"),  # 07:00 in New York
            event("morning", "2026-01-06 13:00"),  # 08:00
            event("evening", "2026-01-06 23:30"),  # 18:30
            event("night", "2026-01-07 04:00"),  # 23:00 on the 6th
        ],
        source_id=source.pk,
    )
    return ActivityReview.objects.create(
        organization=cast.org,
        source=source,
        period_start=date(2026, 1, 5),
        period_end=date(2026, 1, 11),
        due_on=date(2026, 1, 14),
    )


def set_hours(cast: Cast, start: int, end: int) -> None:
    settings = activity_settings(cast.org)
    settings.business_start_hour, settings.business_end_hour = start, end
    settings.save()


def test_after_hours_follow_the_organizations_business_hours(cast: Cast):
    review = review_with_events(cast)
    default = period_summary(review)
    assert (default["events"], default["after_hours"]) == (4, 1)  # 07–19: only 23:00 is outside
    assert default["after_hours_window"] == "outside 07–19 local time, every day of the week"

    set_hours(cast, 8, 18)
    narrow = period_summary(review)
    assert narrow["after_hours"] == 3  # 07:00, 18:30 and 23:00
    assert narrow["after_hours_window"] == "outside 08–18 local time, every day of the week"
    # Named right after the count it explains.
    keys = list(narrow)
    assert keys[keys.index("after_hours") + 1] == "after_hours_window"


def test_the_page_says_which_hours_and_signing_keeps_them(cast: Cast):
    review = review_with_events(cast)
    set_hours(cast, 8, 18)
    page = client_for(cast.official).get(f"/o/clinic/activity/reviews/{review.public_id}/").content.decode()
    assert "<strong>After hours:</strong> 3" in page
    assert "<strong>After hours window:</strong> outside 08–18 local time, every day of the week" in page

    signed = review_sign(organization=cast.org, actor=Actor(user=cast.official), review=review, conclusion="no_issues")
    set_hours(cast, 6, 22)  # a later change does not rewrite what was signed
    assert signed.statistics["events"]["after_hours"] == 3
    page = client_for(cast.official).get(f"/o/clinic/activity/reviews/{review.public_id}/").content.decode()
    assert "outside 08–18 local time" in page and "outside 06–22" not in page
