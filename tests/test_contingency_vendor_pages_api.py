"""Business associates' recovery pages and API: program viewers read, program managers change, other
organizations' records are not found, assets a business associate runs show even before anything is recorded,
and the list keeps its query count flat."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import VendorRecovery
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.contingency_exercise_factories import HOUR, asset, profile, vendor
from tests.test_api_support import client_as, error_of, user_of

API = "/api/v1/orgs/clinic/contingency/vendor-recovery/"
PAGES = "/o/clinic/contingency/vendors/"


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_program_viewers_read_commitments(cast: Cast, who: str, expected: int):
    record = vendor(
        asset(cast.org, "Cloud EHR", business_associate="Acme"), rto_minutes=60, rpo_minutes=60, verified_on=None
    )
    api, page = client_as(cast, who), client_for(user_of(cast, who))
    assert api.get(API).status_code == expected
    assert api.get(f"{API}{record.public_id}/").status_code == expected
    assert page.get(PAGES).status_code == expected


def test_auditors_cannot_change_commitments(cast: Cast):
    ehr = asset(cast.org, "Cloud EHR", business_associate="Acme")
    record = vendor(ehr, rto_minutes=60, rpo_minutes=60, verified_on=None)
    before = AuditEvent.objects.count()
    api, page = client_as(cast, "auditor"), client_for(cast.auditor)
    assert api.patch(f"{API}{record.public_id}/", {"notes": "x"}, format="json").status_code == 403
    assert api.post(API, {"asset": str(ehr.public_id)}, format="json").status_code == 403
    assert page.get(f"{PAGES}new/").status_code == 403
    assert page.post(f"{PAGES}{record.public_id}/edit/", {"business_associate": "Mine"}).status_code == 403
    record.refresh_from_db()
    assert record.notes == "" and record.business_associate == "Cloud EHR Inc."
    assert AuditEvent.objects.count() == before


def test_other_organizations_commitment_is_not_found(cast: Cast):
    theirs = vendor(
        asset(cast.other_org, "Their EHR", business_associate="X"), rto_minutes=1, rpo_minutes=1, verified_on=None
    )
    api, page = client_as(cast, "owner"), client_for(cast.owner)
    assert api.get(f"{API}{theirs.public_id}/").status_code == 404
    assert api.patch(f"{API}{theirs.public_id}/", {"notes": "x"}, format="json").status_code == 404
    assert page.get(f"{PAGES}{theirs.public_id}/edit/").status_code == 404
    assert api.get(API).json()["count"] == 0
    refused = api.post(API, {"asset": str(theirs.asset.public_id)}, format="json")
    assert list(error_of(refused)["fields"]) == ["asset"]


def test_list_shows_assets_run_by_a_business_associate_with_their_gaps(cast: Cast):
    unrecorded = asset(cast.org, "Billing", business_associate="ClaimsCo")
    ehr = asset(cast.org, "Cloud EHR", business_associate="Acme")
    profile(ehr, rto_minutes=4 * HOUR, rpo_minutes=HOUR)
    vendor(ehr, rto_minutes=8 * HOUR, rpo_minutes=HOUR, verified_on=timezone.localdate())
    asset(cast.org, "In-house server")
    rows = client_as(cast, "auditor").get(API).json()["results"]
    assert [(row["asset"]["name"], row["gaps"]) for row in rows] == [
        ("Billing", ["No recovery commitment recorded."]),
        ("Cloud EHR", ["Their RTO (8 h) is longer than ours (4 h)."]),
    ]
    assert rows[0]["public_id"] is None and rows[1]["our_rto_minutes"] == 240
    page = client_for(cast.auditor).get(PAGES).content.decode()
    assert "<strong>2</strong> of 2 assets with a gap." in page
    assert unrecorded.name in page and "In-house server" not in page


def test_api_records_and_changes_a_commitment(cast: Cast):
    ehr = asset(cast.org, "Cloud EHR", business_associate="Acme")
    profile(ehr, rto_minutes=4 * HOUR, rpo_minutes=HOUR)
    api = client_as(cast, "official")
    body = {"asset": str(ehr.public_id), "stated_rto_minutes": 240, "stated_rpo_minutes": 60}
    created = api.post(API, body, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["gaps"] == ["Never verified."]
    record_id = created.json()["public_id"]
    today = str(timezone.localdate())
    changed = api.patch(f"{API}{record_id}/", {"verified_on": today, "evidence_kind": "attestation"}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["gaps"], changed.json()["verified_by"]) == ([], "so@clinic.test")
    moved = api.patch(f"{API}{record_id}/", {"asset": str(ehr.public_id)}, format="json")
    assert list(error_of(moved)["fields"]) == ["asset"]


def test_pages_record_a_commitment_with_the_objectives_in_hours(cast: Cast):
    ehr = asset(cast.org, "Cloud EHR", business_associate="Acme")
    page = client_for(cast.owner)
    assert f'value="{ehr.pk}" selected' in page.get(f"{PAGES}new/?asset={ehr.public_id}").content.decode()
    body = {"asset": ehr.pk, "rto_amount": 6, "rto_unit": "hours", "rpo_unit": "hours", "evidence_kind": ""}
    assert page.post(f"{PAGES}new/", body).status_code == 302
    record = VendorRecovery.objects.get()
    assert (record.stated_rto_minutes, record.stated_rpo_minutes, record.business_associate) == (360, None, "Acme")
    future = timezone.localdate() + timedelta(days=3)
    edit = {
        "business_associate": "Acme",
        "rto_unit": "hours",
        "rpo_unit": "hours",
        "evidence_kind": "report",
        "verified_on": future,
    }
    response = page.post(f"{PAGES}{record.public_id}/edit/", edit)
    assert response.status_code == 200
    assert "The verification date must be between" in response.content.decode()


def test_list_keeps_queries_flat(cast: Cast, django_assert_max_num_queries):
    vendor(asset(cast.org, "EHR 0", business_associate="Acme"), rto_minutes=1, rpo_minutes=1, verified_on=None)
    api, page = client_as(cast, "owner"), client_for(cast.owner)
    with django_assert_max_num_queries(40) as api_few:
        api.get(API)
    with django_assert_max_num_queries(40) as page_few:
        page.get(PAGES)
    for n in range(1, 21):
        target = asset(cast.org, f"EHR {n}", business_associate="Acme")
        profile(target)
        vendor(target, rto_minutes=1, rpo_minutes=1, verified_on=timezone.localdate())
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        assert api.get(API).json()["count"] == 21
    with django_assert_max_num_queries(len(page_few.captured_queries)):
        assert page.get(PAGES).content.decode().count("Cloud EHR Inc.") == 21
