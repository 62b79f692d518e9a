"""Reads the review pages, the API, the checks and the dashboard share: review states, a period's alerts and
statistics, and the sources' days without events ("gaps").

A review's dates are the source's facility-local days: chores_reviews ends a period, and sets its due date, on the
source's calendar, so whether it is due, missed, or was signed on time is judged on that calendar too, never on the
installation's. A Honolulu review due on the 11th is not missed while a UTC installation is already on the 12th."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import reduce
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.db.models.lookups import GreaterThan, LessThanOrEqual
from django.urls import NoReverseMatch, reverse

from safeguard.activity.models import OPEN_ALERT_STATUSES, ActivityReview, Alert, AlertStatus, LogSource
from safeguard.activity.services.settings import activity_settings
from safeguard.core.chores import as_of
from safeguard.core.models import Organization

GAP_DAYS = 30
AFTER_HOURS_WINDOW = "after_hours_window"


class ReviewState(StrEnum):
    SIGNED = "signed"  # on time
    LATE = "late"
    DUE = "due"
    MISSED = "missed"  # past due, not signed


STATE_LABELS = {
    ReviewState.SIGNED: "Signed on time",
    ReviewState.LATE: "Signed late",
    ReviewState.DUE: "Due",
    ReviewState.MISSED: "Overdue (missed)",
}


# Reviews judged for timeliness: those due in the 90 days before the source's own date.
REVIEW_WINDOW_DAYS = 90
# A facility's date is at most two days from the installation's (zones run from UTC-12 to UTC+14): reviews are read
# this much wider, then kept by their own source's date.
ZONE_SLACK_DAYS = 2


def facility_date(moment: datetime, time_zone: str) -> date:
    """The date at `moment` on a source's calendar (its IANA time zone)."""
    return moment.astimezone(ZoneInfo(time_zone)).date()


def signed_on_time(review: ActivityReview) -> bool:
    """Signed on or before the due date, both on the source's calendar."""
    signed_at = review.signed_at
    return signed_at is not None and facility_date(signed_at, review.source.time_zone) <= review.due_on


def review_state(review: ActivityReview, today: date) -> ReviewState:
    """The state when the installation's date is `today`: judged at as_of(today), on the source's calendar."""
    if review.signed_at is not None:
        return ReviewState.SIGNED if signed_on_time(review) else ReviewState.LATE
    there = facility_date(as_of(today), review.source.time_zone)
    return ReviewState.MISSED if there > review.due_on else ReviewState.DUE


def reviews(organization: Organization) -> QuerySet[ActivityReview]:
    return ActivityReview.objects.filter(organization=organization).select_related("source", "reviewer", "signed_by")


def due_within_days(review: ActivityReview, moment: datetime, days: int = REVIEW_WINDOW_DAYS) -> bool:
    """Due in the `days` before the source's own date at `moment` (its due date has passed there)."""
    there = facility_date(moment, review.source.time_zone)
    return there - timedelta(days=days) <= review.due_on < there


def due_within(zones: Iterable[str], moment: datetime, days: int = REVIEW_WINDOW_DAYS) -> Q:
    """due_within_days as a query, for reviews of sources in `zones`."""

    def window(zone: str) -> Q:
        there = facility_date(moment, zone)
        return Q(due_on__gte=there - timedelta(days=days), due_on__lt=there)

    return _per_zone(zones, window)


def _per_zone(zones: Iterable[str], condition: Callable[[str], Q]) -> Q:
    """`condition(zone)` for the reviews of each zone's sources: the database cannot read a zone off each row on
    every engine, so the zones are listed and each gets its own date."""
    parts = [Q(source__time_zone=zone) & condition(zone) for zone in sorted(set(zones))]
    return reduce(operator.or_, parts, Q(pk__in=[]))


def _signed_day(zone: str) -> TruncDate:
    return TruncDate("signed_at", tzinfo=ZoneInfo(zone))


def filter_reviews(found: QuerySet[ActivityReview], state: str, today: date) -> QuerySet[ActivityReview]:
    """The reviews whose review_state(…, today) is `state` (the same rule, as a query); filtering costs one more
    query, for the sources' zones."""
    zones = found.order_by().values_list("source__time_zone", flat=True).distinct()  # read when filtering
    moment = as_of(today)
    unsigned, signed = Q(signed_at__isnull=True), Q(signed_at__isnull=False)
    if state == ReviewState.DUE:
        return found.filter(unsigned, _per_zone(zones, lambda zone: Q(due_on__gte=facility_date(moment, zone))))
    if state == ReviewState.MISSED:
        return found.filter(unsigned, _per_zone(zones, lambda zone: Q(due_on__lt=facility_date(moment, zone))))
    if state in (ReviewState.SIGNED, ReviewState.LATE):
        compare = LessThanOrEqual if state == ReviewState.SIGNED else GreaterThan
        return found.filter(signed, _per_zone(zones, lambda zone: Q(compare(_signed_day(zone), F("due_on")))))
    return found


