"""What the activity checks share: the moment they judge by, review timeliness over the last 90 days, and
record references with links."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from safeguard.activity.models import ActivityReview, Alert, LogSource
from safeguard.activity.queries_reviews import ReviewState, alert_url, review_state, source_url
from safeguard.core.models import Organization
from safeguard.tracker.registry import RecordRef

REVIEW_WINDOW_DAYS = 90
NAMED = 10


def as_of(today: date) -> datetime:
    """Now on the current day; the last instant of `today` when judging another day."""
    now = timezone.now()
    if today == timezone.localdate(now):
        return now
    return timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min)) - timedelta(microseconds=1)


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
    """Reviews of `sources` whose due date fell in the last 90 days (up to yesterday): which were signed late
    and which were missed. Two queries."""
    found = list(
        ActivityReview.objects.filter(
            organization=organization,
            source__in=sources,
            due_on__gte=today - timedelta(days=REVIEW_WINDOW_DAYS),
            due_on__lt=today,
        )
        .select_related("source")
        .order_by("due_on", "source__name")
    )
    states = [(review, review_state(review, today)) for review in found]
    upcoming = (
        ActivityReview.objects.filter(organization=organization, source__in=sources, signed_at__isnull=True)
        .filter(due_on__gte=today)
        .order_by("due_on")
        .values_list("due_on", flat=True)
        .first()
    )
    return ReviewTimeliness(
        due=found,
        late=[review for review, state in states if state == ReviewState.LATE],
        missed=[review for review, state in states if state == ReviewState.MISSED],
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
