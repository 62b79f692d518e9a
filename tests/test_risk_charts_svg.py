"""The risk charts: heat map counts and SVG, the open-high-risks series and its burndown SVG."""

from __future__ import annotations

import copy
import re
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.risk.charts import (
    burndown_svg,
    heat_counts,
    heat_counts_on_scale,
    heat_map_svg,
    high_levels,
    high_rank,
    level_colours,
    open_high_risks_series,
    other_scale_analyses,
    same_scale,
)
from safeguard.risk.methods import PROFILE_3X3, PROFILE_5X5
from safeguard.risk.models import Risk, RiskAnalysis, RiskMethod
from safeguard.risk.services.method import method_as_dict, method_for
from tests.conftest import Cast
from tests.test_risk_register_support import make_risk

TODAY = date(2026, 3, 31)


def cells(svg: str) -> list[str]:
    """Each cell's tooltip, top row first."""
    return re.findall(r'<g class="cell"><rect [^>]*><title>([^<]*)</title>', svg)


def numbers(svg: str) -> list[str]:
    return re.findall(r'font-size="17" font-weight="700">(\d+)</text>', svg)


# ---- heat map --------------------------------------------------------------------------------------------------


def test_heat_map_draws_likelihood_rows_high_first_and_impact_columns() -> None:
    svg = heat_map_svg({(5, 5): 2, (1, 1): 1, (3, 2): 4}, PROFILE_5X5, title="Inherent risk")

    tips = cells(svg)
    assert len(tips) == 25
    assert tips[0] == "Likelihood Almost certain × impact Negligible: Medium (score 5), 0 risks"
    assert tips[4] == "Likelihood Almost certain × impact Severe: Critical (score 25), 2 risks"
    assert tips[-5] == "Likelihood Rare × impact Negligible: Low (score 1), 1 risk"
    assert tips[2 * 5 + 1] == "Likelihood Possible × impact Minor: Medium (score 6), 4 risks"
    assert numbers(svg) == ["2", "4", "1"]  # empty cells show no number


def test_heat_map_colours_cells_by_level_and_has_a_legend() -> None:
    svg = heat_map_svg({}, PROFILE_5X5, title="Residual risk")
    colours = level_colours(PROFILE_5X5)

    assert colours == {
        "low": ("#cdeed6", "#1b2430"),
        "medium": ("#fbe38e", "#1b2430"),
        "high": ("#f7a35c", "#1b2430"),
        "critical": ("#b42318", "#ffffff"),
    }
    critical_cell = re.search(r'<rect x="486" y="12" width="84" height="48" fill="([^"]+)"', svg)
    assert critical_cell is not None and critical_cell.group(1) == "#b42318"
    legend = re.findall(r"<text x=\"\d+\" y=\"\d+\" fill=\"#1b2430\">([^<]+)</text>", svg.split('class="legend"')[1])
    assert legend == ["Critical (from 17)", "High (from 10)", "Medium (from 5)", "Low (from 1)"]


def test_a_three_level_method_spreads_from_green_to_red() -> None:
    assert [fill for fill, _ink in level_colours(PROFILE_3X3).values()] == ["#cdeed6", "#f7a35c", "#b42318"]


def test_heat_map_is_accessible_and_scriptless() -> None:
    svg = heat_map_svg({(2, 3): 1}, PROFILE_3X3, title="Inherent risk")

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"')
    chart_id = re.search(r'aria-labelledby="(heat-[0-9a-f]{8})-title heat-[0-9a-f]{8}-desc"', svg)
    assert chart_id is not None
    assert f'<title id="{chart_id.group(1)}-title">Inherent risk</title>' in svg
    assert "1 risk on the grid (likelihood Medium × impact High: 1)." in svg
    assert ">Likelihood</text>" in svg and ">Impact</text>" in svg
    assert "<script" not in svg and "onload" not in svg


def test_heat_map_ids_differ_between_titles() -> None:
    first, second = heat_map_svg({}, PROFILE_5X5, title="Inherent"), heat_map_svg({}, PROFILE_5X5, title="Residual")
    assert re.search(r'id="([^"]+)-title"', first) != re.search(r'id="([^"]+)-title"', second)


def test_heat_map_escapes_every_label() -> None:
    method = copy.deepcopy(PROFILE_3X3)
    method["likelihood_levels"][0]["label"] = "<script>x</script>"
    method["impact_levels"][2]["label"] = 'A "big" & bad'
    method["thresholds"][2]["label"] = "<b>High</b>"

    svg = heat_map_svg({(1, 3): 1}, method, title="Mine & yours <i>")

    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;" in svg
    assert "A &quot;big&quot; &amp; bad" in svg
    assert "&lt;b&gt;High&lt;/b&gt; (from 6)" in svg
    assert "Mine &amp; yours &lt;i&gt;</title>" in svg


