"""Phishing simulation metrics (the phishing area fills this module in)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safeguard.core.models import Organization


@dataclass(frozen=True)
class CampaignPoint:
    public_id: str
    name: str
    launched_on: date | None
    sent: int
    clicked: int
    submitted: int
    reported: int

    @property
    def click_rate(self) -> float | None:
        return self.clicked / self.sent if self.sent else None

    @property
    def report_rate(self) -> float | None:
        return self.reported / self.sent if self.sent else None


def campaign_trend(organization: Organization, *, since: date | None = None) -> list[CampaignPoint]:
    """One point per campaign launched on or after `since`, oldest first."""
    return []


def trend_svg(points: list[CampaignPoint]) -> str:
    """An SVG line chart of click and report rates per campaign (server-rendered, no script)."""
    return ""
