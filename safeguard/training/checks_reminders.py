"""The tracker check of security reminders, 164.308(a)(5)(ii)(A).

The training settings give a cadence of m months and a number of periods p (1 and 3 unless changed). Period k
(k = 0 … p−1) runs over the local days after today − (k+1)·m months up to and including today − k·m months. Each
period needs a reminder sent in it. All periods covered: met; some: partially met, naming the empty periods; none:
not met. The reason shows the read rate over the deliveries of the reminders sent in the whole span. `lapses_on`
is m months after the latest reminder: the first day the latest period is empty.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check
from safeguard.training.checks_common import NAMED, REMINDER_TYPE, day_start, listed, percent, plural, url_or_blank
from safeguard.training.models import SecurityReminder
from safeguard.training.queries import training_settings
from safeguard.training.queries_effectiveness import deliveries_read

Period = tuple[date, date]  # (the day before it starts, its last day)


def reminder_periods(today: date, months: int, count: int) -> list[Period]:
    """The periods to cover, latest first."""
    return [(add_months(today, -(k + 1) * months), add_months(today, -k * months)) for k in range(count)]


def _period_text(period: Period) -> str:
    return f"{period[0] + timedelta(days=1):%Y-%m-%d} to {period[1]:%Y-%m-%d}"


def _ref(organization: Organization, reminder: SecurityReminder) -> RecordRef:
    sent = f", sent {timezone.localdate(reminder.sent_at):%Y-%m-%d}" if reminder.sent_at else ""
    url = url_or_blank("training:reminder_detail", organization.slug, reminder.public_id)
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


@check("164.308(a)(5)(ii)(A)", name="training.security_reminders")
def security_reminders(organization: Organization, today: date) -> CheckResult:
    settings = training_settings(organization)
    months, count = settings.reminder_cadence_months, settings.reminder_periods
    periods = reminder_periods(today, months, count)
    sent = SecurityReminder.objects.filter(
        # A reminder delivered to nobody reminded nobody: it does not count (nor on the reminder calendar).
        organization=organization,
        status=SecurityReminder.Status.SENT,
        sent_at__isnull=False,
        recipients__gt=0,
    )
    in_span = list(
        sent.filter(
            sent_at__gte=day_start(periods[-1][0] + timedelta(days=1)),
            sent_at__lt=day_start(today + timedelta(days=1)),
        ).order_by("-sent_at", "-pk")
    )
    span = _span(count, months)
    action = (
        f"Send a security reminder at least every {_cadence(months)}: schedule one now (Training → Reminders), and "
        "set it to repeat."
    )
    if not in_span:
        earlier = sent.filter(sent_at__lt=day_start(today + timedelta(days=1))).order_by("-sent_at").first()
        if earlier is None or earlier.sent_at is None:
            return CheckResult(Status.NOT_MET, "No security reminder has been sent yet.", next_action=action)
        return CheckResult(
            Status.NOT_MET,
            f"No security reminder was sent in the last {span} (one is expected every {_cadence(months)}); the latest "
            f"was sent on {timezone.localdate(earlier.sent_at):%Y-%m-%d}.",
            (_ref(organization, earlier),),
            next_action=action,
        )
    sent_days = [timezone.localdate(reminder.sent_at) for reminder in in_span if reminder.sent_at]
    empty = [period for period in periods if not any(period[0] < day <= period[1] for day in sent_days)]
    latest = max(sent_days)
    records = tuple(_ref(organization, reminder) for reminder in in_span[:NAMED])
    read = _read_text(in_span)
    lapses_on = add_months(latest, months)
    if not empty:
        return CheckResult(
            Status.MET,
            f"A security reminder was sent in each of the last {span} ({plural(len(in_span), 'reminder')}, the "
            f"latest on {latest:%Y-%m-%d}). {read}",
            records,
            lapses_on=lapses_on,
            next_action=f"Send the next reminder by {lapses_on - timedelta(days=1):%Y-%m-%d}.",
        )
    return CheckResult(
        Status.PARTIALLY_MET,
        f"Security reminders were sent in {count - len(empty)} of the last {span} (one is expected every "
        f"{_cadence(months)}); none from {listed(_period_text(p) for p in empty)}. {read}",
        records,
        lapses_on=lapses_on,
        next_action=action,
    )
