"""The dashboard's contingency panels: recovery readiness of the tier 1–2 assets (the same figures as the
readiness dashboard) and the open and overdue corrective actions; nothing shown before there is something to show,
each organization sees its own, and the query count stays flat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction
from safeguard.contingency.queries_overview import readiness
from safeguard.contingency.widgets import corrective_actions_widget, recovery_readiness_widget, tier_readiness
from safeguard.core.models import Organization, User
from safeguard.risk.models import Asset
from safeguard.tracker import widgets
from tests import contingency_exercise_factories as make
from tests.conftest import Cast, client_for

TODAY = timezone.localdate()
NOW = timezone.now()


def ready_asset(organization: Organization, user: User, name: str, *, tier: int = 1) -> Asset:
    """Fresh backup (2 h old, RPO 1 d), a test that met the objectives 10 days ago, no business associate."""
    target = make.asset(organization, name)
    make.profile(target, tier=tier)
    make.backup(target, finished=NOW - timedelta(hours=2))
    make.restore_test(target, user, day=TODAY - timedelta(days=10), minutes=60)
    return target


def action(organization: Organization, owner: User, title: str, *, due_days: int, status: str = "open") -> None:
    CorrectiveAction.objects.create(
        organization=organization,
        origin=CorrectiveAction.Origin.OTHER,
        title=title,
        owner=owner,
        due_on=TODAY + timedelta(days=due_days),
        status=status,
        completed_on=TODAY if status == "done" else None,
    )


def test_nothing_to_show_before_a_tier_1_or_2_asset_or_an_action(cast: Cast) -> None:
    make.profile(make.asset(cast.org, "Fax server"), tier=3)
    assert recovery_readiness_widget(cast.org, TODAY) is None
    assert corrective_actions_widget(cast.org, TODAY) is None


def test_readiness_counts_ready_assets_per_tier(cast: Cast) -> None:
    ready_asset(cast.org, cast.official, "EHR")
    stale = ready_asset(cast.org, cast.official, "Lab system")
    stale.backup_policies.get().results.update(
        restore_point_at=NOW - timedelta(days=2),
        started_at=NOW - timedelta(days=2),
        finished_at=NOW - timedelta(days=2),
    )
    ready_asset(cast.org, cast.official, "Practice management", tier=2)
    ready_asset(cast.org, cast.official, "Fax server", tier=3)  # not on the widget
    ready_asset(cast.other_org, cast.official, "Their EHR")  # another organization's
    widget = recovery_readiness_widget(cast.org, TODAY)
    assert widget is not None
    assert widget.link == reverse("contingency:home", args=["clinic"])
    assert [(t.tier, t.assets, t.ready) for t in widget.context["tiers"]] == [(1, 2, 1), (2, 1, 1)]
    assert (widget.context["ready"], widget.context["assets"]) == (2, 3)
    html = render_to_string(widget.template, {"widget": widget.context})
    assert "<strong>2</strong> of 3 tier 1–2 assets ready to recover." in html
    assert 'status-not_met">1 of 2 ready' in html  # tier 1 is red: the lab system is stale
    assert 'status-met">1 of 1 ready' in html
    assert f"{reverse('contingency:home', args=['clinic'])}?tier=1" in html


def test_readiness_agrees_with_the_readiness_dashboard(cast: Cast) -> None:
    ready_asset(cast.org, cast.official, "EHR")
    missed = ready_asset(cast.org, cast.official, "Server", tier=2)
    make.restore_test(missed, cast.official, day=TODAY - timedelta(days=2), minutes=600, outcome="missed")
    vendor_run = ready_asset(cast.org, cast.official, "Cloud billing", tier=2)
    Asset.objects.filter(pk=vendor_run.pk).update(business_associate="Billing Co")
    make.vendor(vendor_run, rto_minutes=48 * 60, rpo_minutes=60, verified_on=TODAY, business_associate="Billing Co")
    never_tested = make.asset(cast.org, "Network")
    make.profile(never_tested, tier=2)
    make.backup(never_tested, finished=NOW - timedelta(hours=1))
    old_pass = make.asset(cast.org, "Phones")  # passed, but longer ago than the quarterly cadence allows
    make.profile(old_pass, tier=2)
    make.backup(old_pass, finished=NOW - timedelta(hours=1))
    make.restore_test(old_pass, cast.official, day=TODAY - timedelta(days=120), minutes=60)

    full = readiness(cast.org, today=TODAY, now=NOW)
    expected = [(c.tier, c.assets, c.ready) for c in full.tiers if c.tier in (1, 2)]
    assert [(t.tier, t.assets, t.ready) for t in tier_readiness(cast.org, TODAY)] == expected == [(1, 1, 1), (2, 4, 0)]


def test_actions_widget_counts_open_and_overdue(cast: Cast) -> None:
    action(cast.org, cast.official, "Fix the NAS", due_days=-3)
    action(cast.org, cast.official, "Print the call tree", due_days=10)
    action(cast.org, cast.official, "Done already", due_days=-30, status="done")
    action(cast.other_org, cast.official, "Theirs", due_days=-3)
    widget = corrective_actions_widget(cast.org, TODAY)
    assert widget is not None
    assert widget.link == reverse("contingency:action_list", args=["clinic"])
    assert (widget.context["open"], widget.context["overdue"]) == (2, 1)
    html = render_to_string(widget.template, {"widget": widget.context})
    assert "<strong>2</strong> open corrective actions</a>" in html
    assert "<strong>1</strong> overdue</a>" in html
    assert "?state=overdue" in html


def test_the_dashboard_shows_the_panels_to_program_viewers(cast: Cast) -> None:
    ready_asset(cast.org, cast.official, "EHR")
    action(cast.org, cast.official, "Fix the NAS", due_days=-3)
    page = client_for(cast.auditor).get(reverse("tracker:dashboard", args=["clinic"]))
    assert page.status_code == 200
    assert b"Recovery readiness" in page.content
    assert b"Contingency corrective actions" in page.content
    other = client_for(cast.outsider).get(reverse("tracker:dashboard", args=["clinic"]))
    assert other.status_code == 404


@pytest.mark.parametrize("function", [recovery_readiness_widget, corrective_actions_widget])
def test_query_count_is_flat_and_within_the_budget(cast: Cast, function: widgets.WidgetFunction) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            function(cast.org, TODAY)
        return len(queries)

    empty = count()
    ready_asset(cast.org, cast.official, "EHR")
    action(cast.org, cast.official, "One", due_days=-1)
    few = count()
    for n in range(8):
        ready_asset(cast.org, cast.official, f"System {n}", tier=1 + n % 2)
        action(cast.org, cast.official, f"Action {n}", due_days=n - 4)
    assert count() == few
    assert max(empty, few) <= 2 <= widgets.QUERY_BUDGET
