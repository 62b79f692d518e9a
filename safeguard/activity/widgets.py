"""Dashboard widgets of activity review: open high and critical alerts (with those past their triage deadline),
and review compliance over the last 90 days. Each answers in at most two queries."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from safeguard.activity.models import Alert, AlertStatus, Severity
from safeguard.activity.queries_overview import review_compliance
from safeguard.core.models import Organization
from safeguard.tracker.widgets import Widget, dashboard_widget

URGENT = (Severity.HIGH, Severity.CRITICAL)


@dashboard_widget(order=80)
def high_alerts_widget(organization: Organization, today: date) -> Widget | None:
    counts = Alert.objects.filter(
        organization=organization, severity__in=URGENT, status__in=(AlertStatus.NEW, AlertStatus.TRIAGED)
    ).aggregate(
        open=Count("pk"),
        overdue=Count("pk", filter=Q(status=AlertStatus.NEW, ack_due_at__lt=timezone.now())),
    )
    if not counts["open"] and not Alert.objects.filter(organization=organization).exists():
        return None
    return Widget(
        title="High alerts",
        template="activity/home_widget_alerts.html",
        context=counts,
        link=reverse("activity:home", args=[organization.slug]),
    )


@dashboard_widget(order=81)
def review_compliance_widget(organization: Organization, today: date) -> Widget | None:
    compliance = review_compliance(organization, today)
    if not compliance.due:
        return None
    return Widget(
        title="Activity reviews",
        template="activity/home_widget_reviews.html",
        context={"due": compliance.due, "on_time": compliance.on_time, "percent": compliance.percent},
        link=reverse("activity:review_list", args=[organization.slug]),
    )