def period_bounds(review: ActivityReview) -> tuple[datetime, datetime]:
    """The period as instants: from the first day's local midnight to the midnight after the last day."""
    zone = ZoneInfo(review.source.time_zone)
    start = datetime.combine(review.period_start, time.min, tzinfo=zone)
    end = datetime.combine(review.period_end + timedelta(days=1), time.min, tzinfo=zone)
    return start, end


def period_alerts(review: ActivityReview) -> QuerySet[Alert]:
    start, end = period_bounds(review)
    return Alert.objects.filter(
        organization_id=review.organization_id, source_id=review.source_id, first_seen__gte=start, first_seen__lt=end
    )


def alert_breakdown(alerts: QuerySet[Alert]) -> list[dict[str, Any]]:
    """Counts by rule, severity and status: one query."""
    rows = (
        alerts.values("rule__name", "rule__title", "severity", "status")
        .annotate(count=Count("pk"))
        .order_by("rule__name", "severity", "status")
    )
    return [dict(row) for row in rows]


def alert_counts(alerts: QuerySet[Alert]) -> dict[str, int]:
    return alerts.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=OPEN_ALERT_STATUSES)),
        new=Count("pk", filter=Q(status=AlertStatus.NEW)),
    )


def after_hours_window(start_hour: int, end_hour: int) -> str:
    # The store counts by local hour only: a weekend day inside business hours is not after hours.
    return f"outside {start_hour:02}–{end_hour:02} local time, every day of the week"


def period_summary(review: ActivityReview) -> dict[str, Any]:
    """The event store's statistics of the period (live: what signing will freeze), after hours counted against
    the organization's business hours, which are named next to the count so a signed review keeps them."""
    from safeguard.activity.store import store_for

    hours = activity_settings(review.organization)
    start, end = period_bounds(review)
    found = store_for(review.organization_id).summary(
        review.source_id,
        start,
        end,
        business_start_hour=hours.business_start_hour,
        business_end_hour=hours.business_end_hour,
    )
    window = after_hours_window(hours.business_start_hour, hours.business_end_hour)
    summary: dict[str, Any] = {}
    for key, value in found.items():
        summary[key] = value
        if key == "after_hours":
            summary[AFTER_HOURS_WINDOW] = window
    summary.setdefault(AFTER_HOURS_WINDOW, window)
    return summary


def summary_sections(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The store's summary laid out for a page whatever its keys: figures, tables of counts, and lists."""
    sections = []
    for key, value in summary.items():
        label = key.replace("_", " ").capitalize()
        if isinstance(value, dict):
            sections.append({"label": label, "kind": "table", "rows": sorted(value.items(), key=lambda kv: str(kv[0]))})
        elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
            columns = list(value[0].keys())
            rows = [[item.get(column) for column in columns] for item in value]
            sections.append({"label": label, "kind": "records", "columns": columns, "rows": rows})
        elif isinstance(value, list):
            sections.append({"label": label, "kind": "list", "items": [str(item) for item in value]})
        else:
            sections.append({"label": label, "kind": "figure", "value": value})
    return sections


def alert_url(org_slug: str, public_id: object) -> str:
    """The alert's page, once the alert pages are mounted."""
    try:
        return reverse("activity:alert_detail", args=[org_slug, public_id])
    except NoReverseMatch:
        return ""


def source_url(org_slug: str, public_id: object) -> str:
    try:
        return reverse("activity:source_detail", args=[org_slug, public_id])
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class SourceGap:
    source: LogSource
    days_without: list[str]  # YYYY-MM-DD (UTC days)
    days_checked: int


def source_gaps(organization: Organization, today: date, days: int = GAP_DAYS) -> list[SourceGap]:
    """Each active source's UTC days without events among the last `days` full days (from its creation day)."""
    from safeguard.activity.store import store_for

    sources = list(LogSource.objects.filter(organization=organization, is_active=True).order_by("name"))
    if not sources:
        return []
    first = today - timedelta(days=days)
    start = datetime.combine(first, time.min, tzinfo=ZoneInfo("UTC"))
    end = datetime.combine(today, time.min, tzinfo=ZoneInfo("UTC"))
    seen: dict[int, set[str]] = {}
    for row in store_for(organization.pk).source_days(start, end):
        if row.events:
            seen.setdefault(row.source_id, set()).add(row.day)
    found = []
    for source in sources:
        since = max(first, source.created_at.astimezone(ZoneInfo("UTC")).date())
        checked = [since + timedelta(days=n) for n in range((today - since).days)]
        missing = [day.isoformat() for day in checked if day.isoformat() not in seen.get(source.pk, set())]
        found.append(SourceGap(source, missing, len(checked)))
    return found
