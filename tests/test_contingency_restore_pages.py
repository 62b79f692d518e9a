"""Restore test pages: the list, recording one (which may open an action), one test, the schedule and the import
upload; who may read and record, and that another organization's test is not found."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction, RestoreTest
from safeguard.core.models import AuditEvent, FileImport
from tests.conftest import client_for
from tests.contingency_restore_factories import asset_with_objectives, backup_run, stored_test

pytestmark = pytest.mark.django_db
LIST = "/o/clinic/contingency/restore-tests/"
NEW = LIST + "new/"


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def _form(asset, performer, *, minutes: int, start_hours_ago: int = 5) -> dict[str, object]:
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=start_hours_ago)
    return {
        "asset": str(asset.public_id),
        "performed_by": performer.pk,
        "restore_point_at": _local(start - timedelta(minutes=30)),
        "started_at": _local(start),
        "finished_at": _local(start + timedelta(minutes=minutes)),
        "succeeded": "on",
        "integrity_verified": "on",
        "integrity_method": "Checksums compared",
    }


def test_recording_a_test_that_misses_its_rto_opens_an_action(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=60)
    response = client_for(cast.official).post(NEW, _form(ehr, cast.official, minutes=95))
    test = RestoreTest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}{test.public_id}/"
    assert test.outcome == "missed"
    action = CorrectiveAction.objects.get(restore_test=test)
    assert action.title == "Restore test of EHR missed its RTO by 35 min"
    page = client_for(cast.auditor).get(response["Location"]).content.decode()
    assert "Restored, but an objective was missed or integrity not verified" in page
    assert action.title in page


def test_a_test_recorded_without_integrity_verification_is_missed_and_says_why(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=60)
    form = _form(ehr, cast.official, minutes=30)
    del form["integrity_verified"], form["integrity_method"]
    response = client_for(cast.official).post(NEW, form)
    assert response.status_code == 302
    test = RestoreTest.objects.get()
    assert (test.outcome, test.rto_met, test.rpo_met) == ("missed", True, True)
    assert CorrectiveAction.objects.get(restore_test=test).title == "Restore test of EHR: integrity not verified"
    page = client_for(cast.auditor).get(response["Location"]).content.decode()
    assert "restored, but not verified, so the test is missed" in page


def test_the_form_shows_the_services_refusal_on_its_field(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    values = _form(ehr, cast.official, minutes=30)
    values["restore_point_at"] = values["finished_at"]
    response = client_for(cast.official).post(NEW, values)
    assert response.status_code == 200
    assert "after the restore started" in response.content.decode()
    assert not RestoreTest.objects.exists()


def test_an_asset_without_objectives_cannot_be_chosen(cast):
    from tests.risk_factories import asset as plain_asset

    fax = plain_asset(cast.org, "Fax", since=date(2024, 1, 1))
    response = client_for(cast.official).post(NEW, _form(fax, cast.official, minutes=30))
    assert response.status_code == 200
    assert not RestoreTest.objects.exists()


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_only_managers_record(cast, who):
    ehr = asset_with_objectives(cast.org, "EHR")
    before = AuditEvent.objects.count()
    response = client_for(getattr(cast, who)).post(NEW, _form(ehr, cast.official, minutes=30))
    assert response.status_code == 403
    assert not RestoreTest.objects.exists()
    assert AuditEvent.objects.count() == before


def test_auditors_read_the_list_schedule_and_a_test_and_workforce_does_not(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    test = stored_test(ehr, cast.official, on=timezone.localdate() - timedelta(days=3))
    auditor, nurse = client_for(cast.auditor), client_for(cast.workforce)
    for url in (LIST, LIST + "schedule/", f"{LIST}{test.public_id}/"):
        assert auditor.get(url).status_code == 200
        assert nurse.get(url).status_code == 403
    assert "Record a restore test" not in auditor.get(LIST).content.decode()


def test_another_organizations_test_is_not_found(cast):
    theirs = stored_test(asset_with_objectives(cast.other_org, "EHR"), cast.outsider, on=date(2026, 1, 5))
    assert client_for(cast.owner).get(f"{LIST}{theirs.public_id}/").status_code == 404
    theirs_url = f"/o/other/contingency/restore-tests/{theirs.public_id}/"
    assert client_for(cast.outsider).get(theirs_url).status_code == 200


def test_the_list_filters_by_outcome_and_asset(cast):
    ehr, pacs = asset_with_objectives(cast.org, "EHR", rto=60), asset_with_objectives(cast.org, "PACS")
    stored_test(ehr, cast.official, on=date(2026, 1, 5), minutes=90)
    stored_test(pacs, cast.official, on=date(2026, 1, 6))
    client = client_for(cast.official)
    missed = client.get(LIST, {"outcome": "missed"}).content.decode()
    assert "2026-01-05" in missed and "2026-01-06" not in missed
    only_pacs = client.get(LIST, {"asset": str(pacs.public_id)}).content.decode()
    assert "2026-01-06" in only_pacs and "2026-01-05" not in only_pacs


def test_the_list_keeps_its_query_count_flat(cast, django_assert_max_num_queries):
    ehr = asset_with_objectives(cast.org, "EHR")
    stored_test(ehr, cast.official, on=date(2026, 1, 1))
    client = client_for(cast.official)
    with django_assert_max_num_queries(40) as few:
        client.get(LIST)
    for number in range(15):
        stored_test(asset_with_objectives(cast.org, f"System {number}"), cast.official, on=date(2026, 1, 2 + number))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(LIST).content.decode().count("/contingency/restore-tests/") >= 16


def test_the_schedule_shows_never_tested_assets_as_due_now(cast, django_assert_max_num_queries):
    asset_with_objectives(cast.org, "EHR")
    stored_test(asset_with_objectives(cast.org, "PACS"), cast.official, on=date(2026, 1, 2))
    client = client_for(cast.official)
    client.get(LIST + "schedule/")
    with django_assert_max_num_queries(40) as few:
        page = client.get(LIST + "schedule/").content.decode()
    assert "due now" in page
    for number in range(10):
        stored_test(asset_with_objectives(cast.org, f"System {number}"), cast.official, on=date(2026, 1, 2))
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST + "schedule/")


def test_uploading_a_file_starts_an_import(cast):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("tests.csv", b"asset,performed by,restore point,started,finished,succeeded\n")
    response = client_for(cast.official).post(LIST + "import/", {"file": upload})
    job = FileImport.objects.get()
    assert job.kind == "contingency.restore_tests"
    assert response["Location"] == f"/o/clinic/file-imports/{job.public_id}/"
    assert client_for(cast.auditor).post(LIST + "import/", {"file": upload}).status_code == 403


def test_the_form_offers_the_chosen_assets_recent_backup_runs(cast):
    ehr, pacs = asset_with_objectives(cast.org, "EHR"), asset_with_objectives(cast.org, "PACS")
    backup_run(ehr, point=timezone.now() - timedelta(hours=8))
    client = client_for(cast.official)
    chosen = client.get(NEW, {"asset": str(ehr.public_id)}).content.decode()
    assert "nightly: restore point" in chosen
    assert "nightly: restore point" not in client.get(NEW, {"asset": str(pacs.public_id)}).content.decode()
    assert client.get(NEW, {"asset": "not-a-uuid"}).status_code == 200
    assert client.get(LIST + "import/").status_code == 200
