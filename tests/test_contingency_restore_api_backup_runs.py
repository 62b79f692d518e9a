"""Recording a restore test over the API from a named backup run: the run gives the restore point, and only a
successful run of a policy of the same asset, in this organization, may be named."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import RestoreTest
from tests.contingency_restore_factories import asset_with_objectives, backup_run
from tests.test_api_support import client_as, error_of

pytestmark = pytest.mark.django_db
TESTS = "/api/v1/orgs/clinic/contingency/restore-tests/"


def _start() -> datetime:
    return (timezone.now() - timedelta(hours=6)).replace(microsecond=0)


def _body(asset, run, *, point: datetime | None = None) -> dict[str, object]:
    start = _start()
    body: dict[str, object] = {
        "asset": str(asset.public_id),
        "backup_result": str(run.public_id),
        "performed_by": "so@clinic.test",
        "started_at": start.isoformat(),
        "finished_at": (start + timedelta(minutes=30)).isoformat(),
        "succeeded": True,
        "integrity_verified": True,
        "integrity_method": "Row counts",
    }
    if point is not None:
        body["restore_point_at"] = point.isoformat()
    return body


def _refused_on(response, field: str) -> str:
    assert response.status_code == 400, response.json()
    assert not RestoreTest.objects.exists()
    return error_of(response)["fields"][field][0]


def test_a_named_run_gives_the_restore_point_and_is_shown(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    run = backup_run(ehr, point=_start() - timedelta(minutes=40))
    response = client_as(cast, "owner").post(TESTS, _body(ehr, run), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["backup_result"] == str(run.public_id)
    assert body["data_age_seconds"] == 2400
    assert RestoreTest.objects.get().backup_result == run
    fetched = client_as(cast, "auditor").get(f"{TESTS}{body['public_id']}/").json()
    assert fetched["backup_result"] == str(run.public_id)


def test_a_test_without_a_run_shows_none(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    body = _body(ehr, backup_run(ehr, point=_start() - timedelta(hours=1)))
    body["backup_result"] = None
    body["restore_point_at"] = (_start() - timedelta(hours=1)).isoformat()
    response = client_as(cast, "owner").post(TESTS, body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["backup_result"] is None


def test_neither_run_nor_restore_point_is_refused_on_the_restore_point(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    body = _body(ehr, backup_run(ehr, point=_start() - timedelta(hours=1)))
    del body["backup_result"]
    assert "restore point" in _refused_on(client_as(cast, "owner").post(TESTS, body, format="json"), "restore_point_at")


def test_a_restore_point_that_agrees_with_the_run_is_accepted(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    point = _start() - timedelta(minutes=40)
    response = client_as(cast, "owner").post(
        TESTS, _body(ehr, backup_run(ehr, point=point), point=point), format="json"
    )
    assert response.status_code == 201, response.json()


def test_a_restore_point_that_disagrees_with_the_run_is_refused(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    run = backup_run(ehr, point=_start() - timedelta(minutes=40))
    response = client_as(cast, "owner").post(TESTS, _body(ehr, run, point=_start() - timedelta(hours=2)), format="json")
    assert "differs" in _refused_on(response, "restore_point_at")


def test_a_failed_run_is_refused(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    run = backup_run(ehr, point=None, status="failed")
    response = client_as(cast, "owner").post(TESTS, _body(ehr, run), format="json")
    assert "failed" in _refused_on(response, "backup_result")


def test_a_run_of_another_asset_is_refused(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    pacs = asset_with_objectives(cast.org, "PACS")
    run = backup_run(pacs, point=_start() - timedelta(hours=1))
    response = client_as(cast, "owner").post(TESTS, _body(ehr, run), format="json")
    assert "EHR" in _refused_on(response, "backup_result")


def test_another_organizations_run_is_refused_as_unknown(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    theirs = backup_run(asset_with_objectives(cast.other_org, "EHR"), point=_start() - timedelta(hours=1))
    response = client_as(cast, "owner").post(TESTS, _body(ehr, theirs), format="json")
    assert "No such backup run" in _refused_on(response, "backup_result")


def test_an_auditor_cannot_record_from_a_run(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    run = backup_run(ehr, point=_start() - timedelta(hours=1))
    assert client_as(cast, "auditor").post(TESTS, _body(ehr, run), format="json").status_code == 403
    assert not RestoreTest.objects.exists()
