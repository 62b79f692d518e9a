"""The dashboard's leaver panel: median, worst, breaches and the 1-hour comparison over the last 90 days, in a
handful of queries, and nothing shown before anyone has left."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.tracker.widgets import widgets_for
from safeguard.workforce.services.tasks import task_complete
from safeguard.workforce.widgets import leaver_sla_widget
from tests import access_factories as factories
from tests.conftest import Cast, client_for
from tests.test_workflows_support import TaskKind, actor, leaver, task_of


def test_nothing_is_shown_before_anyone_left(cast: Cast) -> None:
    factories.person(cast.org, "E-1")

    assert leaver_sla_widget(cast.org, timezone.localdate()) is None
    assert all(w.template != "workforce/widget_leaver_sla.html" for w in widgets_for(cast.org, timezone.localdate()))


def test_the_panel_gives_the_figures_and_links_to_the_page(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    now = timezone.now()
    fast = leaver(cast, "E-1", now - timedelta(days=3), systems=[ehr], name="Ana Diaz")
    task_complete(
        organization=cast.org,
        actor=actor(cast.official),
        task=task_of(fast, TaskKind.DEPROVISION),
        effective_at=now - timedelta(days=3) + timedelta(minutes=30),
    )
    leaver(cast, "E-2", now - timedelta(hours=30), systems=[ehr], name="Sam Ortiz")

    widget = leaver_sla_widget(cast.org, timezone.localdate())

    assert widget is not None
    assert widget.link == reverse("workforce:leaver_sla", args=["clinic"])
    assert {
        key: widget.context[key] for key in ("leavers", "median", "breaches", "proposed_met", "proposed_judged")
    } == {
        "leavers": 2,
        "median": "30 min",
        "breaches": 1,
        "proposed_met": 1,
        "proposed_judged": 2,
    }
    assert (widget.context["worst"], widget.context["worst_person"]) == ("still enabled after 30 h", "Sam Ortiz")


def test_the_dashboard_shows_the_panel(cast: Cast) -> None:
    ehr = factories.system(cast.org, "EHR")
    leaver(cast, "E-1", timezone.now() - timedelta(hours=30), systems=[ehr])

    content = client_for(cast.owner).get(reverse("tracker:dashboard", args=["clinic"])).content.decode()

    assert "Leaver access removal, last 90 days" in content
    assert "Within 1 h" in content and "still enabled after 30 h" in content


@pytest.mark.parametrize("count", [1, 10])
def test_the_panel_takes_a_handful_of_queries(cast: Cast, count: int) -> None:
    ehr = factories.system(cast.org, "EHR")
    for number in range(count):
        leaver(cast, f"E-{number}", timezone.now() - timedelta(days=number + 1), systems=[ehr])

    with CaptureQueriesContext(connection) as queries:
        leaver_sla_widget(cast.org, timezone.localdate())

    assert len(queries) == 3
