"""Phishing simulation metrics: rates over the emails delivered, the median time to first report, repeat clickers,
and the trend chart, per campaign, per department and over time.

Rates are over the recipients the email reached ("sent": sent, opened, clicked or submitted; not those never sent
or whose sending failed), and "clicked" counts whoever clicked or went on to submit data. The median time to first
report reads only reporters with both a send time and a report time: a file without event times (GoPhish's results
CSV) gives "not available" rather than a made-up figure. The counting is SQL (queries_phishing.py); this module
turns counts into figures and draws the chart (server-rendered SVG, no script, its <title> and <desc> saying in
words what it shows).
"""

from __future__ import annotations

import hashlib
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from safeguard.core.models import Organization
from safeguard.training import queries_phishing as queries
from safeguard.training.models import PhishingCampaign

INK, GRID, MUTED = "#1b2430", "#d6dbe1", "#5b6675"
CLICK_COLOUR, REPORT_COLOUR = "#b42318", "#1f5fbf"
WIDTH, HEIGHT = 640, 290


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def percent(value: float | None) -> str:
    """A rate (0-1) as a percentage with one decimal, rounded half up; "—" when there is none."""
    if value is None:
        return "—"
    return f"{Decimal(str(value * 100)).quantize(Decimal('0.1'), ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class Counts:
    recipients: int = 0
    sent: int = 0
    opened: int = 0
    clicked: int = 0
    submitted: int = 0
    reported: int = 0
    not_on_roster: int = 0

    @classmethod
    def of(cls, values: Mapping[str, Any]) -> Counts:
        return cls(**{name: int(values.get(name) or 0) for name in queries.COUNTS})

    @classmethod
    def annotated(cls, campaign: PhishingCampaign) -> Counts:
        """From a campaign of queries_phishing.campaigns() (its counts annotated as n_<count>)."""
        return cls(**{name: int(getattr(campaign, f"n_{name}", 0) or 0) for name in queries.COUNTS})

    @property
    def open_rate(self) -> float | None:
        return rate(self.opened, self.sent)

    @property
    def click_rate(self) -> float | None:
        return rate(self.clicked, self.sent)

    @property
    def submit_rate(self) -> float | None:
        return rate(self.submitted, self.sent)

    @property
    def report_rate(self) -> float | None:
        return rate(self.reported, self.sent)

    # As pages show them.
    @property
    def open_text(self) -> str:
        return percent(self.open_rate)

    @property
    def click_text(self) -> str:
        return percent(self.click_rate)

    @property
    def submit_text(self) -> str:
        return percent(self.submit_rate)

    @property
    def report_text(self) -> str:
        return percent(self.report_rate)


# ---- time to first report ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportDelay:
    """The median time from the email sent to its report, over reporters whose two times are known."""

    reporters: int
    timed: int
    median: timedelta | None

    @property
    def text(self) -> str:
        if self.median is not None:
            return duration_text(self.median)
        if not self.reporters:
            return "nobody reported"
        return "not available (the file had no event times)"


def median_delay(seconds: Iterable[float | None]) -> ReportDelay:
    """Over every reporter's seconds from the email sent to its report (None: a time is missing). A report timed
    before its send (the clocks of two systems) is left out."""
    reporters, timed = 0, []
    for value in seconds:
        reporters += 1
        if value is not None and value >= 0:
            timed.append(value)
    median = timedelta(seconds=round(statistics.median(timed))) if timed else None
    return ReportDelay(reporters, len(timed), median)


def duration_text(delta: timedelta) -> str:
    """45 s, 12 min, 3 h 05 min, 2 d 4 h."""
    seconds = int(delta.total_seconds())
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def report_delays(campaign_ids: list[int]) -> dict[int, ReportDelay]:
    """Campaign id → its median time to first report: one query for all of them."""
    seconds: dict[int, list[float | None]] = defaultdict(list)
    for campaign_id, value in queries.report_times(campaign_ids):
        seconds[campaign_id].append(value)
    return {campaign_id: median_delay(seconds.get(campaign_id, [])) for campaign_id in campaign_ids}


