"""Dashboard widgets about access reviews: the campaigns under way with their progress, and the latest campaign's
findings by kind."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from safeguard.access.models import ReviewCampaign, System
from safeguard.access.queries import access_settings
from safeguard.access.queries_reviews import findings_by_kind
from safeguard.core.models import Organization
from safeguard.tracker.widgets import Widget, dashboard_widget

Status = ReviewCampaign.Status


def _url(name: str, *args: object) -> str:
    try:
        return reverse(f"access:{name}", args=args)
    except NoReverseMatch:  # the review pages are a separate piece; the panels stand without them
        return ""


def _campaign_row(organization: Organization, campaign: ReviewCampaign, today: date) -> dict[str, Any]:
    total, decided = campaign.item_count, campaign.decided_count
    return {
        "title": campaign.title,
        "url": _url("review_detail", organization.slug, campaign.public_id),
        "preparing": campaign.status == Status.PREPARING,
        "progress": campaign.progress,
        "decided": decided,
        "total": total,
        "percent": decided * 100 // total if total else 100,
        "due_on": campaign.due_on,
        "days_left": (campaign.due_on - today).days,
        "days_overdue": (today - campaign.due_on).days,
    }


@dashboard_widget(order=60)
def access_reviews(organization: Organization, today: date) -> Widget | None:
    under_way = ReviewCampaign.objects.filter(organization=organization, status__in=[Status.PREPARING, Status.OPEN])
    rows = [_campaign_row(organization, campaign, today) for campaign in under_way.order_by("due_on", "pk")]
    context: dict[str, Any] = {"rows": rows}
    if not rows:
        last = (
            ReviewCampaign.objects.filter(organization=organization, status=Status.CLOSED, closed_at__isnull=False)
            .order_by("-closed_at")
            .first()
        )
        if last is None and not System.objects.filter(organization=organization).exists():
            return None
        if last is not None and last.closed_at is not None:
            closed_on = timezone.localdate(last.closed_at)
            context["last_closed"] = {"title": last.title, "closed_on": closed_on}
            context["next_due"] = closed_on + timedelta(days=access_settings(organization).review_interval_days)
    return Widget(
        title="Access reviews",
        template="access/widget_reviews.html",
        context=context,
        link=_url("review_list", organization.slug),
    )


def _latest_campaign(organization: Organization) -> ReviewCampaign | None:
    campaigns = ReviewCampaign.objects.filter(organization=organization)
    found = campaigns.filter(status=Status.OPEN).order_by("-started_at", "-pk").first()
    return found or campaigns.filter(status=Status.CLOSED).order_by("-closed_at", "-pk").first()


@dashboard_widget(order=61)
def open_findings(organization: Organization, today: date) -> Widget | None:
    campaign = _latest_campaign(organization)
    if campaign is None:
        return None
    kinds = findings_by_kind(campaign)
    return Widget(
        title="Open findings",
        template="access/widget_review_findings.html",
        context={
            "campaign": {"title": campaign.title, "closed": campaign.status == Status.CLOSED},
            "kinds": kinds,
            "total": sum(kind.total for kind in kinds),
            "open": sum(kind.open for kind in kinds),
        },
        link=_url("review_detail", organization.slug, campaign.public_id),
    )
