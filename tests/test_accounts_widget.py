"""The dashboard's MFA coverage panel: per system, enabled accounts with MFA and privileged accounts without it,
from each system's latest list, in the same few queries however many systems there are."""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.access.widgets_accounts import mfa_coverage
from tests import access_factories as make
from tests.conftest import Cast, client_for

TODAY = date(2026, 12, 1)


def test_nothing_shows_before_any_list_is_imported(cast: Cast) -> None:
    make.system(cast.org, "EHR")

    assert mfa_coverage(cast.org, TODAY) is None


def test_coverage_counts_enabled_accounts_of_the_latest_list(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    make.snapshot(ehr, [{"username": "old", "mfa_enabled": False}])
    make.snapshot(
        ehr,
        [
            {"username": "a", "mfa_enabled": True},
            {"username": "b", "mfa_enabled": True},
            {"username": "c", "mfa_enabled": None, "privileged": True},
            {"username": "d", "mfa_enabled": False, "privileged": True, "status": "disabled"},
        ],
    )
    make.system(cast.org, "Billing")

    widget = mfa_coverage(cast.org, TODAY)

    assert widget is not None
    assert widget.context == {
        "rows": [{"name": "EHR", "percent": 67, "with_mfa": 2, "enabled": 3, "privileged_no_mfa": 1}],
        "without_list": 1,
    }
    assert widget.link == reverse("access:system_list", args=["clinic"])


def test_the_panel_is_on_the_dashboard(cast: Cast) -> None:
    make.snapshot(make.system(cast.org, "EHR"), [{"username": "a", "mfa_enabled": False, "privileged": True}])

    page = client_for(cast.owner).get(reverse("tracker:dashboard", args=["clinic"])).content.decode()

    assert "MFA coverage per system" in page
    assert '0% <span class="muted">(0 of 1 enabled)</span>' in page


def test_the_panel_takes_the_same_queries_for_3_or_30_systems(cast: Cast) -> None:
    counts = []
    for count, start in ((3, 0), (27, 3)):
        for n in range(start, start + count):
            make.snapshot(make.system(cast.org, f"System {n}"), [{"username": "a"}, {"username": "b"}])
        with CaptureQueriesContext(connection) as queries:
            widget = mfa_coverage(cast.org, TODAY)
        assert widget is not None and len(widget.context["rows"]) == start + count
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1] <= 4
