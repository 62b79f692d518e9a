"""Review periods are the source's facility-local days: with the installation in UTC and the source in Honolulu
(UTC−10, no daylight saving), 2026-01-12 05:00 UTC is still the 11th at the facility, so a period ending on the
11th has not ended; at 10:00 UTC the facility's 12th has begun."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.utils import timezone

from safeguard.activity import store
from safeguard.activity.chores_reviews import reviews_chore
from safeguard.activity.models import ActivityReview
from safeguard.activity.services.reviews import review_sign
from safeguard.core.audit import Actor
from safeguard.core.services.errors import ServiceError
from tests.activity_factories import make_source

STILL_THE_11TH = datetime(2026, 1, 12, 5, 0, tzinfo=UTC)  # 2026-01-11 19:00 in Honolulu
THE_12TH = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)  # 2026-01-12 00:00 in Honolulu


@pytest.fixture(autouse=True)
def utc_installation(settings: Any) -> None:
    settings.TIME_ZONE = "UTC"


def freeze(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: moment)


@pytest.fixture
def quiet_store(monkeypatch: pytest.MonkeyPatch) -> None:
    class FakeStore:
        def summary(self, source_id: int, start: datetime, end: datetime, **hours: int) -> dict[str, Any]:
            return {"events": 0}

        def source_days(self, start: datetime, end: datetime) -> list[Any]:
            return []

    monkeypatch.setattr(store, "store_for", lambda organization_id: FakeStore())


def honolulu_review(cast: Any) -> ActivityReview:
    source = make_source(cast.org, time_zone="Pacific/Honolulu", review_every_days=7)
    return ActivityReview.objects.create(
        organization=cast.org,
        source=source,
        period_start=date(2026, 1, 5),
        period_end=date(2026, 1, 11),
        due_on=date(2026, 1, 14),
    )


def test_signing_waits_for_the_end_of_the_facility_day(
    cast: Any, quiet_store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    review = honolulu_review(cast)
    freeze(monkeypatch, STILL_THE_11TH)
    assert timezone.localdate() == date(2026, 1, 12)  # the installation has moved on
    with pytest.raises(ServiceError, match="The period has not ended yet."):
        review_sign(organization=cast.org, actor=Actor(cast.owner), review=review, conclusion="no_issues")

    freeze(monkeypatch, THE_12TH)
    signed = review_sign(organization=cast.org, actor=Actor(cast.owner), review=review, conclusion="no_issues")
    assert signed.signed_at is not None


def weekly_honolulu_source(cast: Any) -> Any:
    source = make_source(cast.org, "Lab", time_zone="Pacific/Honolulu", review_every_days=7)
    source.created_at = datetime(2026, 1, 5, 12, tzinfo=UTC)  # Monday the 5th, 02:00 in Honolulu
    source.save()
    return source


def test_the_schedule_creates_a_period_once_the_facility_day_has_ended(
    cast: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = weekly_honolulu_source(cast)
    freeze(monkeypatch, STILL_THE_11TH)
    assert reviews_chore(date(2026, 1, 12), False) == []
    assert not ActivityReview.objects.filter(source=source).exists()

    freeze(monkeypatch, THE_12TH)
    assert reviews_chore(date(2026, 1, 12), False) == ["clinic: Lab: scheduled 1 review(s), 2026-01-05 – 2026-01-11"]


def test_acting_as_another_day_judges_at_its_last_instant(cast: Any) -> None:
    # The real clock is not on 2026-01-12: 23:59 UTC that day is 13:59 in Honolulu, the facility's 12th.
    weekly_honolulu_source(cast)
    assert reviews_chore(date(2026, 1, 12), True) == [
        "clinic: Lab: would schedule 1 review(s), 2026-01-05 – 2026-01-11"
    ]