def test_heat_map_says_when_nothing_is_rated_and_counts_off_scale_ratings() -> None:
    assert "<desc id=" in heat_map_svg({}, PROFILE_5X5, title="Empty")
    assert ">No rated risks.</desc>" in heat_map_svg({}, PROFILE_5X5, title="Empty")
    svg = heat_map_svg({(5, 5): 2, (1, 1): 1}, PROFILE_3X3, title="Mixed")
    assert "1 risk on the grid (likelihood Low × impact Low: 1). 2 risks rated on another scale not shown." in svg


def test_long_labels_are_shortened_on_the_axis_but_whole_in_the_tooltip() -> None:
    method = copy.deepcopy(PROFILE_3X3)
    method["impact_levels"][0]["label"] = "Catastrophically expensive"

    svg = heat_map_svg({}, method, title="T")

    assert "<title>Catastrophically expensive</title>Catastrophic…</text>" in svg


def test_heat_counts_groups_by_rating_in_one_query(cast: Cast) -> None:
    make_risk(cast.org, 1, inherent=(5, 5), residual=(2, 3))
    make_risk(cast.org, 2, inherent=(5, 5), residual=(2, 3))
    make_risk(cast.org, 3, inherent=(1, 2))
    make_risk(cast.org, 4)
    make_risk(cast.other_org, 1, inherent=(5, 5))
    risks = Risk.objects.filter(organization=cast.org).order_by("-number")

    with CaptureQueriesContext(connection) as queries:
        inherent = heat_counts(risks, residual=False)
    residual = heat_counts(risks, residual=True)

    assert len(queries) == 1
    assert inherent == {(5, 5): 2, (1, 2): 1}
    assert residual == {(2, 3): 2}


def test_heat_map_counts_risks_on_another_scale_in_its_description() -> None:
    svg = heat_map_svg({(2, 2): 1}, PROFILE_5X5, title="Inherent", other_scale=2)

    assert (
        "1 risk on the grid (likelihood Unlikely × impact Minor: 1). 2 risks rated on another scale not shown." in svg
    )
    assert numbers(svg) == ["1"]


def test_risks_of_an_analysis_on_another_scale_are_set_apart(cast: Cast) -> None:
    three = RiskAnalysis.objects.create(
        organization=cast.org, title="3×3", method=PROFILE_3X3, methodology="m", started_by=cast.owner
    )
    five = RiskAnalysis.objects.create(
        organization=cast.org, title="5×5", method=PROFILE_5X5, methodology="m", started_by=cast.owner
    )
    make_risk(cast.org, 1, likelihood=3, impact=3, analysis=three)
    make_risk(cast.org, 2, likelihood=3, impact=3, residual_likelihood=1, residual_impact=2, analysis=three)
    make_risk(cast.org, 3, inherent=(5, 5), analysis=five)
    make_risk(cast.org, 4, inherent=(3, 3))
    risks = Risk.objects.filter(organization=cast.org)

    with CaptureQueriesContext(connection) as queries:
        elsewhere = other_scale_analyses(risks, PROFILE_5X5)
        inherent = heat_counts_on_scale(risks, residual=False, other_scale=elsewhere)
    residual = heat_counts_on_scale(risks, residual=True, other_scale=elsewhere)

    assert len(queries) == 2
    assert elsewhere == {three.pk}
    assert inherent == ({(5, 5): 1, (3, 3): 1}, 2)
    assert residual == ({}, 1)
    assert other_scale_analyses(risks, PROFILE_3X3) == {five.pk}


def test_same_scale_compares_the_number_of_levels() -> None:
    assert same_scale(PROFILE_5X5, copy.deepcopy(PROFILE_5X5))
    assert not same_scale(PROFILE_5X5, PROFILE_3X3)
    wide = copy.deepcopy(PROFILE_3X3)
    wide["impact_levels"].append({"value": 4, "label": "Severe"})
    assert not same_scale(PROFILE_3X3, wide)


# ---- burndown --------------------------------------------------------------------------------------------------