# ---- campaigns and departments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignRow:
    campaign: PhishingCampaign
    counts: Counts
    delay: ReportDelay


def campaign_rows(campaigns: list[PhishingCampaign]) -> list[CampaignRow]:
    """Campaigns annotated by queries_phishing.campaigns(), with their report medians (one more query)."""
    delays = report_delays([campaign.pk for campaign in campaigns])
    return [CampaignRow(c, Counts.annotated(c), delays[c.pk]) for c in campaigns]


def campaign_metrics(campaign: PhishingCampaign) -> CampaignRow:
    """One campaign's counts and median: two queries."""
    return CampaignRow(
        campaign, Counts.of(queries.campaign_counts(campaign)), report_delays([campaign.pk])[campaign.pk]
    )


@dataclass(frozen=True)
class DepartmentRow:
    department: str
    counts: Counts


def department_rows(rows: list[dict[str, Any]]) -> list[DepartmentRow]:
    return [DepartmentRow(row["department"], Counts.of(row)) for row in rows]


# ---- over time -------------------------------------------------------------------------------------------------


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

    @property
    def submit_rate(self) -> float | None:
        return self.submitted / self.sent if self.sent else None

    @property
    def click_text(self) -> str:
        return percent(self.click_rate)

    @property
    def report_text(self) -> str:
        return percent(self.report_rate)

    @property
    def submit_text(self) -> str:
        return percent(self.submit_rate)


def campaign_trend(organization: Organization, *, since: date | None = None) -> list[CampaignPoint]:
    """One point per campaign launched on or after `since`, oldest first: one query."""
    return [
        CampaignPoint(
            public_id=str(campaign.public_id),
            name=campaign.name,
            launched_on=timezone.localdate(campaign.launched_at) if campaign.launched_at else None,
            sent=campaign.n_sent,  # type: ignore[attr-defined]
            clicked=campaign.n_clicked,  # type: ignore[attr-defined]
            submitted=campaign.n_submitted,  # type: ignore[attr-defined]
            reported=campaign.n_reported,  # type: ignore[attr-defined]
        )
        for campaign in queries.launched_campaigns(organization, since)
    ]


@dataclass(frozen=True)
class RepeatClicker:
    """Someone who clicked in two campaigns or more of the period: a person, or an email matched to nobody."""

    name: str
    email: str
    department: str
    campaigns: int
    last_launched: datetime | None
    person_public_id: str = ""
    employee_id: str = ""


def clicker_rows(rows: Iterable[Mapping[str, Any]]) -> list[RepeatClicker]:
    """Rows of queries_phishing.repeat_clicks() (a page of them) as repeat clickers."""
    return [_clicker(row) for row in rows]


def _clicker(row: Mapping[str, Any]) -> RepeatClicker:
    if row["person_id"] is None:
        return RepeatClicker(
            name="",
            email=row["unmatched"],
            department=row["recorded_department"] or "",
            campaigns=row["campaigns"],
            last_launched=row["last_launched"],
        )
    return RepeatClicker(
        name=f"{row['person__given_name']} {row['person__family_name']}".strip() or row["person__email"],
        email=row["person__email"],
        department=row["person__department"],
        campaigns=row["campaigns"],
        last_launched=row["last_launched"],
        person_public_id=str(row["person__public_id"]),
        employee_id=row["person__employee_id"],
    )


# ---- the chart -------------------------------------------------------------------------------------------------


def _chart_id(points: list[CampaignPoint]) -> str:
    # Stable for the same campaigns, distinct between two charts of different campaigns on one page.
    digest = hashlib.sha256("|".join(point.public_id for point in points).encode()).hexdigest()[:8]
    return f"phishing-trend-{digest}"


