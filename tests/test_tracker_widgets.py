"""Every dashboard panel a domain app registers answers within its query budget, with and without records."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.tracker import widgets
from tests.access_records import access_records
from tests.conftest import Cast


def test_each_registered_widget_stays_within_its_query_budget(cast: Cast) -> None:
    assert widgets.registered_count() >= 4  # leaver SLA, MFA coverage, review progress, open findings
    for state in ("empty", "with records"):
        if state == "with records":
            access_records(cast.org, cast.owner)
        for _, name, function in widgets._widgets:
            with CaptureQueriesContext(connection) as queries:
                function(cast.org, timezone.localdate())
            assert len(queries.captured_queries) <= widgets.QUERY_BUDGET, (name, state)
