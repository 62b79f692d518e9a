"""The dashboard's Training and Phishing panels: nothing shown before there is something to show, the figures, and
the query budget whatever the organization's size."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.tracker import widgets
from safeguard.tracker.widgets import widgets_for
from safeguard.training.models import PhishingOutcome
from safeguard.training.widgets import phishing_widget, training_widget
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_support import at

TODAY = timezone.localdate()


def people(organization: Organization, count: int, prefix: str = "E") -> None:
    course = make.course(organization, f"{prefix}-C{count}")
    for n in range(count):
        who = make.person(organization, f"{prefix}{count}-{n}")
        if n % 2:
            make.completion(who, course, at=at(TODAY - timedelta(days=3)))
        else:
            make.assignment(who, course, due_on=TODAY - timedelta(days=1))


def campaign(organization: Organization, name: str, days_ago: int, clicked: int, reported: int, sent: int = 10) -> None:
    target = make.campaign(organization, name, launched_at=at(TODAY - timedelta(days=days_ago)))
    for n in range(sent):
        status = PhishingOutcome.CLICKED if n < clicked else PhishingOutcome.SENT
        make.phishing_result(target, f"{name}-{n}@x.test", status=status, reported=n >= sent - reported)


def test_nothing_to_show_before_training_or_campaigns(cast: Cast) -> None:
    make.person(cast.org, "E-1")
    assert training_widget(cast.org, TODAY) is None
    assert phishing_widget(cast.org, TODAY) is None
    titles = [widget.title for widget in widgets_for(cast.org, TODAY)]
    assert "Training" not in titles and "Phishing" not in titles


def test_training_widget(cast: Cast) -> None:
    people(cast.org, 4)
    people(cast.other_org, 3, prefix="O")
    widget = training_widget(cast.org, TODAY)
    assert widget is not None
    assert (widget.title, widget.link) == ("Training", reverse("training:home", args=["clinic"]))
    context = widget.context
    assert (context["rate"], context["active"], context["on_time"], context["overdue"]) == (50, 4, 2, 2)
    assert (context["threshold"], context["meets"]) == (95, False)
    html = render_to_string(widget.template, {"widget": context})
    assert "<strong>50%</strong> of 4 active people trained on time" in html
    assert "(threshold 95%: not met)" in html
    assert "<strong>2</strong> assignments overdue" in html


def test_the_training_rate_rounds_down_like_the_check(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    for n in range(3):
        who = make.person(cast.org, f"E-{n}")
        if n:
            make.completion(who, course, at=at(TODAY - timedelta(days=3)))
        else:
            make.assignment(who, course, due_on=TODAY - timedelta(days=1))
    widget = training_widget(cast.org, TODAY)
    assert widget is not None
    assert widget.context["rate"] == 66  # 2 of 3: 66.7% rounded down, as the tracker judges it


def test_phishing_widget_compares_the_latest_campaign_with_the_one_before(cast: Cast) -> None:
    campaign(cast.org, "Spring", 90, clicked=4, reported=1)
    campaign(cast.org, "Summer", 5, clicked=1, reported=3)
    widget = phishing_widget(cast.org, TODAY)
    assert widget is not None
    assert widget.link == reverse("training:phishing_campaign_list", args=["clinic"])
    assert [(row["name"], row["click_rate"], row["report_rate"]) for row in widget.context["rows"]] == [
        ("Summer", 10.0, 30.0),
        ("Spring", 40.0, 10.0),
    ]
    assert (widget.context["click_change"], widget.context["report_change"]) == (-30.0, 20.0)
    html = render_to_string(widget.template, {"widget": widget.context})
    assert "Clicks down 30.0 points, reports up 20.0 points since the campaign before." in html


def test_a_single_campaign_has_nothing_to_compare(cast: Cast) -> None:
    campaign(cast.org, "Spring", 10, clicked=2, reported=2)
    widget = phishing_widget(cast.org, TODAY)
    assert widget is not None
    assert widget.context["click_change"] is None
    assert "since the campaign before" not in render_to_string(widget.template, {"widget": widget.context})


@pytest.mark.parametrize("function", [training_widget, phishing_widget])
def test_within_the_query_budget_whatever_the_size(cast: Cast, function: widgets.WidgetFunction) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            function(cast.org, TODAY)
        return len(queries)

    empty = count()
    people(cast.org, 3)
    campaign(cast.org, "Spring", 40, clicked=1, reported=1, sent=3)
    few = count()
    people(cast.org, 30, prefix="F")
    campaign(cast.org, "Summer", 4, clicked=5, reported=10, sent=30)
    assert count() == few
    assert max(empty, few) <= widgets.QUERY_BUDGET
