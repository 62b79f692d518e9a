"""Phishing metrics on the hand-computed Spring lure (see tests/test_training_phishing_support.py for the figures
worked out by hand), by department, over time, repeat clickers, and the trend chart's SVG."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.training import phishing_metrics as metrics
from safeguard.training import queries_phishing as queries
from safeguard.training.models import PhishingCampaign, PhishingOutcome
from safeguard.training.phishing_import import KIND_RESULTS
from safeguard.training.phishing_metrics import CampaignPoint, Counts
from tests import training_factories as train
from tests.conftest import Cast
from tests.test_training_phishing_support import roster, run, spring, spring_results_csv

SVG = "{http://www.w3.org/2000/svg}"


def spring_campaign(cast: Cast) -> PhishingCampaign:
    spring(cast.org, cast.owner)
    return PhishingCampaign.objects.get()


def test_the_spring_lure_figures_match_the_hand_computed_ones(cast: Cast) -> None:
    row = metrics.campaign_metrics(spring_campaign(cast))

    assert row.counts == Counts(recipients=10, sent=9, opened=6, clicked=4, submitted=2, reported=4, not_on_roster=2)
    assert (row.counts.open_text, row.counts.click_text, row.counts.submit_text, row.counts.report_text) == (
        "66.7%",
        "44.4%",
        "22.2%",
        "44.4%",
    )
    assert (row.delay.median, row.delay.reporters, row.delay.timed, row.delay.text) == (
        timedelta(minutes=20),
        4,
        4,
        "20 min",
    )


def test_the_spring_lure_by_department(cast: Cast) -> None:
    campaign = spring_campaign(cast)

    rows = metrics.department_rows(queries.department_counts(queries.campaign_results(campaign)))

    assert [(r.department, r.counts.sent, r.counts.clicked, r.counts.reported, r.counts.click_text) for r in rows] == [
        ("", 2, 1, 1, "50.0%"),
        ("Billing", 2, 1, 0, "50.0%"),
        ("Nursing", 5, 2, 3, "40.0%"),
    ]
    assert [r.counts.recipients for r in rows] == [2, 3, 5]


def test_without_event_times_the_median_is_not_available_rather_than_invented(cast: Cast) -> None:
    roster(cast.org)
    run(cast.org, cast.owner, KIND_RESULTS, spring_results_csv(), {"name": "Statuses only"})

    row = metrics.campaign_metrics(PhishingCampaign.objects.get())

    assert (row.counts.sent, row.counts.clicked, row.counts.reported) == (9, 4, 4)
    assert (row.delay.median, row.delay.reporters, row.delay.text) == (
        None,
        4,
        "not available (the file had no event times)",
    )


def test_a_campaign_nobody_reported_says_so_and_one_never_sent_has_no_rates(cast: Cast) -> None:
    quiet = train.campaign(cast.org, "Quiet")
    train.phishing_result(quiet, "a@clinic.test", status=PhishingOutcome.CLICKED)
    unsent = train.campaign(cast.org, "Unsent")
    train.phishing_result(unsent, "b@clinic.test", status=PhishingOutcome.NOT_SENT)

    assert metrics.campaign_metrics(quiet).delay.text == "nobody reported"
    unsent_row = metrics.campaign_metrics(unsent)
    assert (unsent_row.counts.recipients, unsent_row.counts.click_rate, unsent_row.counts.click_text) == (1, None, "—")


def test_a_report_timed_before_its_send_is_left_out_of_the_median() -> None:
    delay = metrics.median_delay([3 * 3600 + 0.4, -60, None])

    assert (delay.median, delay.reporters, delay.timed, delay.text) == (timedelta(hours=3), 3, 1, "3 h 00 min")


def test_the_database_measures_report_delays_to_the_second(cast: Cast) -> None:
    campaign = train.campaign(cast.org, "Timed", launched_at=datetime(2026, 3, 8, 6, 59, 30, tzinfo=UTC))
    sent = campaign.launched_at
    assert sent is not None
    train.phishing_result(campaign, "a@clinic.test", reported=True, reported_at=sent + timedelta(hours=1, seconds=1))
    train.phishing_result(campaign, "b@clinic.test", reported=True, reported_at=None)
    train.phishing_result(campaign, "c@clinic.test", reported=False, reported_at=None)

    rows = sorted(queries.report_times([campaign.pk]), key=lambda row: row[1] is None)

    assert [(campaign_id, None if value is None else round(value)) for campaign_id, value in rows] == [
        (campaign.pk, 3601),
        (campaign.pk, None),
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(45, "45 s"), (12 * 60 + 5, "12 min"), (3 * 3600 + 5 * 60, "3 h 05 min"), (52 * 3600, "2 d 4 h")],
)
def test_durations_read_naturally(seconds: int, text: str) -> None:
    assert metrics.duration_text(timedelta(seconds=seconds)) == text


def test_rates_round_half_up_to_one_decimal() -> None:
    assert (metrics.percent(1 / 8), metrics.percent(2 / 3), metrics.percent(None)) == ("12.5%", "66.7%", "—")


# ---- over time ------------------------------------------------------------------------------------------------------


def clicked_in(campaign: PhishingCampaign, email: str, person: object = None) -> None:
    train.phishing_result(campaign, email, status=PhishingOutcome.CLICKED, person=person)


def test_repeat_clickers_are_people_or_unmatched_emails_clicking_in_two_campaigns_of_the_period(cast: Cast) -> None:
    ann = train.person(cast.org, "A1", name="Ann Lee", email="ann@clinic.test", department="Nursing")
    bob = train.person(cast.org, "B1", name="Bob Ray", email="bob@clinic.test", department="Billing")
    today = date(2026, 6, 1)
    old = train.campaign(cast.org, "Old", launched_at=datetime(2024, 1, 10, tzinfo=UTC))
    first = train.campaign(cast.org, "First", launched_at=datetime(2026, 1, 10, tzinfo=UTC))
    second = train.campaign(cast.org, "Second", launched_at=datetime(2026, 4, 10, tzinfo=UTC))
    for campaign in (first, second):
        clicked_in(campaign, "ann@clinic.test", ann)
        clicked_in(campaign, "z@elsewhere.test")
    train.phishing_result(second, "ann-alias@clinic.test", status=PhishingOutcome.SUBMITTED, person=ann)
    clicked_in(old, "bob@clinic.test", bob)
    clicked_in(second, "bob@clinic.test", bob)
    train.phishing_result(first, "bob@clinic.test", status=PhishingOutcome.OPENED, person=bob)

    recent = metrics.clicker_rows(queries.repeat_clicks(cast.org, today - timedelta(days=365)))
    ever = metrics.clicker_rows(queries.repeat_clicks(cast.org, None))

    assert [(c.name, c.email, c.campaigns, c.department) for c in recent] == [
        ("Ann Lee", "ann@clinic.test", 2, "Nursing"),
        ("", "z@elsewhere.test", 2, ""),
    ]
    assert recent[0].last_launched == second.launched_at
    assert recent[0].person_public_id == str(ann.public_id)
    assert [c.email for c in ever] == ["ann@clinic.test", "bob@clinic.test", "z@elsewhere.test"]


def test_the_trend_has_a_point_per_launched_campaign_oldest_first(cast: Cast) -> None:
    later = train.campaign(cast.org, "Later", launched_at=datetime(2026, 5, 1, 12, tzinfo=UTC))
    earlier = train.campaign(cast.org, "Earlier", launched_at=datetime(2025, 5, 1, 12, tzinfo=UTC))
    never = train.campaign(cast.org, "Never launched")
    PhishingCampaign.objects.filter(pk=never.pk).update(launched_at=None)
    for n in range(4):
        train.phishing_result(later, f"p{n}@clinic.test", status=PhishingOutcome.CLICKED if n < 1 else "sent")
    train.phishing_result(earlier, "q@clinic.test", status=PhishingOutcome.SUBMITTED, reported=True)
    train.campaign(cast.other_org, "Elsewhere")

    points = metrics.campaign_trend(cast.org)
    recent = metrics.campaign_trend(cast.org, since=date(2026, 1, 1))

    assert [(p.name, p.sent, p.clicked, p.submitted, p.reported) for p in points] == [
        ("Earlier", 1, 1, 1, 1),
        ("Later", 4, 1, 0, 0),
    ]
    assert (points[1].click_rate, points[1].report_rate, points[1].launched_on) == (0.25, 0.0, date(2026, 5, 1))
    assert [p.name for p in recent] == ["Later"]


def test_the_trend_and_repeat_clickers_take_the_same_queries_for_3_or_30_campaigns(cast: Cast) -> None:
    counts = []
    for total in (3, 30):
        for n in range(total):
            campaign = train.campaign(cast.org, f"C{total}-{n}", launched_at=datetime(2026, 1, 1, tzinfo=UTC))
            clicked_in(campaign, f"r{n % 2}@clinic.test")
        with CaptureQueriesContext(connection) as captured:
            metrics.campaign_trend(cast.org)
            page = Paginator(queries.repeat_clicks(cast.org, None), 50).get_page(1)
            metrics.clicker_rows(page.object_list)
            metrics.campaign_rows(list(queries.campaigns(cast.org)))
        counts.append(len(captured.captured_queries))

    assert counts[0] == counts[1] == 5


def test_repeat_clickers_are_counted_and_paged_by_the_database_in_order(cast: Cast) -> None:
    first = train.campaign(cast.org, "First", launched_at=datetime(2026, 1, 10, tzinfo=UTC))
    second = train.campaign(cast.org, "Second", launched_at=datetime(2026, 2, 10, tzinfo=UTC))
    third = train.campaign(cast.org, "Third", launched_at=datetime(2026, 3, 10, tzinfo=UTC))
    people = [
        train.person(cast.org, f"P{n:02d}", name=f"Name {n:02d}", email=f"p{n:02d}@clinic.test") for n in range(7)
    ]
    for who in people:
        for campaign in (first, second):
            clicked_in(campaign, who.email, who)
    clicked_in(third, people[5].email, people[5])  # three campaigns: first of all
    for n in range(3):
        for campaign in (first, third):
            clicked_in(campaign, f"m{n}@elsewhere.test")

    with CaptureQueriesContext(connection) as captured:
        page = Paginator(queries.repeat_clicks(cast.org, None), 4).get_page(2)
        rows = metrics.clicker_rows(page.object_list)

    assert page.paginator.count == 10
    assert [(row.name or row.email, row.campaigns) for row in rows] == [
        ("Name 00", 2),
        ("Name 01", 2),
        ("Name 02", 2),
        ("Name 03", 2),
    ]
    sql = [query["sql"].upper() for query in captured.captured_queries]
    assert len(sql) == 2 and "COUNT(" in sql[0] and "LIMIT 4" in sql[1]
    first_page = metrics.clicker_rows(Paginator(queries.repeat_clicks(cast.org, None), 4).get_page(1).object_list)
    assert [(row.name or row.email, row.campaigns) for row in first_page] == [
        ("Name 05", 3),
        ("m0@elsewhere.test", 2),
        ("m1@elsewhere.test", 2),
        ("m2@elsewhere.test", 2),
    ]


# ---- the chart ------------------------------------------------------------------------------------------------------


def parse(svg: str) -> ElementTree.Element:
    return ElementTree.fromstring(svg)  # noqa: S314  (our own output)


def text_of(element: ElementTree.Element, tag: str) -> str:
    found = element.find(f"{SVG}{tag}")
    assert found is not None and found.text is not None, tag
    return found.text


def point(name: str, day: date, sent: int, clicked: int, reported: int) -> CampaignPoint:
    return CampaignPoint(
        public_id=f"id-{name}", name=name, launched_on=day, sent=sent, clicked=clicked, submitted=0, reported=reported
    )


def test_the_trend_chart_is_well_formed_svg_without_script_saying_what_it_shows() -> None:
    points = [
        point("Jan <script>alert(1)</script>", date(2026, 1, 10), 100, 30, 10),
        point("Apr", date(2026, 4, 10), 100, 12, 40),
        point("Nothing sent", date(2026, 5, 10), 0, 0, 0),
    ]

    svg = metrics.trend_svg(points)
    tree = parse(svg)

    assert tree.tag == f"{SVG}svg" and tree.get("role") == "img"
    assert not list(tree.iter(f"{SVG}script"))
    assert not [name for element in tree.iter() for name in element.attrib if name.lower().startswith("on")]
    assert text_of(tree, "title") == "Phishing click and report rates by campaign"
    assert text_of(tree, "desc") == (
        "2 campaigns from 2026-01-10 to 2026-04-10: the click rate went from 30.0% to 12.0% and the report rate "
        "from 10.0% to 40.0%. 1 campaign with no email delivered not drawn."
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert len(list(tree.iter(f"{SVG}polyline"))) == 2
    dots = tree.findall(f".//{SVG}g[@class='click-points']/{SVG}circle")
    tips = [text_of(dot, "title") for dot in dots]
    assert tips[1] == "Apr, launched 2026-04-10: click rate 12.0% (12 of 100)"


def test_an_empty_trend_still_draws_an_accessible_chart() -> None:
    tree = parse(metrics.trend_svg([]))

    assert text_of(tree, "desc") == "No campaign with delivered emails yet."
    assert not list(tree.iter(f"{SVG}polyline"))
