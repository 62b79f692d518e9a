"""The tracker check of security reminders, 164.308(a)(5)(ii)(A).

The training settings give a cadence of m months and a number of periods p (1 and 3 unless changed). Period k
(k = 0 … p−1) runs over the local days after today − (k+1)·m months up to and including today − k·m months.

A period is covered when the reminders sent in it reached at least the completion threshold (95% unless changed) of
the active workforce: the active people with a delivery of one of them, over the active people already hired when
the period's last reminder went out (people with no hire date always count). A reminder to a small group does not
cover a period for everyone. All periods covered: met; some: partially met; none: not met. The reason gives each
period's coverage, and the read rate over the deliveries of the reminders sent in the whole span.

`lapses_on` is the first day a reminder in the span may move to the next period (or out of the span): the earliest,
over those reminders, of their day plus (k+1)·m months. The reminder calendar shows the same periods, from
`reminder_coverage`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check
from safeguard.training.checks_common import (
    NAMED,
    REMINDER_TYPE,
    day_start,
    listed,
    meets,
    percent,
    plural,
    whole_percent,
)
from safeguard.training.models import ReminderDelivery, SecurityReminder
from safeguard.training.queries import active_people, training_settings
from safeguard.training.queries_effectiveness import deliveries_read

Period = tuple[date, date]  # (the day before it starts, its last day)
NO_ACTIVE = CheckResult(
    Status.UNKNOWN,
    "Nobody on the workforce roster is active, so whom the security reminders reached cannot be judged.",
    next_action="Bring the roster up to date: import the current HR export.",
)


def reminder_periods(today: date, months: int, count: int) -> list[Period]:
    """The periods to cover, latest first."""
    return [(add_months(today, -(k + 1) * months), add_months(today, -k * months)) for k in range(count)]


@dataclass(frozen=True)
class PeriodCoverage:
    after: date  # the day before the period starts
    last: date
    reminders: list[SecurityReminder]  # sent in it to someone, latest first
    eligible: int  # active people already hired when its last reminder went out
    reached: int  # of those, people with a delivery of one of its reminders
    threshold: int

    @property
    def first(self) -> date:
        return self.after + timedelta(days=1)

    @property
    def covered(self) -> bool:
        return bool(self.reminders) and meets(self.reached, self.eligible, self.threshold)

    @property
    def rate(self) -> int | None:
        return whole_percent(self.reached, self.eligible)

    @property
    def dates(self) -> str:
        return f"{self.first:%Y-%m-%d} to {self.last:%Y-%m-%d}"

    @property
    def reach(self) -> str:
        """ "none sent", or "38 of 40 active people reached (95%)"."""
        if not self.reminders:
            return "none sent"
        people = plural(self.eligible, "active person", "active people")
        return f"{self.reached} of {people} reached ({percent(self.reached, self.eligible)})"


@dataclass(frozen=True)
class ReminderCoverage:
    months: int
    threshold: int
    active: int
    periods: list[PeriodCoverage]  # latest first
    reminders: list[SecurityReminder]  # sent to someone in the span, latest first

    @property
    def covered(self) -> int:
        return sum(1 for period in self.periods if period.covered)

    @property
    def uncovered(self) -> list[PeriodCoverage]:
        return [period for period in self.periods if not period.covered]


def _sent(organization: Organization) -> Q:
    # A reminder delivered to nobody reminded nobody: it does not count (nor on the reminder calendar).
    return Q(organization=organization, status=SecurityReminder.Status.SENT, sent_at__isnull=False, recipients__gt=0)


def _local_day(reminder: SecurityReminder) -> date:
    if reminder.sent_at is None:  # the queries here read sent reminders only
        raise ValueError(f"Security reminder {reminder.public_id} has no sending time.")
    return timezone.localdate(reminder.sent_at)


def _reach_counts(organization: Organization, groups: list[list[SecurityReminder]]) -> dict[str, int]:
    """Active people, and per period with reminders: those already hired by its last reminder, and those of them
    with a delivery of one of its reminders. One query, whatever the number of reminders or people."""
    counts: dict[str, Count] = {"active": Count("pk")}
    for k, reminders in enumerate(groups):
        if not reminders:
            continue
        hired = Q(hire_date__isnull=True) | Q(hire_date__lte=max(_local_day(r) for r in reminders))
        delivered = Exists(
            ReminderDelivery.objects.filter(person=OuterRef("pk"), reminder_id__in=[r.pk for r in reminders])
        )
        counts[f"eligible_{k}"] = Count("pk", filter=hired)
        counts[f"reached_{k}"] = Count("pk", filter=hired & Q(delivered))
    return active_people(organization).aggregate(**counts)


def reminder_coverage(organization: Organization, today: date) -> ReminderCoverage:
    """The check's periods with the reminders sent in each and whom they reached: three queries."""
    settings = training_settings(organization)
    months, threshold = settings.reminder_cadence_months, settings.completion_threshold
    periods = reminder_periods(today, months, settings.reminder_periods)
    in_span = list(
        SecurityReminder.objects.filter(
            _sent(organization),
            sent_at__gte=day_start(periods[-1][0] + timedelta(days=1)),
            sent_at__lt=day_start(today + timedelta(days=1)),
        ).order_by("-sent_at", "-pk")
    )
    groups = [[r for r in in_span if after < _local_day(r) <= last] for after, last in periods]
    counts = _reach_counts(organization, groups)
    found = [
        PeriodCoverage(
            after=after,
            last=last,
            reminders=group,
            eligible=counts.get(f"eligible_{k}", counts["active"]),
            reached=counts.get(f"reached_{k}", 0),
            threshold=threshold,
        )
        for k, ((after, last), group) in enumerate(zip(periods, groups, strict=True))
    ]
    return ReminderCoverage(months, threshold, counts["active"], found, in_span)


