"""The asset page's Recovery panel: tier and objectives, the latest good restore point against the RPO, the last
restore test and the next due date, links to the contingency pages; without a recovery profile a line saying
so (with a link to add one for program managers). Only program viewers see the page; the panel's queries do not
grow with the asset's backups and tests or with the organization's other assets."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.dates import add_months
from safeguard.core.models import AuditEvent, Membership
from safeguard.risk.asset_panels import panels_for
from safeguard.risk.models import Asset
from tests.conftest import client_for
from tests.contingency_backup_factories import policy, run
from tests.contingency_restore_factories import asset_with_objectives, stored_test
from tests.risk_factories import asset as plain_asset

pytestmark = pytest.mark.django_db


def page_of(asset: Asset, org: str = "clinic") -> str:
    return f"/o/{org}/risk/assets/{asset.public_id}/"


def _recovery(page: str) -> str:
    start = page.index('<section id="recovery"')
    return page[start : page.index("</section>", start)]


def test_the_panel_shows_objectives_backups_and_the_restore_schedule(cast):
    ehr = asset_with_objectives(cast.org, "EHR", tier=1, rto=240, rpo=60)
    now = timezone.now()
    run(policy(ehr), now - timedelta(minutes=30))
    tested = stored_test(ehr, cast.official, on=timezone.localdate() - timedelta(days=10))
    panel = _recovery(client_for(cast.auditor).get(page_of(ehr)).content.decode())
    assert "Tier 1: patient safety" in panel
    assert "RTO 4 h · RPO 1 h · MTD 1 d" in panel
    assert "within the RPO" in panel and "no active backup policy" not in panel
    assert tested.get_outcome_display() in panel
    assert f"/contingency/restore-tests/{tested.public_id}/" in panel
    next_due = add_months(timezone.localdate(tested.started_at), 3)  # tier 1 is tested quarterly
    assert f"<dd>{next_due:%Y-%m-%d}</dd>" in panel and "overdue" not in panel
    profile = ehr.recovery_profile
    assert f"/contingency/criticality/profiles/{profile.public_id}/" in panel
    assert f"/contingency/backups/assets/{ehr.public_id}/" in panel
    assert f"/contingency/restore-tests/?asset={ehr.public_id}" in panel
    assert "Record a restore test" not in panel  # the auditor reads only


def test_a_stale_point_and_a_never_tested_asset_are_called_out(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rpo=60)
    run(policy(ehr), timezone.now() - timedelta(hours=3))
    panel = _recovery(client_for(cast.official).get(page_of(ehr)).content.decode())
    assert "<strong>stale</strong>" in panel
    assert "never tested" in panel and "due now" in panel
    assert "Record a restore test" in panel


def test_no_backups_at_all_says_so(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    panel = _recovery(client_for(cast.official).get(page_of(ehr)).content.decode())
    assert "<strong>none</strong>" in panel and "no active backup policy" in panel


def test_without_a_profile_a_manager_is_offered_to_add_one_and_an_auditor_is_not(cast):
    fax = plain_asset(cast.org, "Fax", since=timezone.localdate() - timedelta(days=400))
    create = f"/contingency/criticality/assets/{fax.public_id}/profile/new/"
    managed = _recovery(client_for(cast.official).get(page_of(fax)).content.decode())
    assert "has no recovery profile" in managed and create in managed
    read = _recovery(client_for(cast.auditor).get(page_of(fax)).content.decode())
    assert "has no recovery profile" in read and create not in read


def test_a_retired_asset_is_not_scheduled(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    Asset.objects.filter(pk=ehr.pk).update(status=Asset.Status.RETIRED)
    panel = _recovery(client_for(cast.official).get(page_of(ehr)).content.decode())
    assert "not in service" in panel and "Next restore test due" not in panel


def test_workforce_does_not_see_the_page_and_nothing_is_written(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    before = AuditEvent.objects.count()
    assert client_for(cast.workforce).get(page_of(ehr)).status_code == 403
    assert AuditEvent.objects.count() == before


def test_the_panel_answers_none_to_a_member_without_program_access(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    nurse = Membership.objects.get(user=cast.workforce)
    official = Membership.objects.get(user=cast.official, organization=cast.org)
    # The same call shows the panel to a program member, so the absence below is the permission's doing.
    assert any("recovery" in panel.template for panel in panels_for(official, ehr))
    assert all("recovery" not in panel.template for panel in panels_for(nurse, ehr))


def test_another_organizations_asset_is_not_found(cast):
    theirs = asset_with_objectives(cast.other_org, "Their EHR")
    assert client_for(cast.owner).get(page_of(theirs)).status_code == 404
    ours = asset_with_objectives(cast.org, "EHR")
    run(policy(theirs), timezone.now() - timedelta(minutes=5))
    panel = _recovery(client_for(cast.owner).get(page_of(ours)).content.decode())
    assert "<strong>none</strong>" in panel  # their fresh backup is not ours


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def test_the_panel_adds_a_constant_number_of_queries(cast, django_assert_num_queries):
    ehr = asset_with_objectives(cast.org, "EHR")
    fax = plain_asset(cast.org, "Fax", since=timezone.localdate() - timedelta(days=400))
    client = client_for(cast.official)
    client.get(page_of(ehr))  # the session and settings rows are made on the first visit
    without_profile = _queries(client, page_of(fax))
    nightly = policy(ehr)
    run(nightly, timezone.now() - timedelta(hours=2))
    stored_test(ehr, cast.official, on=timezone.localdate() - timedelta(days=20))
    few = _queries(client, page_of(ehr))
    # The profile is read either way; then the backup status (4) and the restore test status (3) of this asset.
    assert few - without_profile <= 7
    for number in range(2, 12):
        run(nightly, timezone.now() - timedelta(hours=2 + 24 * number))
        stored_test(ehr, cast.official, on=timezone.localdate() - timedelta(days=20 + number))
    weekly = policy(ehr, "weekly")
    run(weekly, timezone.now() - timedelta(days=3))
    for number in range(8):
        other = asset_with_objectives(cast.org, f"System {number}")
        run(policy(other), timezone.now() - timedelta(hours=1))
        stored_test(other, cast.official, on=timezone.localdate() - timedelta(days=5))
    with django_assert_num_queries(few):
        client.get(page_of(ehr))
