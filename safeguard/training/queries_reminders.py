"""Reads of security reminders shared by pages, checks and the API: lists with read rates, a person's own reminders,
the reminder behind a personal link, and the reminder calendar.

The calendar is laid out in calendar months; whether reminders were frequent and wide enough is the tracker's
question, judged over rolling periods (checks_reminders.reminder_coverage), which the calendar page shows above the
months. The cadence periods below (`CalendarPeriod`) are the API's month grouping and planning aid, not a verdict."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from safeguard.core.access import parse_public_id
from safeguard.core.dates import add_months
from safeguard.core.models import Organization
from safeguard.training import links
from safeguard.training.models import ReminderDelivery, SecurityReminder
from safeguard.training.queries import training_settings
from safeguard.workforce.models import Person

MY_LIMIT = 10
NO_EMAIL = "No work email on the roster."  # the email error of a delivery to someone the roster has no email for
PAST_MONTHS = 12  # the calendar shows the current month and the 11 before it…
NEXT_MONTHS = 6  # …and the 6 after it
Status = SecurityReminder.Status


def read_rate(read: int, recipients: int) -> int | None:
    """Percent of the people it was delivered to who marked it read (rounded down), None when sent to nobody."""
    return read * 100 // recipients if recipients else None


# ---- the program's lists ------------------------------------------------------------------------------------------


def reminder_rows(organization: Organization, status: str | None = None) -> QuerySet[SecurityReminder]:
    """Latest scheduled first, with their topics."""
    rows = SecurityReminder.objects.filter(organization=organization).prefetch_related("topics")
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-scheduled_for", "-pk")


def read_counts(reminders: list[SecurityReminder]) -> dict[int, int]:
    """Reminder id → how many of its deliveries are read, in one query (for a page of reminders)."""
    sent = [reminder.pk for reminder in reminders if reminder.status == Status.SENT]
    if not sent:
        return {}
    rows = (
        ReminderDelivery.objects.filter(reminder_id__in=sent, read_at__isnull=False)
        .values_list("reminder_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


def with_read_rates(reminders: list[SecurityReminder]) -> list[SecurityReminder]:
    """Set `read` and `read_rate` on each reminder of a page."""
    counts = read_counts(reminders)
    for reminder in reminders:
        reminder.read = counts.get(reminder.pk, 0)  # type: ignore[attr-defined]
        reminder.read_rate = read_rate(reminder.read, reminder.recipients)  # type: ignore[attr-defined]
    return reminders


@dataclass(frozen=True)
class ReminderStats:
    recipients: int = 0
    read: int = 0
    emailed: int = 0
    failed: int = 0
    without_email: int = 0
    waiting: int = 0

    @property
    def read_rate(self) -> int | None:
        return read_rate(self.read, self.recipients)


def reminder_stats(reminder: SecurityReminder) -> ReminderStats:
    """What became of a sent reminder's deliveries, in one query."""
    if reminder.status != Status.SENT:
        return ReminderStats()
    counts = ReminderDelivery.objects.filter(reminder=reminder).aggregate(
        recipients=Count("pk"),
        read=Count("pk", filter=Q(read_at__isnull=False)),
        emailed=Count("pk", filter=Q(emailed_at__isnull=False)),
        without_email=Count("pk", filter=Q(email_error=NO_EMAIL)),
        failed=Count("pk", filter=Q(emailed_at__isnull=True) & ~Q(email_error__in=["", NO_EMAIL])),
        waiting=Count("pk", filter=Q(emailed_at__isnull=True, email_error="")),
    )
    if not reminder.send_email:
        counts["waiting"] = 0
    return ReminderStats(**counts)


def deliveries_of(reminder: SecurityReminder) -> QuerySet[ReminderDelivery]:
    """Its deliveries by the person's name."""
    return (
        ReminderDelivery.objects.filter(reminder=reminder)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "person__employee_id", "pk")
    )


# ---- a person's own ---------------------------------------------------------------------------------------------


def my_deliveries(organization: Organization, person: Person) -> QuerySet[ReminderDelivery]:
    return (
        ReminderDelivery.objects.filter(organization=organization, person=person)
        .select_related("reminder")
        .order_by("-delivered_at", "-pk")
    )


def my_reminders(organization: Organization, person: Person) -> list[ReminderDelivery]:
    """The reminders delivered to this person, newest first (the latest ten), for their "My training" page: each
    delivery with its reminder and `read_at`, in one query."""
    return list(my_deliveries(organization, person)[:MY_LIMIT])


def my_delivery(organization: Organization, person: Person | None, public_id: str | UUID) -> ReminderDelivery:
    """One of the person's own deliveries; the same 404 for someone else's, another organization's, or none."""
    found = None
    if person is not None:
        found = my_deliveries(organization, person).filter(public_id=parse_public_id(public_id)).first()
    if found is None:
        raise Http404("No such reminder.")
    return found


def delivery_for_token(token: str) -> ReminderDelivery | None:
    """The delivery a personal link names, or None when the link is forged, for something else, or expired."""
    public_id = links.read_token("reminder", token)
    if public_id is None:
        return None
    try:
        key = UUID(public_id)
    except ValueError:
        return None
    return ReminderDelivery.objects.select_related("reminder", "person", "organization").filter(public_id=key).first()


