"""When each asset's next restore test is due, and that the status is read in a constant number of queries."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.contingency.queries_restore_tests import restore_status
from safeguard.contingency.services.settings import contingency_settings
from tests.contingency_restore_factories import asset_with_objectives, stored_test

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 15)


def test_never_tested_is_due_now_and_overdue(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    status = restore_status(cast.org, today=TODAY)[ehr.pk]
    assert (status.last_test, status.next_due, status.overdue) == (None, TODAY, True)


def test_next_due_is_the_last_test_plus_the_tier_cadence(cast):
    ehr = asset_with_objectives(cast.org, "EHR", tier=1)  # quarterly by default
    billing = asset_with_objectives(cast.org, "Billing", tier=4)  # annual by default
    stored_test(ehr, cast.official, on=date(2026, 4, 1))
    stored_test(billing, cast.official, on=date(2025, 6, 16))
    statuses = restore_status(cast.org, today=TODAY)
    assert (statuses[ehr.pk].next_due, statuses[ehr.pk].overdue) == (date(2026, 7, 1), False)
    assert (statuses[billing.pk].next_due, statuses[billing.pk].overdue) == (date(2026, 6, 16), False)


def test_the_organizations_setting_and_the_profiles_own_cadence_count(cast):
    settings = contingency_settings(cast.org)
    settings.restore_cadence_tier1 = "monthly"
    settings.save()
    ehr = asset_with_objectives(cast.org, "EHR", tier=1)
    pacs = asset_with_objectives(cast.org, "PACS", tier=1, cadence="annual")
    stored_test(ehr, cast.official, on=date(2026, 5, 1))
    stored_test(pacs, cast.official, on=date(2026, 5, 1))
    statuses = restore_status(cast.org, today=TODAY)
    assert (statuses[ehr.pk].next_due, statuses[ehr.pk].overdue) == (date(2026, 6, 1), True)
    assert statuses[pacs.pk].next_due == date(2027, 5, 1)


def test_the_last_passed_test_is_kept_apart_from_the_last_test(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=60)
    stored_test(ehr, cast.official, on=date(2026, 3, 1), minutes=30)
    latest = stored_test(ehr, cast.official, on=date(2026, 5, 1), minutes=90)
    status = restore_status(cast.org, today=TODAY)[ehr.pk]
    assert (status.last_test, status.outcome) == (latest, "missed")
    assert status.last_passed_on == date(2026, 3, 1)
    assert status.pass_lapses_on == date(2026, 6, 2)
    assert status.passed_within_period(TODAY) is False


def test_other_organizations_assets_are_not_included(cast):
    asset_with_objectives(cast.other_org, "EHR")
    assert restore_status(cast.org, today=TODAY) == {}


def _queries(cast) -> int:
    with CaptureQueriesContext(connection) as captured:
        restore_status(cast.org, today=TODAY)
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_with_assets_and_tests(cast):
    contingency_settings(cast.org)
    first = asset_with_objectives(cast.org, "EHR")
    stored_test(first, cast.official, on=date(2026, 5, 1))
    few = _queries(cast)
    for number in range(8):
        more = asset_with_objectives(cast.org, f"System {number}", tier=number % 4 + 1)
        stored_test(more, cast.official, on=date(2026, 4, 1))
        stored_test(more, cast.official, on=date(2026, 5, 1), succeeded=False)
    assert _queries(cast) == few <= 3
