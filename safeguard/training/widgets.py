"""Dashboard widgets of the training app: training timeliness today, and the latest phishing simulation against the
one before. Each answers in at most three queries."""

from __future__ import annotations

from datetime import date

from safeguard.core.models import Organization
from safeguard.tracker.widgets import Widget, dashboard_widget
from safeguard.training.checks_common import url_or_blank
from safeguard.training.queries import training_settings
from safeguard.training.queries_effectiveness import latest_campaigns, open_assignments, people_timeliness


@dashboard_widget(order=70)
def training_widget(organization: Organization, today: date) -> Widget | None:
    """On-time rate of the active workforce and overdue assignments; nothing to show before anything is assigned
    or completed."""
    assignments = open_assignments(organization, today)
    people = people_timeliness(organization, today, names=False)
    if not people.active or (not assignments["open"] and not people.on_time):
        return None
    assignment_list = url_or_blank("training:assignment_list", organization.slug)
    context = {
        "rate": people.rate,
        "active": people.active,
        "on_time": people.on_time,
        "threshold": training_settings(organization).completion_threshold,
        "overdue": assignments["overdue"],
        "overdue_url": f"{assignment_list}?overdue=1" if assignment_list else "",
    }
    return Widget(
        title="Training",
        template="training/overview/widget_training.html",
        context=context,
        link=url_or_blank("training:home", organization.slug),
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
        link=url_or_blank("training:campaign_list", organization.slug)
        or url_or_blank("training:phishing_campaign_list", organization.slug),
    )