def _describe(drawn: list[CampaignPoint], left_out: int) -> str:
    if not drawn:
        text = "No campaign with delivered emails yet."
    else:
        first, last = drawn[0], drawn[-1]
        span = f"from {first.launched_on:%Y-%m-%d} to {last.launched_on:%Y-%m-%d}" if first.launched_on else ""
        if len(drawn) == 1:
            text = (
                f"One campaign, “{first.name}”: click rate {percent(first.click_rate)}, report rate "
                f"{percent(first.report_rate)}."
            )
        else:
            text = (
                f"{len(drawn)} campaigns {span}: the click rate went from {percent(first.click_rate)} to "
                f"{percent(last.click_rate)} and the report rate from {percent(first.report_rate)} to "
                f"{percent(last.report_rate)}."
            )
    if left_out:
        text += f" {left_out} campaign{'s' if left_out != 1 else ''} with no email delivered not drawn."
    return text


@dataclass(frozen=True)
class Plot:
    """Where the chart draws: the plotting area's edges and the x-spacing of `count` campaigns."""

    count: int
    left: float = 56.0
    right: float = WIDTH - 16.0
    top: float = 16.0
    bottom: float = HEIGHT - 78.0

    def x(self, index: int) -> float:
        return self.left + (self.right - self.left) / max(self.count, 1) * (index + 0.5)

    def y(self, value: float | None) -> float:
        return self.bottom - (self.bottom - self.top) * max(0.0, min(value or 0.0, 1.0))

    @property
    def middle_y(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Series:
    key: str
    name: str
    colour: str
    dash: str
    value_of: Callable[[CampaignPoint], float | None]
    count_of: Callable[[CampaignPoint], int]


SERIES = (
    Series("click", "Click rate", CLICK_COLOUR, "", lambda p: p.click_rate, lambda p: p.clicked),
    Series(
        "report", "Report rate", REPORT_COLOUR, ' stroke-dasharray="6 4"', lambda p: p.report_rate, lambda p: p.reported
    ),
)


def trend_svg(points: list[CampaignPoint]) -> str:
    """An SVG line chart of click and report rates per campaign (server-rendered, no script): campaigns in launch
    order, evenly spaced; the click rate a solid line with round markers, the report rate a dashed line with
    square markers, so the two differ without colour. Every text is escaped."""
    drawn = [point for point in points if point.sent]
    plot = Plot(len(drawn))
    out = _opening(points, drawn) + _axes(plot, drawn)
    for series in SERIES:
        out += _series(plot, drawn, series)
    out += _legend(plot)
    if not drawn:
        out.append(
            f'<text x="{(plot.left + plot.right) / 2:.1f}" y="{plot.middle_y:.1f}" text-anchor="middle" '
            f'fill="{MUTED}">No campaign with delivered emails yet</text>'
        )
    out.append("</svg>")
    # Every text went through escape(); the rest is markup built from numbers.
    return mark_safe("\n".join(out))  # noqa: S308


def _opening(points: list[CampaignPoint], drawn: list[CampaignPoint]) -> list[str]:
    """The <svg> element with its title and its description in words."""
    chart_id = _chart_id(points)
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart phishing-trend" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="{chart_id}-title">Phishing click and report rates by campaign</title>',
        f'<desc id="{chart_id}-desc">{escape(_describe(drawn, len(points) - len(drawn)))}</desc>',
    ]


