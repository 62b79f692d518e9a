"""The record form asks for the asset once: the picker chooses it (and loads its backup runs), the form carries it;
and the integrity method is asked for, on its own field, when integrity is ticked as verified."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from safeguard.contingency.models import RestoreTest
from tests.conftest import client_for
from tests.contingency_restore_factories import asset_with_objectives, backup_run
from tests.risk_factories import asset as plain_asset

pytestmark = pytest.mark.django_db
NEW = "/o/clinic/contingency/restore-tests/new/"


def _asset_controls(page: str) -> tuple[list[str], list[str]]:
    selects = re.findall(r'<select name="asset"[^>]*>.*?</select>', page, re.S)
    hidden = re.findall(r'<input type="hidden" name="asset" value="([^"]*)"', page)
    return selects, hidden


def _local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


def test_the_picked_asset_is_the_forms_asset_and_is_asked_once(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    page = client_for(cast.official).get(NEW, {"asset": str(ehr.public_id)}).content.decode()
    selects, hidden = _asset_controls(page)
    assert len(selects) == 1
    assert re.search(rf'<option value="{ehr.public_id}" selected>EHR</option>', selects[0])
    assert hidden == [str(ehr.public_id)]
    assert 'id="restore-form"' in page


def test_without_a_picked_asset_only_the_picker_is_shown(cast):
    asset_with_objectives(cast.org, "EHR")
    page = client_for(cast.official).get(NEW).content.decode()
    assert 'id="restore-form"' not in page
    assert _asset_controls(page)[1] == []


def test_another_organizations_asset_cannot_be_picked(cast):
    theirs = asset_with_objectives(cast.other_org, "EHR")
    page = client_for(cast.official).get(NEW, {"asset": str(theirs.public_id)}).content.decode()
    assert 'id="restore-form"' not in page
    assert str(theirs.public_id) not in page


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_only_managers_open_the_form(cast, who):
    ehr = asset_with_objectives(cast.org, "EHR")
    assert client_for(getattr(cast, who)).get(NEW, {"asset": str(ehr.public_id)}).status_code == 403


def test_recording_from_a_picked_asset_and_its_backup_run(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=5)
    run = backup_run(ehr, point=start - timedelta(minutes=30))
    client = client_for(cast.official)
    page = client.get(NEW, {"asset": str(ehr.public_id)}).content.decode()
    assert f'<option value="{run.pk}">' in page
    response = client.post(
        NEW,
        {
            "asset": _asset_controls(page)[1][0],
            "performed_by": cast.official.pk,
            "backup_result": run.pk,
            "started_at": _local(start),
            "finished_at": _local(start + timedelta(minutes=20)),
            "succeeded": "on",
        },
    )
    assert response.status_code == 302
    test = RestoreTest.objects.get()
    assert (test.asset, test.backup_result, test.restore_point_at) == (ehr, run, run.restore_point_at)


def test_integrity_method_is_marked_required_when_verified_and_refused_on_its_field(cast):
    ehr = asset_with_objectives(cast.org, "EHR")
    start = timezone.now().replace(second=0, microsecond=0) - timedelta(hours=5)
    values = {
        "asset": str(ehr.public_id),
        "performed_by": cast.official.pk,
        "restore_point_at": _local(start - timedelta(minutes=30)),
        "started_at": _local(start),
        "finished_at": _local(start + timedelta(minutes=20)),
        "succeeded": "on",
        "integrity_verified": "on",
        "integrity_method": "  ",
    }
    response = client_for(cast.official).post(NEW, values)
    assert response.status_code == 200
    assert not RestoreTest.objects.exists()
    form = response.context["form"]
    assert form.errors["integrity_method"] == ["Say how the restored data was checked (e.g. record counts, checksums)."]
    assert "Required when integrity is ticked as verified" in form["integrity_method"].help_text


def test_an_asset_without_objectives_is_refused_beside_the_picker(cast):
    fax = plain_asset(cast.org, "Fax", since=date(2024, 1, 1))
    response = client_for(cast.official).post(NEW, {"asset": str(fax.public_id), "performed_by": cast.official.pk})
    assert response.status_code == 200
    picker = re.search(r'<form method="get".*?</form>', response.content.decode(), re.S)
    assert picker is not None
    assert "Choose an asset with recovery objectives above." in picker.group(0)
