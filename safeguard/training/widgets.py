"""Dashboard widgets of the training app: training timeliness today, and the latest phishing simulation against the
one before. Each answers in at most three queries."""

from __future__ import annotations

from datetime import date

from django.urls import reverse

from safeguard.core.models import Organization
from safeguard.tracker.widgets import Widget, dashboard_widget
from safeguard.training.queries import training_settings
from safeguard.training.queries_effectiveness import latest_campaigns, open_assignments, people_timeliness


@dashboard_widget(order=70)
def training_widget(organization: Organization, today: date) -> Widget | None:
    """On-time rate of the active workforce (a whole percent rounded down, as the tracker judges it) and overdue
    assignments; nothing to show before anything is assigned or completed."""
    assignments = open_assignments(organization, today)
    people = people_timeliness(organization, today, names=False)
    if not people.active or (not assignments["open"] and not people.on_time):
        return None
    assignment_list = reverse("training:assignment_list", args=[organization.slug])
    threshold = training_settings(organization).completion_threshold
    context = {
        "rate": people.rate,
        "active": people.active,
        "on_time": people.on_time,
        "threshold": threshold,
        "meets": people.meets(threshold),
        "overdue": assignments["overdue"],
        "overdue_url": f"{assignment_list}?overdue=1",
    }
    return Widget(
        title="Training",
        template="training/overview/widget_training.html",
        context=context,
        link=reverse("training:home", args=[organization.slug]),
    )


def _change(latest: float | None, before: float | None) -> float | None:
    return round(latest - before, 1) if latest is not None and before is not None else None


@dashboard_widget(order=71)
def phishing_widget(organization: Organization, today: date) -> Widget | None:
    """Click and report rates of the latest phishing campaign, and of the one before it."""
    campaigns = latest_campaigns(organization, 2)
    if not campaigns:
        return None
    rows = [
        {
            "name": campaign.name,
            "launched_on": campaign.launched_on,
            "sent": campaign.sent,
            "click_rate": campaign.click_rate,
            "report_rate": campaign.report_rate,
        }
        for campaign in campaigns
    ]
    context: dict[str, object] = {"rows": rows, "click_change": None, "report_change": None}
    if len(campaigns) == 2:
        latest, before = campaigns
        click, report = _change(latest.click_rate, before.click_rate), _change(latest.report_rate, before.report_rate)
        context.update(
            click_change=click,
            report_change=report,
            click_change_abs=abs(click) if click is not None else None,
            report_change_abs=abs(report) if report is not None else None,
        )
    return Widget(
        title="Phishing",
        template="training/overview/widget_phishing.html",
        context=context,
        link=reverse("training:phishing_campaign_list", args=[organization.slug]),
    )
