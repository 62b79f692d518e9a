"""The activity dashboard's figures: alert volume per day by severity, top rules, open alerts by severity, mean
time to triage, open escalations, review compliance, sources receiving or silent, recent runs. Each is a query
or two whatever the volume (review compliance three: it reads the sources' time zones to judge on their dates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from safeguard.activity.models import (
    OPEN_ALERT_STATUSES,
    ActivityReview,
    Alert,
    AlertStatus,
    LogSource,
    RuleRun,
    Severity,
)
from safeguard.activity.queries_reviews import (
    REVIEW_WINDOW_DAYS,
    ZONE_SLACK_DAYS,
    ReviewState,
    due_within,
    filter_reviews,
)
from safeguard.core.chores import as_of
from safeguard.core.models import Organization
from safeguard.incidents.models import Incident, IncidentStatus

VOLUME_DAYS = 30
CLOSED_INCIDENT = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)
SEVERITIES_HIGH_FIRST = list(reversed(Severity.values))


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def alert_volume(organization: Organization, today: date, days: int = VOLUME_DAYS) -> list[dict[str, Any]]:
    """One row per local day of the last `days` (today included), with counts per severity."""
    first = today - timedelta(days=days - 1)
    rows = (
        Alert.objects.filter(organization=organization, created_at__gte=day_start(first))
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "severity")
        .annotate(count=Count("pk"))
    )
    counts: dict[tuple[date, str], int] = {(row["day"], row["severity"]): row["count"] for row in rows}
    return [
        {
            "day": first + timedelta(days=n),
            "counts": {s: counts.get((first + timedelta(days=n), s), 0) for s in Severity.values},
        }
        for n in range(days)
    ]


def top_rules(organization: Organization, today: date, limit: int = 10) -> list[dict[str, Any]]:
    first = today - timedelta(days=VOLUME_DAYS - 1)
    rows = (
        Alert.objects.filter(organization=organization, created_at__gte=day_start(first))
        .values("rule__name", "rule__title")
        .annotate(count=Count("pk"))
        .order_by("-count", "rule__name")[:limit]
    )
    return [dict(row) for row in rows]


def open_by_severity(organization: Organization) -> dict[str, int]:
    rows = (
        Alert.objects.filter(organization=organization, status__in=OPEN_ALERT_STATUSES)
        .values("severity")
        .annotate(count=Count("pk"))
    )
    found = {row["severity"]: row["count"] for row in rows}
    return {severity: found.get(severity, 0) for severity in SEVERITIES_HIGH_FIRST}


def mean_time_to_triage(organization: Organization, today: date) -> timedelta | None:
    """Over alerts raised in the last 30 days that were triaged: the mean of triaged_at − created_at. Averaged
    here, not in SQL: date arithmetic differs between the databases, and 30 days of triaged alerts are few."""
    pairs = Alert.objects.filter(
        organization=organization,
        created_at__gte=day_start(today - timedelta(days=VOLUME_DAYS - 1)),
        triaged_at__isnull=False,
    ).values_list("created_at", "triaged_at")
    spans = [triaged - created for created, triaged in pairs if triaged is not None]
    return sum(spans, timedelta()) / len(spans) if spans else None


def open_escalations(organization: Organization) -> int:
    """Escalated alerts whose incident is still open."""
    return (
        Alert.objects.filter(organization=organization, status=AlertStatus.ESCALATED, incident__isnull=False)
        .exclude(incident__status__in=CLOSED_INCIDENT)
        .count()
    )


def open_incidents(organization: Organization) -> int:
    return Incident.objects.filter(organization=organization).exclude(status__in=CLOSED_INCIDENT).count()


@dataclass(frozen=True)
class ReviewCompliance:
    due: int
    on_time: int

    @property
    def percent(self) -> int | None:
        return self.on_time * 100 // self.due if self.due else None


def review_compliance(organization: Organization, today: date) -> ReviewCompliance:
    """Reviews whose due date fell in the last 90 days, before the source's own date, and how many of them the
    review list calls signed on time (filter_reviews, so the figure and the list agree). Three queries: the
    sources' zones, the zones again inside filter_reviews, and the counts."""
    nearby = ActivityReview.objects.filter(
        organization=organization,
        due_on__gte=today - timedelta(days=REVIEW_WINDOW_DAYS + ZONE_SLACK_DAYS),
        due_on__lt=today + timedelta(days=ZONE_SLACK_DAYS),
    )
    zones = nearby.order_by().values_list("source__time_zone", flat=True).distinct()
    passed = nearby.filter(due_within(zones, as_of(today)))
    on_time = filter_reviews(passed, ReviewState.SIGNED, today).values("pk")
    counts = passed.aggregate(due=Count("pk"), on_time=Count("pk", filter=Q(pk__in=on_time)))
    return ReviewCompliance(counts["due"], counts["on_time"])


@dataclass(frozen=True)
class SourceStatus:
    source: LogSource
    silent: bool


def sources_status(organization: Organization, now: datetime) -> list[SourceStatus]:
    sources = LogSource.objects.filter(organization=organization, is_active=True).order_by("name")
    return [
        SourceStatus(
            source,
            source.last_received_at is None
            or source.last_received_at < now - timedelta(hours=source.silent_after_hours),
        )
        for source in sources
    ]


def recent_runs(organization: Organization, limit: int = 5) -> list[RuleRun]:
    return list(RuleRun.objects.filter(organization=organization).order_by("-requested_at", "-pk")[:limit])