def _axes(plot: Plot, drawn: list[CampaignPoint]) -> list[str]:
    """Grid lines every 25 %, the x axis with the first, middle and last launch dates, and the axes' titles."""
    out = ['<g class="grid">']
    for value in (0, 25, 50, 75, 100):
        at = plot.y(value / 100)
        out.append(
            f'<line x1="{plot.left:.1f}" x2="{plot.right:.1f}" y1="{at:.1f}" y2="{at:.1f}" stroke="{GRID}"/>'
            f'<text x="{plot.left - 8:.1f}" y="{at + 4:.1f}" text-anchor="end" fill="{INK}">{value}%</text>'
        )
    out.append("</g>")
    out.append(
        f'<line x1="{plot.left:.1f}" x2="{plot.right:.1f}" y1="{plot.bottom:.1f}" y2="{plot.bottom:.1f}" '
        f'stroke="{INK}"/>'
    )
    labelled = {0, len(drawn) - 1} | ({len(drawn) // 2} if len(drawn) > 4 else set())
    for index in sorted(labelled) if drawn else []:
        point = drawn[index]
        label = f"{point.launched_on:%d %b %Y}" if point.launched_on else point.name[:16]
        out.append(
            f'<text x="{plot.x(index):.1f}" y="{plot.bottom + 18:.1f}" text-anchor="middle" fill="{INK}">'
            f"{escape(label)}</text>"
        )
    out.append(
        f'<text x="{(plot.left + plot.right) / 2:.1f}" y="{plot.bottom + 38:.1f}" text-anchor="middle" '
        f'fill="{INK}" font-weight="600">Campaigns, in launch order</text>'
        f'<text x="14" y="{plot.middle_y:.1f}" text-anchor="middle" fill="{INK}" font-weight="600" '
        f'transform="rotate(-90 14 {plot.middle_y:.1f})">Share of emails delivered</text>'
    )
    return out


def _series(plot: Plot, drawn: list[CampaignPoint], series: Series) -> list[str]:
    """One rate: its line (from two campaigns on) and a marker per campaign whose tooltip gives the figures."""
    out = []
    coordinates = [(plot.x(index), plot.y(series.value_of(point))) for index, point in enumerate(drawn)]
    if len(coordinates) > 1:
        line = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in coordinates)
        out.append(
            f'<polyline class="{series.key}-rate" points="{line}" fill="none" stroke="{series.colour}" '
            f'stroke-width="2"{series.dash}/>'
        )
    out.append(f'<g class="{series.key}-points">')
    for (cx, cy), point in zip(coordinates, drawn, strict=True):
        when = f", launched {point.launched_on:%Y-%m-%d}" if point.launched_on else ""
        figures = f"{percent(series.value_of(point))} ({series.count_of(point)} of {point.sent})"
        tip = f"<title>{escape(f'{point.name}{when}: {series.name.lower()} {figures}')}</title>"
        out.append(_marker(series, cx, cy, tip))
    out.append("</g>")
    return out


def _marker(series: Series, cx: float, cy: float, tip: str) -> str:
    """A round marker for clicks, a square one for reports: they differ without colour."""
    if series.key == "click":
        return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="4" fill="{series.colour}">{tip}</circle>'
    return f'<rect x="{cx - 4:.1f}" y="{cy - 4:.1f}" width="8" height="8" fill="{series.colour}">{tip}</rect>'


def _legend(plot: Plot) -> list[str]:
    base, left = HEIGHT - 14, plot.left
    return [
        f'<g class="legend"><line x1="{left:.1f}" x2="{left + 24:.1f}" y1="{base - 4}" y2="{base - 4}" '
        f'stroke="{CLICK_COLOUR}" stroke-width="2"/><circle cx="{left + 12:.1f}" cy="{base - 4}" r="4" '
        f'fill="{CLICK_COLOUR}"/><text x="{left + 30:.1f}" y="{base}" fill="{INK}">Click rate (clicked or '
        f'submitted data)</text><line x1="{left + 250:.1f}" x2="{left + 274:.1f}" y1="{base - 4}" '
        f'y2="{base - 4}" stroke="{REPORT_COLOUR}" stroke-width="2" stroke-dasharray="6 4"/><rect '
        f'x="{left + 258:.1f}" y="{base - 8}" width="8" height="8" fill="{REPORT_COLOUR}"/><text '
        f'x="{left + 280:.1f}" y="{base}" fill="{INK}">Report rate</text></g>'
    ]