def _ref(organization: Organization, reminder: SecurityReminder) -> RecordRef:
    sent = f", sent {_local_day(reminder):%Y-%m-%d}" if reminder.sent_at else ""
    url = reverse("training:reminder_detail", args=[organization.slug, reminder.public_id])
    return RecordRef(REMINDER_TYPE, str(reminder.public_id), f"{reminder.title}{sent}", url)


def _cadence(months: int) -> str:
    return "month" if months == 1 else f"{months} months"


def _span(count: int, months: int) -> str:
    """The periods the check looks at, as a reader says them: "3 months", "4 periods of 3 months"."""
    return plural(count, "month") if months == 1 else f"{plural(count, 'period')} of {months} months"


def _read_text(reminders: list[SecurityReminder]) -> str:
    total, read = deliveries_read([reminder.pk for reminder in reminders])
    if not total:
        return "No delivery to a person is recorded for them, so there is no read rate."
    return f"{read} of {plural(total, 'delivery', 'deliveries')} read ({percent(read, total)})."


def _lapses_on(coverage: ReminderCoverage) -> date:
    """The first day a reminder of the span may change period: its day plus (k+1)·m months, the earliest."""
    return min(
        add_months(_local_day(reminder), (k + 1) * coverage.months)
        for k, period in enumerate(coverage.periods)
        for reminder in period.reminders
    )


def _not_sent(organization: Organization, today: date, span: str, months: int, action: str) -> CheckResult:
    earlier = (
        SecurityReminder.objects.filter(_sent(organization), sent_at__lt=day_start(today + timedelta(days=1)))
        .order_by("-sent_at", "-pk")
        .first()
    )
    if earlier is None:
        return CheckResult(Status.NOT_MET, "No security reminder has been sent yet.", next_action=action)
    return CheckResult(
        Status.NOT_MET,
        f"No security reminder was sent in the last {span} (one is expected every {_cadence(months)}); the latest "
        f"was sent on {_local_day(earlier):%Y-%m-%d}.",
        (_ref(organization, earlier),),
        next_action=action,
    )


@check("164.308(a)(5)(ii)(A)", name="training.security_reminders")
def security_reminders(organization: Organization, today: date) -> CheckResult:
    coverage = reminder_coverage(organization, today)
    months, threshold = coverage.months, coverage.threshold
    span = _span(len(coverage.periods), months)
    action = (
        f"Send a security reminder to the whole workforce at least every {_cadence(months)}: schedule one now "
        "(Training → Reminders), and set it to repeat."
    )
    if not coverage.reminders:
        return _not_sent(organization, today, span, months, action)
    if not coverage.active:
        return NO_ACTIVE
    reached = f"reached at least {threshold}% of the active workforce"
    each = "; ".join(f"{period.dates}: {period.reach}" for period in coverage.periods)
    latest = _local_day(coverage.reminders[0])
    records = tuple(_ref(organization, reminder) for reminder in coverage.reminders[:NAMED])
    read = _read_text(coverage.reminders)
    if not coverage.uncovered:
        return CheckResult(
            Status.MET,
            f"Security reminders {reached} in each of the last {span} ({plural(len(coverage.reminders), 'reminder')}, "
            f"the latest on {latest:%Y-%m-%d}): {each}. {read}",
            records,
            lapses_on=_lapses_on(coverage),
            next_action=f"Send the next reminder to the whole workforce by "
            f"{add_months(latest, months) - timedelta(days=1):%Y-%m-%d}.",
        )
    short = listed(f"{period.dates} ({period.reach})" for period in coverage.uncovered)
    if not coverage.covered:
        return CheckResult(
            Status.NOT_MET,
            f"Security reminders {reached} in none of the last {span} (one is expected every {_cadence(months)}): "
            f"{short}. {read}",
            records,
            next_action=action,
        )
    return CheckResult(
        Status.PARTIALLY_MET,
        f"Security reminders {reached} in {coverage.covered} of the last {span} (one is expected every "
        f"{_cadence(months)}); not in {short}. {read}",
        records,
        lapses_on=_lapses_on(coverage),
        next_action=action,
    )
