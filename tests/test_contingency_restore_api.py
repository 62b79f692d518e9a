"""Restore tests and corrective actions over the API: recording (with the offset rule), reading, the schedule,
the import upload, the action lifecycle; the role matrix and isolation between organizations."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeguard.contingency.models import CorrectiveAction, RestoreTest
from tests.contingency_restore_factories import action, asset_with_objectives, stored_test
from tests.test_api_support import audit_count, client_as, error_of

pytestmark = pytest.mark.django_db
BASE = "/api/v1/orgs/clinic/contingency/"
TESTS = BASE + "restore-tests/"
ACTIONS = BASE + "corrective-actions/"


def _body(asset, *, minutes: int = 30, offset: str = "+00:00") -> dict[str, object]:
    start = (timezone.now() - timedelta(hours=6)).replace(microsecond=0, tzinfo=None)
    return {
        "asset": str(asset.public_id),
        "performed_by": "so@clinic.test",
        "restore_point_at": f"{(start - timedelta(minutes=20)).isoformat()}{offset}",
        "started_at": f"{start.isoformat()}{offset}",
        "finished_at": f"{(start + timedelta(minutes=minutes)).isoformat()}{offset}",
        "succeeded": True,
        "integrity_verified": True,
        "integrity_method": "Row counts",
    }


def test_recording_a_missed_test_answers_with_it_and_its_action(cast):
    ehr = asset_with_objectives(cast.org, "EHR", rto=60)
    response = client_as(cast, "owner").post(TESTS, _body(ehr, minutes=61), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["outcome"], body["rto_met"], body["time_to_restore_seconds"]) == ("missed", False, 3660)
    assert body["data_age_seconds"] == 1200
    action_id = body["corrective_actions"][0]
    fetched = client_as(cast, "auditor").get(f"{ACTIONS}{action_id}/").json()
    assert fetched["title"] == "Restore test of EHR missed its RTO by 1 min"
    assert fetched["restore_test"] == body["public_id"]


def test_times_without_an_offset_are_refused(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    response = client_as(cast, "owner").post(TESTS, _body(ehr, offset=""), format="json")
    assert response.status_code == 400
    assert "started_at" in error_of(response)["fields"]
    assert not RestoreTest.objects.exists()


def test_a_rule_refusal_names_its_field(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    body = _body(ehr)
    body["finished_at"], body["started_at"] = body["started_at"], body["finished_at"]
    response = client_as(cast, "owner").post(TESTS, body, format="json")
    assert response.status_code == 400
    assert "finished_at" in error_of(response)["fields"]


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("owner", 200, 201),
        ("auditor", 200, 403),
        ("workforce", 403, 403),
        ("outsider", 404, 404),
        ("anonymous", 401, 401),
    ],
)
def test_the_role_matrix_for_restore_tests(cast, who, read, write):
    ehr = asset_with_objectives(cast.org, "EHR")
    client, before = client_as(cast, who), audit_count()
    assert client.get(TESTS).status_code == read
    assert client.get(TESTS + "schedule/").status_code == read
    assert client.post(TESTS, _body(ehr), format="json").status_code == write
    if write != 201:
        assert not RestoreTest.objects.exists()
        assert audit_count() == before


def test_another_organizations_test_is_not_found_and_not_listed(cast):
    theirs = stored_test(asset_with_objectives(cast.other_org, "EHR"), cast.outsider, on=date(2026, 1, 5))
    client = client_as(cast, "owner")
    assert client.get(f"{TESTS}{theirs.public_id}/").status_code == 404
    assert client.get(TESTS).json()["count"] == 0
    mine = client.post(TESTS, _body(asset_with_objectives(cast.other_org, "PACS")), format="json")
    assert mine.status_code == 400
    assert "asset" in error_of(mine)["fields"]


def test_the_list_filters_and_keeps_queries_flat(cast, django_assert_max_num_queries):
    ehr = asset_with_objectives(cast.org, "EHR", rto=60)
    stored_test(ehr, cast.official, on=date(2026, 1, 5), minutes=90)
    client = client_as(cast, "owner")
    with django_assert_max_num_queries(40) as few:
        client.get(TESTS)
    for number in range(12):
        stored_test(asset_with_objectives(cast.org, f"S{number}"), cast.official, on=date(2026, 1, 6))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(TESTS).json()["count"] == 13
    assert client.get(TESTS, {"outcome": "missed"}).json()["count"] == 1
    assert client.get(TESTS, {"asset": str(ehr.public_id)}).json()["count"] == 1


def test_the_schedule_lists_never_tested_assets_as_overdue(cast):
    asset_with_objectives(cast.org, "EHR")
    rows = client_as(cast, "auditor").get(TESTS + "schedule/").json()["results"]
    assert [(row["asset"]["name"], row["overdue"], row["next_due"]) for row in rows] == [
        ("EHR", True, timezone.localdate().isoformat())
    ]


def test_uploading_an_import_answers_with_the_file_import(cast):
    upload = SimpleUploadedFile("tests.csv", b"asset,performed by,restore point,started,finished,succeeded\n")
    response = client_as(cast, "owner").post(TESTS + "imports/", {"file": upload}, format="multipart")
    assert response.status_code == 201
    assert response.json()["kind"] == "contingency.restore_tests"
    assert client_as(cast, "auditor").post(TESTS + "imports/", {"file": upload}, format="multipart").status_code == 403


def test_the_action_lifecycle(cast):
    client = client_as(cast, "owner")
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    created = client.post(ACTIONS, {"title": "Offsite copy", "owner": "so@clinic.test", "due_on": due}, format="json")
    assert created.status_code == 201
    url = f"{ACTIONS}{created.json()['public_id']}/"
    changed = client.patch(url, {"status": "in_progress", "owner": "owner@clinic.test"}, format="json").json()
    assert (changed["status"], changed["owner"]["email"]) == ("in_progress", "owner@clinic.test")
    assert client.post(url + "complete/", {"note": ""}, format="json").status_code == 400
    done = client.post(url + "complete/", {"note": "Vault contract signed"}, format="json").json()
    assert (done["status"], done["completion_note"]) == ("done", "Vault contract signed")
    assert client.post(url + "cancel/", {"reason": "x"}, format="json").status_code == 400


def test_action_owner_must_be_a_member_and_not_an_auditor(cast):
    client = client_as(cast, "owner")
    due = (timezone.localdate() + timedelta(days=9)).isoformat()
    for email in ("owner@other.test", "auditor@firm.test"):
        response = client.post(ACTIONS, {"title": "X", "owner": email, "due_on": due}, format="json")
        assert response.status_code == 400
        assert "owner" in error_of(response)["fields"]
    assert not CorrectiveAction.objects.exists()


def test_the_action_list_filters(cast):
    action(cast.org, cast.owner, "Late", due_on=timezone.localdate() - timedelta(days=1))
    action(cast.org, cast.official, "Later")
    client = client_as(cast, "owner")
    assert [a["title"] for a in client.get(ACTIONS, {"state": "overdue"}).json()["results"]] == ["Late"]
    assert [a["title"] for a in client.get(ACTIONS, {"mine": "true"}).json()["results"]] == ["Late"]
    assert client.get(ACTIONS, {"state": "nonsense"}).status_code == 400


@pytest.mark.parametrize(
    ("who", "read", "write"), [("auditor", 200, 403), ("workforce", 403, 403), ("outsider", 404, 404)]
)
def test_the_role_matrix_for_actions(cast, who, read, write):
    item = action(cast.org, cast.owner)
    client, before = client_as(cast, who), audit_count()
    url = f"{ACTIONS}{item.public_id}/"
    assert client.get(ACTIONS).status_code == read
    assert client.get(url).status_code == read
    assert client.patch(url, {"title": "Changed"}, format="json").status_code == write
    assert client.post(url + "complete/", {"note": "done"}, format="json").status_code == write
    assert client.post(url + "cancel/", {"reason": "no"}, format="json").status_code == write
    item.refresh_from_db()
    assert (item.title, item.status, audit_count()) == ("Fix it", "open", before)


def test_another_organizations_action_is_not_found(cast):
    theirs = action(cast.other_org, cast.outsider)
    client = client_as(cast, "owner")
    assert client.get(f"{ACTIONS}{theirs.public_id}/").status_code == 404
    assert client.post(f"{ACTIONS}{theirs.public_id}/cancel/", {"reason": "x"}, format="json").status_code == 404
