"""Reads of phishing campaigns and results that pages, the API and the metrics share: counting is done in SQL
(one aggregate query per table shown, however many campaigns or recipients), turning counts into rates and
medians is phishing_metrics.py's.

Counts: recipients (every result), sent (the email was delivered: sent, opened, clicked or submitted), opened
(opened or went further), clicked (clicked or submitted data), submitted, reported (a delivered email reported),
not on the roster (no person matched).
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models import Case, CharField, Count, F, FloatField, Func, Max, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, Concat, Lower, NullIf, Trim
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.training.models import PhishingCampaign, PhishingOutcome, PhishingResult

Outcome = PhishingOutcome
DELIVERED = (Outcome.SENT, Outcome.OPENED, Outcome.CLICKED, Outcome.SUBMITTED)
OPENED = (Outcome.OPENED, Outcome.CLICKED, Outcome.SUBMITTED)
CLICKED = (Outcome.CLICKED, Outcome.SUBMITTED)
COUNTS = ("recipients", "sent", "opened", "clicked", "submitted", "reported", "not_on_roster")
CLICKER_FIELDS = (
    "person_id",
    "person__public_id",
    "person__given_name",
    "person__family_name",
    "person__employee_id",
    "person__email",
    "person__department",
)


def counts(prefix: str = "") -> dict[str, Count]:
    """The counts as aggregates over results (`prefix` "results__" from a campaign)."""
    pk, status = f"{prefix}pk" if prefix else "pk", f"{prefix}status__in"
    return {
        "recipients": Count(pk),
        "sent": Count(pk, filter=Q(**{status: DELIVERED})),
        "opened": Count(pk, filter=Q(**{status: OPENED})),
        "clicked": Count(pk, filter=Q(**{status: CLICKED})),
        "submitted": Count(pk, filter=Q(**{f"{prefix}status": Outcome.SUBMITTED})),
        "reported": Count(pk, filter=Q(**{status: DELIVERED, f"{prefix}reported": True})),
        "not_on_roster": Count(pk, filter=Q(**{f"{prefix}person__isnull": True})),
    }


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def campaigns(organization: Organization) -> QuerySet[PhishingCampaign]:
    """The organization's campaigns with their counts, latest launch first (not launched yet: newest first)."""
    return (
        PhishingCampaign.objects.filter(organization=organization)
        .annotate(**{f"n_{name}": aggregate for name, aggregate in counts("results__").items()})
        .order_by("-launched_at", "-created_at", "-pk")
    )


def launched_campaigns(organization: Organization, since: date | None = None) -> QuerySet[PhishingCampaign]:
    """Campaigns launched on or after `since` (all launched ones when None), with their counts, oldest first."""
    rows = campaigns(organization).filter(launched_at__isnull=False)
    if since is not None:
        rows = rows.filter(launched_at__gte=day_start(since))
    return rows.order_by("launched_at", "pk")


def campaign_counts(campaign: PhishingCampaign) -> dict[str, int]:
    return PhishingResult.objects.filter(campaign=campaign).aggregate(**counts())


class SecondsBetween(Func):
    """Seconds from the first time to the second (null when either is), worked out by the database: reading tens of
    thousands of reporters then costs no datetime built in Python for each."""

    arity = 2
    output_field = FloatField()
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"  # PostgreSQL

    def __init__(self, start: str, end: str) -> None:
        super().__init__(F(end), F(start), arg_joiner=" - ")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django keeps SQLite datetimes as UTC text, which julianday() reads (in days).
        return self.as_sql(
            compiler, connection, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday("
        )


def report_times(campaign_ids: list[int]) -> list[tuple[int, float | None]]:
    """(campaign id, seconds from the send to the report, or None when a time is missing) of every reporter of
    these campaigns: the medians' one query."""
    if not campaign_ids:
        return []
    rows: Any = (
        PhishingResult.objects.filter(campaign_id__in=campaign_ids, reported=True, status__in=DELIVERED)
        .annotate(seconds=SecondsBetween("sent_at", "reported_at"))
        .values_list("campaign_id", "seconds")
        .order_by()
    )
    return list(rows)


def department_counts(results: QuerySet[PhishingResult]) -> list[dict[str, Any]]:
    """One row per department recorded on the results (as it was when each was recorded), by name."""
    rows: Any = results.order_by().values("department").annotate(**counts()).order_by("department")
    return list(rows)


def campaign_results(campaign: PhishingCampaign) -> QuerySet[PhishingResult]:
    return PhishingResult.objects.filter(campaign=campaign).select_related("person")


def filter_results(results: QuerySet[PhishingResult], applied: dict[str, Any]) -> QuerySet[PhishingResult]:
    """Filters of the results list: status (a stored outcome, or "clicked" for clicked or submitted data),
    reported (True/False), on_roster (True/False), department, q (part of an email or name)."""
    status = applied.get("status")
    if status == "clicked_any":
        results = results.filter(status__in=CLICKED)
    elif status:
        results = results.filter(status=status)
    if applied.get("reported") is not None:
        results = results.filter(reported=applied["reported"])
    if applied.get("on_roster") is not None:
        results = results.filter(person__isnull=not applied["on_roster"])
    if applied.get("department") not in (None, ""):
        results = results.filter(department__iexact=applied["department"])
    if applied.get("q"):
        text = applied["q"].strip()
        results = results.filter(
            Q(email__icontains=text) | Q(first_name__icontains=text) | Q(last_name__icontains=text)
        )
    return results


def period_results(organization: Organization, since: date | None) -> QuerySet[PhishingResult]:
    """Results of the campaigns launched on or after `since` (every launched campaign when None)."""
    results = PhishingResult.objects.filter(organization=organization, campaign__launched_at__isnull=False)
    if since is not None:
        results = results.filter(campaign__launched_at__gte=day_start(since))
    return results


def repeat_clicks(organization: Organization, since: date | None) -> QuerySet[PhishingResult, dict[str, Any]]:
    """Who clicked (or submitted data) in two campaigns or more of the period, one row per person on the roster or per
    email matched to nobody, most campaigns first, then by name (else email): a query to slice, so a page of it and
    its count are worked out by the database.

    Each row: person_id and person__public_id, __given_name, __family_name, __employee_id, __email, __department (None
    for an unmatched email), unmatched (the email; "" for a person), campaigns, last_launched, recorded_department."""
    unmatched = Case(When(person__isnull=True, then=F("email")), default=Value(""), output_field=CharField())
    full_name = Trim(Concat("person__given_name", Value(" "), "person__family_name", output_field=CharField()))
    text = CharField()
    email = NullIf("person__email", Value(""), output_field=text)
    sort_name = Lower(Coalesce(NullIf(full_name, Value("")), email, unmatched, output_field=text))
    rows: Any = (
        period_results(organization, since)
        .filter(status__in=CLICKED)
        .annotate(unmatched=unmatched, sort_name=sort_name)
        .values(*CLICKER_FIELDS, "unmatched", "sort_name")
        .annotate(
            campaigns=Count("campaign", distinct=True),
            last_launched=Max("campaign__launched_at"),
            recorded_department=Max("department"),
        )
        .filter(campaigns__gte=2)
        .order_by("-campaigns", "sort_name", "person_id", "unmatched")
    )
    return rows
