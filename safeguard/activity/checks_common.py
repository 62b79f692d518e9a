"""What the activity checks share: review timeliness over the last 90 days, and record references with links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import QuerySet
from django.urls import reverse

from safeguard.activity.models import ActivityReview, Alert, LogSource
from safeguard.activity.queries_reviews import (
    REVIEW_WINDOW_DAYS,
    ZONE_SLACK_DAYS,
    alert_url,
    due_within_days,
    facility_date,
    signed_on_time,
    source_url,
)
from safeguard.core.chores import as_of
from safeguard.core.models import Organization
from safeguard.tracker.registry import RecordRef

NAMED = 10


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    return f"{number} {noun if number == 1 else (nouns or noun + 's')}"


def listed(names: Iterable[str]) -> str:
    shown = list(names)
    text = ", ".join(shown[:NAMED])
    return text + (f" and {len(shown) - NAMED} more" if len(shown) > NAMED else "")


@dataclass(frozen=True)
class ReviewTimeliness:
    due: list[ActivityReview]  # due in the window (due date passed)
    late: list[ActivityReview]
    missed: list[ActivityReview]
    next_due_on: date | None  # the earliest due date still ahead, of an unsigned review

    @property
    def short(self) -> list[ActivityReview]:
        return [*self.missed, *self.late]


def review_timeliness(organization: Organization, today: date, sources: QuerySet[LogSource]) -> ReviewTimeliness:
    """Reviews of `sources` whose due date fell in the last 90 days, up to the day before the source's own date
    (due dates are on its calendar): which were signed late and which were missed. Two queries."""
    moment = as_of(today)
    slack = timedelta(days=ZONE_SLACK_DAYS)
    nearby = ActivityReview.objects.filter(
        organization=organization,
        source__in=sources,
        due_on__gte=today - timedelta(days=REVIEW_WINDOW_DAYS) - slack,
        due_on__lt=today + slack,
    )
    found = [
        review
        for review in nearby.select_related("source").order_by("due_on", "source__name")
        if due_within_days(review, moment)
    ]
    unsigned = (
        ActivityReview.objects.filter(organization=organization, source__in=sources, signed_at__isnull=True)
        .filter(due_on__gte=today - slack)
        .select_related("source")
        .order_by("due_on")
    )
    upcoming = next(
        (review.due_on for review in unsigned if review.due_on >= facility_date(moment, review.source.time_zone)),
        None,
    )
    return ReviewTimeliness(
        due=found,
        late=[review for review in found if review.signed_at is not None and not signed_on_time(review)],
        missed=[review for review in found if review.signed_at is None],  # unsigned, due before the source's date
        next_due_on=upcoming,
    )


def review_text(review: ActivityReview) -> str:
    return f"{review.source.name} {review.period_start}–{review.period_end} (due {review.due_on})"


def source_ref(organization: Organization, source: LogSource) -> RecordRef:
    return RecordRef(
        "activity.logsource", str(source.public_id), source.name, source_url(organization.slug, source.public_id)
    )


def review_ref(organization: Organization, review: ActivityReview) -> RecordRef:
    url = reverse("activity:review_detail", args=[organization.slug, review.public_id])
    return RecordRef("activity.activityreview", str(review.public_id), review_text(review), url)


def alert_ref(organization: Organization, alert: Alert) -> RecordRef:
    """Labelled without the group text, which names the suspected user or a patient (see checks_review)."""
    label = f"{alert.title} ({alert.severity}, raised {alert.created_at:%Y-%m-%d})"
    return RecordRef("activity.alert", str(alert.public_id), label, alert_url(organization.slug, alert.public_id))