# ---- the calendar -------------------------------------------------------------------------------------------------


def _month(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def _index(day: date) -> int:
    return day.year * 12 + day.month - 1


def _start(index: int) -> datetime:
    return datetime.combine(_month(index), time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class CalendarEntry:
    reminder: SecurityReminder
    at: datetime
    kind: str  # "sent", "scheduled", or "repeat" (a copy a repeating reminder will make)

    @property
    def counts(self) -> bool:
        """Whether it reminds anyone: a reminder sent to an empty audience does not."""
        return self.kind != "sent" or self.reminder.recipients > 0


@dataclass
class CalendarPeriod:
    """`cadence` months in a row; periods end with the current month and follow on from it."""

    first: date
    last: date  # the last day
    state: str = "unplanned"  # sent, scheduled, missed (past, nothing sent), unplanned (nothing sent or scheduled)

    @property
    def gap(self) -> bool:
        return self.state in ("missed", "unplanned")


@dataclass
class CalendarMonth:
    first: date
    period: CalendarPeriod
    entries: list[CalendarEntry] = field(default_factory=list)
    current: bool = False
    past: bool = False

    def count(self, kind: str) -> int:
        return sum(1 for entry in self.entries if entry.kind == kind)

    @property
    def state(self) -> str:
        """The month on its own, as the page's month grid shows it: "sent" (a reminder reached someone), "scheduled"
        (one is scheduled or a repeat falls in it), "none" (a past month without one: not a verdict, the tracker's
        periods decide) or "open" (this month or a later one with nothing sent or scheduled)."""
        if any(entry.kind == "sent" and entry.counts for entry in self.entries):
            return "sent"
        if any(entry.kind != "sent" for entry in self.entries):
            return "scheduled"
        return "none" if self.past else "open"

    @property
    def opens_period(self) -> bool:
        return self.first == self.period.first


@dataclass
class ReminderCalendar:
    cadence_months: int
    months: list[CalendarMonth]
    periods: list[CalendarPeriod]

    @property
    def gaps(self) -> int:
        return sum(1 for period in self.periods if period.gap)


def _entries(organization: Organization, start: datetime, end: datetime, now: datetime) -> list[CalendarEntry]:
    """Sent and scheduled reminders in [start, end), and the copies repeating ones will make. A scheduled reminder
    already due goes out at the next run: it is placed at `now`."""
    rows = SecurityReminder.objects.filter(organization=organization).filter(
        Q(status=Status.SENT, sent_at__gte=start, sent_at__lt=end) | Q(status=Status.SCHEDULED, scheduled_for__lt=end)
    )
    entries = []
    for reminder in rows.order_by("scheduled_for", "pk"):
        if reminder.status == Status.SENT and reminder.sent_at is not None:
            entries.append(CalendarEntry(reminder, reminder.sent_at, "sent"))
            continue
        at = max(reminder.scheduled_for, now)
        entries.append(CalendarEntry(reminder, at, "scheduled"))
        local = timezone.localtime(reminder.scheduled_for)
        step = 1
        while reminder.repeat_months:
            moved = add_months(local.date(), reminder.repeat_months * step)
            copy_at = timezone.make_aware(datetime.combine(moved, local.time()))
            if copy_at >= end:
                break
            if copy_at > at:
                entries.append(CalendarEntry(reminder, copy_at, "repeat"))
            step += 1
    return entries


def reminder_calendar(
    organization: Organization, today: date | None = None, now: datetime | None = None
) -> ReminderCalendar:
    """The current month, the 11 before it and the 6 after it, each with its sent and scheduled reminders, and the
    periods of the settings' cadence: a past period without a reminder sent to someone was missed; the current and
    later ones are planned when a reminder is scheduled (or a repeating one will fall) in them."""
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    cadence = max(training_settings(organization).reminder_cadence_months, 1)
    current = _index(today)
    shown = range(current - PAST_MONTHS + 1, current + NEXT_MONTHS + 1)

    def period_of(index: int) -> int:
        return -((current - index) // cadence)

    def period_months(k: int) -> tuple[int, int]:
        return current + (k - 1) * cadence + 1, current + k * cadence

    ks = range(period_of(shown[0]), period_of(shown[-1]) + 1)
    periods = {}
    for k in ks:
        first, last = period_months(k)
        end = _month(last)
        periods[k] = CalendarPeriod(_month(first), end.replace(day=calendar.monthrange(end.year, end.month)[1]))
    start_index, end_index = period_months(ks[0])[0], period_months(ks[-1])[1] + 1
    months = {
        index: CalendarMonth(_month(index), periods[period_of(index)], current=index == current, past=index < current)
        for index in shown
    }
    for entry in _entries(organization, _start(start_index), _start(end_index), now):
        index = _index(timezone.localdate(entry.at))
        if index in months:
            months[index].entries.append(entry)
        period = periods[period_of(index)]
        if entry.kind == "sent" and entry.counts:
            period.state = "sent"
        elif entry.kind != "sent" and period.state != "sent":
            period.state = "scheduled"
    for month in months.values():
        month.entries.sort(key=lambda entry: (entry.at, entry.reminder.pk))
    for k, period in periods.items():
        if k < 0 and period.state != "sent":
            period.state = "missed"
    return ReminderCalendar(cadence, list(months.values()), list(periods.values()))