def at(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def test_high_means_the_high_level_or_else_the_top_two() -> None:
    assert high_rank(PROFILE_5X5) == 2
    assert high_rank(PROFILE_3X3) == 2
    method = copy.deepcopy(PROFILE_5X5)
    method["thresholds"][2]["level"] = "serious"
    assert high_rank(method) == 2
    method["thresholds"] = method["thresholds"][:3]  # low, medium, serious
    assert high_rank(method) == 1


def test_series_counts_open_high_risks_from_created_and_closed_dates(cast: Cast) -> None:
    start = TODAY - timedelta(days=28)
    make_risk(cast.org, 1, inherent=(5, 5), created_at=at(start - timedelta(days=30)))  # open all along
    make_risk(
        cast.org, 2, inherent=(4, 4), created_at=at(start + timedelta(days=3)), closed_at=at(start + timedelta(days=15))
    )
    make_risk(cast.org, 3, inherent=(5, 5), residual=(1, 2), created_at=at(start - timedelta(days=1)))  # now low
    make_risk(cast.org, 4, inherent=(1, 1), created_at=at(start))  # low
    make_risk(
        cast.org,
        5,
        inherent=(3, 4),
        created_at=at(start - timedelta(days=90)),
        closed_at=at(start - timedelta(days=60)),
    )
    make_risk(cast.other_org, 1, inherent=(5, 5), created_at=at(start))

    with CaptureQueriesContext(connection) as queries:
        series = open_high_risks_series(cast.org, TODAY, days=28, step=7)

    assert len(queries) <= 2
    assert series == [
        (start, 1),
        (start + timedelta(days=7), 2),
        (start + timedelta(days=14), 2),
        (start + timedelta(days=21), 1),
        (TODAY, 1),
    ]


def test_series_always_ends_today(cast: Cast) -> None:
    series = open_high_risks_series(cast.org, TODAY, days=10, step=7)
    assert [day for day, _count in series] == [TODAY - timedelta(days=10), TODAY - timedelta(days=3), TODAY]


def test_series_follows_the_organizations_method(cast: Cast) -> None:
    RiskMethod.objects.create(organization=cast.org, **{**method_as_dict(method_for(cast.org)), **PROFILE_3X3})
    make_risk(cast.org, 1, inherent_level="medium", inherent_rank=1, created_at=at(TODAY - timedelta(days=3)))
    make_risk(cast.org, 2, inherent_level="high", inherent_rank=2, created_at=at(TODAY - timedelta(days=3)))

    assert open_high_risks_series(cast.org, TODAY, days=7, step=7)[-1] == (TODAY, 1)


def test_series_counts_high_by_level_name_whatever_the_rank_in_another_method(cast: Cast) -> None:
    """The current 5×5 method counts "high" and "critical"; an analysis with four other levels ranks "elevated"
    where 5×5 has "high", and it must not count."""
    other = copy.deepcopy(PROFILE_5X5)
    other["thresholds"] = [
        {"level": "low", "label": "Low", "min_score": 1},
        {"level": "medium", "label": "Medium", "min_score": 5},
        {"level": "elevated", "label": "Elevated", "min_score": 10},
        {"level": "high", "label": "High", "min_score": 17},
    ]
    analysis = RiskAnalysis.objects.create(
        organization=cast.org, title="Other", method=other, methodology="m", started_by=cast.owner
    )
    created = at(TODAY - timedelta(days=3))
    make_risk(cast.org, 1, inherent_level="elevated", inherent_rank=2, analysis=analysis, created_at=created)
    make_risk(cast.org, 2, inherent_level="high", inherent_rank=3, analysis=analysis, created_at=created)
    make_risk(cast.org, 3, inherent=(5, 5), residual=(1, 2), created_at=created)  # critical, now low
    make_risk(cast.org, 4, inherent=(5, 5), created_at=created)  # critical, residual not assessed

    assert open_high_risks_series(cast.org, TODAY, days=7, step=7)[-1] == (TODAY, 2)


def test_high_levels_are_the_names_from_high_up() -> None:
    assert high_levels(PROFILE_5X5) == ["high", "critical"]
    assert high_levels(PROFILE_3X3) == ["high"]


def test_burndown_is_a_step_chart_with_accessible_text() -> None:
    points = [(TODAY - timedelta(days=14), 4), (TODAY - timedelta(days=7), 2), (TODAY, 3)]

    svg = burndown_svg(points, title="Open high risks & more")

    polyline = re.search(r'<polyline points="([^"]+)"', svg)
    assert polyline is not None
    assert polyline.group(1) == "56.0,16.0 340.0,16.0 340.0,102.0 624.0,102.0 624.0,59.0"
    assert "Open high risks &amp; more</title>" in svg
    assert "Open high risks from 2026-03-17 to 2026-03-31: went from 4 to 3 (highest 4).</desc>" in svg
    assert svg.count("<circle") == 3 and "<title>2026-03-24: 2 open</title>" in svg
    assert ">Open high risks</text>" in svg
    assert re.findall(r'text-anchor="end" fill="#1b2430">(\d+)</text>', svg) == ["0", "1", "2", "3", "4"]
    assert "<script" not in svg


def test_burndown_of_zeros_and_of_nothing() -> None:
    flat = burndown_svg([(TODAY - timedelta(days=7), 0), (TODAY, 0)], title="None open")
    assert "went from 0 to 0 (highest 0)" in flat
    empty = burndown_svg([], title="Nothing")
    assert "No data points." in empty and "<polyline" not in empty
