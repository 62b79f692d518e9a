"""Dashboard widgets of the workforce app: leaver SLA performance over the last 90 days."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from safeguard.core.models import Organization
from safeguard.tracker.widgets import Widget, dashboard_widget
from safeguard.workforce.services.sla import WINDOW_DAYS, leaver_sla, moment_of


@dashboard_widget(order=40)
def leaver_sla_widget(organization: Organization, today: date) -> Widget | None:
    """Median and worst time from termination to disablement, breaches, and how the 1-hour target would fare.
    Nothing to show until someone has left."""
    report = leaver_sla(organization, now=moment_of(today))
    if not report.leavers:
        return None
    worst = report.worst
    context = {
        "days": WINDOW_DAYS,
        "leavers": len(report.leavers),
        "accounts": len(report.rows),
        "measured": len(report.measured),
        "median": report.median_text,
        "worst": worst.elapsed_text if worst else "—",
        "worst_person": worst.person.full_name if worst else "",
        "breaches": len(report.breaches),
        "target_hours": report.target_hours,
        "proposed_hours": report.proposed_rule_hours,
        "proposed_met": report.proposed_rule_met,
        "proposed_judged": report.proposed_rule_judged,
    }
    link = reverse("workforce:leaver_sla", args=[organization.slug])
    return Widget(f"Leaver access removal, last {WINDOW_DAYS} days", "workforce/widget_leaver_sla.html", context, link)
