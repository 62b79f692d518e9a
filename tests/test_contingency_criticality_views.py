"""Criticality pages: the list, a profile's page, creating and editing with number + unit, dependencies, the
recovery order, the graph, the approval and the settings; roles, isolation and query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.contingency.models import AssetDependency, ContingencySettings, CriticalityApproval, RecoveryProfile
from safeguard.core.models import AuditEvent
from tests.conftest import client_for
from tests.contingency_criticality_factories import needs, plain_asset, profile, profiled

pytestmark = pytest.mark.django_db

BASE = "/o/clinic/contingency/criticality/"


def form(**overrides: str) -> dict[str, str]:
    return {
        "tier": "1",
        "in_scope": "yes",
        "business_functions": "Charting",
        "mtd_amount": "1",
        "mtd_unit": "days",
        "rto_amount": "4",
        "rto_unit": "hours",
        "rpo_amount": "15",
        "rpo_unit": "minutes",
        "manual_workarounds": "",
        "restore_test_cadence": "",
        "notes": "",
        **overrides,
    }


def test_list_shows_profiles_in_readable_units_and_assets_without_one(cast):
    ehr = plain_asset(cast.org, "EHR")
    profile(ehr, tier=1, mtd=1440, rto=90, rpo=15)
    plain_asset(cast.org, "Scanner")
    plain_asset(cast.org, "Old", status="retired")
    plain_asset(cast.other_org, "Theirs")
    response = client_for(cast.auditor).get(BASE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 d" in page and "1 h 30 min" in page and "15 min" in page
    assert "Scanner" in page and "No recovery profile" in page
    assert "Old" not in page and "Theirs" not in page
    assert "1 asset in service has no recovery profile" in page
    assert "Add one" not in page  # the auditor cannot write


def test_list_filters_missing_profiles(cast):
    profiled(cast.org, "EHR")
    plain_asset(cast.org, "Scanner")
    page = client_for(cast.owner).get(BASE, {"missing": "on"}).content.decode()
    assert "Scanner" in page and ">EHR<" not in page


def test_list_query_count_is_flat(cast):
    profiled(cast.org, "A0")
    client = client_for(cast.owner)
    with CaptureQueriesContext(connection) as few:
        assert client.get(BASE).status_code == 200
    for index in range(1, 30):
        made = profiled(cast.org, f"A{index}")
        needs(made, plain_asset(cast.org, f"B{index}"))
    with CaptureQueriesContext(connection) as many:
        client.get(BASE)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(("who", "expected"), [("workforce", 403), ("outsider", 404)])
def test_readers_only(cast, who, expected):
    made = profile(plain_asset(cast.org, "EHR"))
    for url in (
        BASE,
        f"{BASE}profiles/{made.public_id}/",
        f"{BASE}order/",
        f"{BASE}graph/",
        f"{BASE}graph.svg",
        f"{BASE}approval/",
        f"{BASE}settings/",
    ):
        assert client_for(getattr(cast, who)).get(url).status_code == expected, url


def test_create_profile_converts_units_to_minutes(cast):
    ehr = plain_asset(cast.org, "EHR")
    response = client_for(cast.owner).post(f"{BASE}assets/{ehr.public_id}/profile/new/", form())
    made = RecoveryProfile.objects.get(asset=ehr)
    assert response.status_code == 302
    assert response["Location"] == f"{BASE}profiles/{made.public_id}/"
    assert (made.mtd_minutes, made.rto_minutes, made.rpo_minutes, made.in_scope) == (1440, 240, 15, True)


def test_create_shows_the_service_message_on_the_amount(cast):
    ehr = plain_asset(cast.org, "EHR")
    response = client_for(cast.owner).post(
        f"{BASE}assets/{ehr.public_id}/profile/new/", form(rto_amount="2", rto_unit="days")
    )
    assert response.status_code == 200
    assert "longer than the maximum tolerable downtime" in response.content.decode()
    assert 'id="id_rto_amount-errors"' in response.content.decode()
    assert not RecoveryProfile.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_create_refused_to_non_managers(cast, who):
    ehr = plain_asset(cast.org, "EHR")
    response = client_for(getattr(cast, who)).post(f"{BASE}assets/{ehr.public_id}/profile/new/", form())
    assert response.status_code == 403
    assert not RecoveryProfile.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="contingency.").exists()


def test_create_for_other_organizations_asset_is_404(cast):
    theirs = plain_asset(cast.other_org, "Theirs")
    response = client_for(cast.owner).post(f"{BASE}assets/{theirs.public_id}/profile/new/", form())
    assert response.status_code == 404
    assert not RecoveryProfile.objects.exists()


def test_edit_form_shows_the_largest_exact_unit_and_saves(cast):
    made = profile(plain_asset(cast.org, "EHR"), mtd=2880, rto=90, rpo=60)
    client = client_for(cast.owner)
    page = client.get(f"{BASE}profiles/{made.public_id}/edit/").content.decode()
    assert 'name="mtd_amount" value="2"' in page and 'name="rto_amount" value="90"' in page
    response = client.post(f"{BASE}profiles/{made.public_id}/edit/", form(tier="3"))
    assert response.status_code == 302
    made.refresh_from_db()
    assert (made.tier, made.rto_minutes) == (3, 240)


def test_other_organizations_profile_is_404(cast):
    theirs = profile(plain_asset(cast.other_org, "Theirs"))
    client = client_for(cast.owner)
    assert client.get(f"{BASE}profiles/{theirs.public_id}/").status_code == 404
    assert client.post(f"{BASE}profiles/{theirs.public_id}/edit/", form()).status_code == 404
    assert client.post(f"{BASE}profiles/{theirs.public_id}/delete/").status_code == 404
    assert RecoveryProfile.objects.filter(pk=theirs.pk).exists()


def test_dependency_add_and_remove_on_the_profile_page(cast):
    made = profile(plain_asset(cast.org, "EHR"))
    db = plain_asset(cast.org, "DB")
    client = client_for(cast.owner)
    url = f"{BASE}profiles/{made.public_id}/dependencies/"
    client.post(url, {"depends_on": str(db.public_id), "note": "records"})
    assert AssetDependency.objects.filter(asset=made.asset, depends_on=db, note="records").exists()
    page = client.get(f"{BASE}profiles/{made.public_id}/").content.decode()
    assert "DB" in page and "records" in page
    again = client.post(url, {"depends_on": str(db.public_id)}, follow=True)
    assert "already recorded as needing DB" in again.content.decode()
    remove = f"{BASE}dependencies/{made.asset.public_id}/{db.public_id}/remove/"
    response = client.post(remove, {"back_to": str(made.public_id)})
    assert response["Location"] == f"{BASE}profiles/{made.public_id}/"
    assert not AssetDependency.objects.exists()
    needs(made.asset, db)
    malformed = client.post(remove, {"back_to": "not-a-uuid"})
    assert malformed["Location"] == BASE
    assert not AssetDependency.objects.exists()


def test_dependency_cycle_message_is_shown(cast):
    a = profile(plain_asset(cast.org, "App"))
    b = plain_asset(cast.org, "Broker")
    needs(b, a.asset)
    response = client_for(cast.owner).post(
        f"{BASE}profiles/{a.public_id}/dependencies/", {"depends_on": str(b.public_id)}, follow=True
    )
    assert "Broker needs App already" in response.content.decode()
    assert AssetDependency.objects.count() == 1


def test_dependency_remove_refused_to_auditor_and_other_org(cast):
    made = needs(profiled(cast.org, "EHR"), profiled(cast.org, "DB"))
    url = f"{BASE}dependencies/{made.asset.public_id}/{made.depends_on.public_id}/remove/"
    assert client_for(cast.auditor).post(url).status_code == 403
    assert client_for(cast.outsider).post(url.replace("clinic", "other")).status_code == 404
    assert AssetDependency.objects.count() == 1


def test_order_page_lists_steps_and_cycles_as_errors(cast):
    a, b = profiled(cast.org, "Alpha"), profiled(cast.org, "Bravo")
    needs(a, b)
    needs(b, a)
    ehr, db = profiled(cast.org, "EHR", tier=1), profiled(cast.org, "DB", tier=1)
    needs(ehr, db)
    page = client_for(cast.auditor).get(f"{BASE}order/").content.decode()
    assert "1 dependency cycle to fix" in page
    assert "Alpha needs Bravo needs Alpha" in page
    assert page.index(">DB") < page.index(">EHR")


def test_graph_page_and_download(cast):
    needs(profiled(cast.org, "EHR", tier=1), profiled(cast.org, "<DB>", tier=2))
    client = client_for(cast.auditor)
    page = client.get(f"{BASE}graph/").content.decode()
    assert "<svg" in page and "&lt;DB&gt;" in page and "<DB>" not in page
    download = client.get(f"{BASE}graph.svg")
    assert download["Content-Type"] == "image/svg+xml"
    assert "attachment" in download["Content-Disposition"]
    assert download.content.decode().startswith("<svg")


def test_approval_page_approves_and_then_shows_changes(cast):
    ehr = profiled(cast.org, "EHR", rto=60)
    client = client_for(cast.official)
    response = client.post(f"{BASE}approval/", {"statement": ""})
    assert response.status_code == 302
    assert CriticalityApproval.objects.count() == 1
    RecoveryProfile.objects.filter(asset=ehr).update(tier=1)
    page = client.get(f"{BASE}approval/").content.decode()
    assert "EHR: tier" in page and "Approve and sign" in page


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_approval_refused_to_non_signers(cast, who):
    profiled(cast.org, "EHR")
    assert client_for(getattr(cast, who)).post(f"{BASE}approval/", {}).status_code == 403
    assert not CriticalityApproval.objects.exists()


def test_auditor_sees_approval_page_without_the_form(cast):
    profiled(cast.org, "EHR")
    page = client_for(cast.auditor).get(f"{BASE}approval/").content.decode()
    assert "never been approved" in page and "Approve and sign" not in page


def test_settings_page_saves_for_managers_and_is_read_only_for_auditors(cast):
    data = {
        "restore_cadence_tier1": "monthly",
        "restore_cadence_tier2": "quarterly",
        "restore_cadence_tier3": "semiannual",
        "restore_cadence_tier4": "annual",
        "backup_grace_hours": "12",
        "show_72_hour_target": "",
        "import_time_zone": "UTC",
    }
    assert client_for(cast.auditor).post(f"{BASE}settings/", data).status_code == 403
    assert "disabled" in client_for(cast.auditor).get(f"{BASE}settings/").content.decode()
    response = client_for(cast.owner).post(f"{BASE}settings/", data)
    assert response.status_code == 302
    saved = ContingencySettings.objects.get(organization=cast.org)
    assert (saved.restore_cadence_tier1, saved.backup_grace_hours, saved.show_72_hour_target) == ("monthly", 12, False)
    assert AuditEvent.objects.get(action="contingency.settings.updated").changes["backup_grace_hours"] == [6, 12]


def test_profile_page_shows_the_restore_cadence_it_follows(cast):
    made = profile(plain_asset(cast.org, "EHR"), tier=3)
    client = client_for(cast.auditor)
    assert (
        'Every six months <span class="muted">(tier 3'
        in client.get(f"{BASE}profiles/{made.public_id}/").content.decode()
    )
    RecoveryProfile.objects.filter(pk=made.pk).update(restore_test_cadence="monthly")
    page = client.get(f"{BASE}profiles/{made.public_id}/").content.decode()
    assert "Monthly" in page and "tier 3's" not in page


def test_approval_page_query_count_is_flat(cast):
    for index in range(3):
        profiled(cast.org, f"A{index}")
    client = client_for(cast.official)
    client.post(f"{BASE}approval/", {})
    with CaptureQueriesContext(connection) as few:
        client.get(f"{BASE}approval/")
    for index in range(3, 25):
        needs(profiled(cast.org, f"A{index}"), plain_asset(cast.org, f"B{index}"))
        client.post(f"{BASE}approval/", {})
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"{BASE}approval/").content.decode()
    assert page.count("<tr><td>") == 20  # one page of the 23 approvals
    assert len(many.captured_queries) == len(few.captured_queries)
