"""164.308(a)(1)(ii)(D) information system activity review.

Met: every active source holding ePHI delivered data in the last 24 hours, every review due in the last 90 days
was signed on time, and no high or critical alert is still new past its triage deadline. Partially met: data
arrives but reviews were signed late, missed, or are not scheduled at all. Not met: no active source, a silent
ePHI source, or an untriaged high alert past its deadline. `lapses_on` is the next review due date or the
earliest moment an ePHI source would become silent, whichever comes first.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils.timezone import localdate

from safeguard.activity.checks_common import (
    alert_ref,
    listed,
    plural,
    review_ref,
    review_text,
    review_timeliness,
    source_ref,
)
from safeguard.activity.models import Alert, AlertStatus, LogSource, Severity
from safeguard.core.chores import as_of
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, check

SILENT_AFTER = timedelta(hours=24)
URGENT = (Severity.HIGH, Severity.CRITICAL)


def overdue_urgent_alerts(organization: Organization, now: datetime) -> list[Alert]:
    return list(
        Alert.objects.filter(
            organization=organization, severity__in=URGENT, status=AlertStatus.NEW, ack_due_at__lt=now
        ).order_by("ack_due_at", "pk")[:50]
    )


@check("164.308(a)(1)(ii)(D)", name="activity.review")
def activity_review_check(organization: Organization, today: date) -> CheckResult:
    now = as_of(today)
    sources = LogSource.objects.filter(organization=organization, is_active=True)
    active = list(sources.order_by("name"))
    if not active:
        return CheckResult(
            Status.NOT_MET,
            "No active log source: no audit log of an information system is collected, so none is reviewed.",
            next_action="Add a log source for the EHR (and the identity provider) and ingest its audit log.",
        )
    ephi = [source for source in active if source.contains_ephi]
    silent = [s for s in ephi if s.last_received_at is None or s.last_received_at < now - SILENT_AFTER]
    alerts = overdue_urgent_alerts(organization, now)
    reviewed = sources.filter(review_every_days__gt=0)
    unscheduled = [source for source in ephi if not source.review_every_days]
    timeliness = review_timeliness(organization, today, reviewed)
    parts: list[str] = []
    actions: list[str] = []
    records = []
    if silent:
        parts.append(f"no data in the last 24 hours from {listed(s.name for s in silent)}")
        actions.append(f"restore the log feed of {listed(s.name for s in silent)}")
        records += [source_ref(organization, s) for s in silent]
    if alerts:
        # Rule titles only: the group text names the suspected user or a patient, and the tracker is read by
        # roles that may not see activity review; the linked alert pages are behind VIEW_ACTIVITY.
        titles = dict.fromkeys(a.title for a in alerts)
        parts.append(
            f"{plural(len(alerts), 'high or critical alert')} untriaged past their deadline "
            f"(rule titles: {listed(titles)})"
        )
        actions.append("triage the overdue high and critical alerts")
        records += [alert_ref(organization, a) for a in alerts[:10]]
    if timeliness.missed:
        parts.append(f"missed reviews: {listed(review_text(r) for r in timeliness.missed)}")
        actions.append("sign the missed reviews")
    if timeliness.late:
        parts.append(f"reviews signed late: {listed(review_text(r) for r in timeliness.late)}")
        actions.append("sign each review within its grace days")
    records += [review_ref(organization, r) for r in timeliness.short[:10]]
    if unscheduled:
        parts.append(f"no review scheduled for {listed(s.name for s in unscheduled)}")
        actions.append(f"set a review period on {listed(s.name for s in unscheduled)}")
        records += [source_ref(organization, s) for s in unscheduled]
    # The local date, as the tracker's dates are: by its UTC date, a feed silent at 21:00 in New York lapses late.
    deadlines = [localdate(s.last_received_at + SILENT_AFTER) for s in ephi if s.last_received_at and s not in silent]
    if timeliness.next_due_on:
        deadlines.append(timeliness.next_due_on)
    lapses_on = min(deadlines) if deadlines else None
    if silent or alerts:
        status = Status.NOT_MET
    elif parts:
        status = Status.PARTIALLY_MET
    else:
        signed = len(timeliness.due)
        return CheckResult(
            Status.MET,
            f"{plural(len(ephi), 'ePHI source')} delivered data in the last 24 hours; "
            f"{plural(signed, 'review')} due in the last 90 days, all signed on time; no high alert is overdue.",
            tuple(source_ref(organization, s) for s in active[:10]),
            lapses_on=lapses_on,
            next_action="Sign each period's review by its due date and triage high alerts before their deadline.",
        )
    action = "; ".join(actions) + "."
    reason = "; ".join(parts) + "."
    return CheckResult(
        status,
        reason[0].upper() + reason[1:],
        tuple(records),
        lapses_on=lapses_on,
        next_action=action[0].upper() + action[1:],
    )
