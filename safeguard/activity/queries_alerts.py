"""Reads of alerts, suppressions and escalation paths shared by the pages and the API, with their joins done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.utils import timezone

from safeguard.activity.models import OPEN_ALERT_STATUSES, Alert, AlertNote, EscalationLevel, Suppression
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm, role_has


@dataclass(frozen=True)
class AlertFilters:
    status: str = ""  # a status, "open" or "" (every one)
    severity: str = ""
    rule: str = ""  # the rule's name
    assignee: str = ""  # a user's email, "me" (with `me`) or "none"
    source: str = ""  # the source's name
    since: date | None = None  # first seen on or after this day (the installation's zone)
    until: date | None = None  # …on or before this one


def alerts(organization: Organization) -> QuerySet[Alert]:
    return Alert.objects.filter(organization=organization).select_related("rule", "assignee", "source", "incident")


def open_first(rows: QuerySet[Alert]) -> QuerySet[Alert]:
    opened = Case(When(status__in=OPEN_ALERT_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    return rows.annotate(closed=opened).order_by("closed", "-first_seen", "-pk")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_alerts(rows: QuerySet[Alert], filters: AlertFilters, *, me: User | None = None) -> QuerySet[Alert]:
    if filters.status == "open":
        rows = rows.filter(status__in=OPEN_ALERT_STATUSES)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    if filters.severity:
        rows = rows.filter(severity=filters.severity)
    if filters.rule:
        rows = rows.filter(rule__name=filters.rule)
    if filters.assignee == "none":
        rows = rows.filter(assignee__isnull=True)
    elif filters.assignee == "me" and me is not None:
        rows = rows.filter(assignee=me)
    elif filters.assignee:
        rows = rows.filter(assignee__email__iexact=filters.assignee)
    if filters.source:
        rows = rows.filter(source__name=filters.source)
    if filters.since:
        rows = rows.filter(first_seen__gte=_day_start(filters.since))
    if filters.until:
        rows = rows.filter(first_seen__lt=_day_start(filters.until + timedelta(days=1)))
    return rows


def alert_notes(alert: Alert) -> QuerySet[AlertNote]:
    return alert.notes.select_related("actor").order_by("created_at", "pk")


def triagers(organization: Organization) -> list[User]:
    """Current members who may triage alerts: who an alert may be assigned to."""
    roles = [role for role, _ in Membership._meta.get_field("role").choices or [] if role_has(role, Perm.TRIAGE_ALERTS)]
    members = Membership.objects.current().filter(organization=organization, role__in=roles).select_related("user")
    return [member.user for member in members.order_by("user__email")]


def suppressions(organization: Organization) -> QuerySet[Suppression]:
    return Suppression.objects.filter(organization=organization).select_related("rule", "created_by", "revoked_by")


def escalation_levels(organization: Organization) -> QuerySet[EscalationLevel]:
    return EscalationLevel.objects.filter(organization=organization).select_related("notify_user")


def is_overdue(alert: Alert, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return alert.status == "new" and alert.ack_due_at is not None and alert.ack_due_at <= now


def evidence_rows(organization_id: int, alert: Alert) -> list[dict[str, Any]]:
    """The alert's evidence events, decoded from the event store (PHI: callers check VIEW_EVENTS)."""
    if not alert.evidence_uids:
        return []
    from safeguard.activity.store import store_for

    return store_for(organization_id).events(alert.evidence_uids)
