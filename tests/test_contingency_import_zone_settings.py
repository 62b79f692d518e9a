"""The import time zone among the contingency settings: read by program viewers, changed by program managers on
the page and over the API, refused unless it is a real IANA zone name (and then nothing changes), audited."""

from __future__ import annotations

from typing import Any

import pytest

from safeguard.contingency.models import ContingencySettings
from safeguard.contingency.services.settings import contingency_settings
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, audit_count, client_as, error_of

API = "/api/v1/orgs/clinic/contingency/settings/"
PAGE = "/o/clinic/contingency/criticality/settings/"
FORM = {
    "restore_cadence_tier1": "quarterly",
    "restore_cadence_tier2": "quarterly",
    "restore_cadence_tier3": "semiannual",
    "restore_cadence_tier4": "annual",
    "backup_grace_hours": "6",
    "show_72_hour_target": "on",
}


def zone_of(cast: Cast) -> str:
    return ContingencySettings.objects.get(organization=cast.org).import_time_zone


def test_the_zone_defaults_to_the_installations(cast: Cast, settings: Any) -> None:
    settings.TIME_ZONE = "America/Denver"
    assert contingency_settings(cast.org).import_time_zone == "America/Denver"


def test_a_manager_changes_the_zone_over_the_api_and_it_is_audited(cast: Cast) -> None:
    response = api_client(cast.owner).patch(API, {"import_time_zone": "America/Chicago"}, format="json")
    assert response.status_code == 200
    assert response.json()["import_time_zone"] == "America/Chicago"
    assert zone_of(cast) == "America/Chicago"
    event = AuditEvent.objects.get(action="contingency.settings.updated")
    assert event.changes == {"import_time_zone": ["UTC", "America/Chicago"]}
    assert event.organization == cast.org


@pytest.mark.parametrize("bad", ["Mars/Olympus_Mons", "GMT+5", "america/new_york", "", "../etc/passwd"])
def test_the_api_refuses_a_name_that_is_not_a_zone_and_changes_nothing(cast: Cast, bad: str) -> None:
    contingency_settings(cast.org)
    before = audit_count()
    response = api_client(cast.owner).patch(API, {"import_time_zone": bad}, format="json")
    assert response.status_code == 400
    assert "import_time_zone" in error_of(response)["fields"]
    assert zone_of(cast) == "UTC"
    assert audit_count() == before


def test_the_api_names_the_problem(cast: Cast) -> None:
    response = api_client(cast.owner).patch(API, {"import_time_zone": "Mars/Olympus_Mons"}, format="json")
    assert error_of(response)["fields"]["import_time_zone"] == [
        "'Mars/Olympus_Mons' is not a time zone: use an Area/City name such as America/New_York."
    ]


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_only_managers_of_the_organization_change_the_zone(cast: Cast, who: str, expected: int) -> None:
    contingency_settings(cast.org)
    before = audit_count()
    response = client_as(cast, who).patch(API, {"import_time_zone": "Asia/Tokyo"}, format="json")
    assert response.status_code == expected
    assert zone_of(cast) == "UTC"
    assert audit_count() == before


def test_auditors_read_the_zone(cast: Cast) -> None:
    contingency_settings(cast.org)
    ContingencySettings.objects.filter(organization=cast.org).update(import_time_zone="Europe/Berlin")
    assert api_client(cast.auditor).get(API).json()["import_time_zone"] == "Europe/Berlin"


def test_another_organizations_zone_is_neither_read_nor_changed(cast: Cast) -> None:
    theirs = contingency_settings(cast.other_org)
    client = api_client(cast.owner)
    assert client.get("/api/v1/orgs/other/contingency/settings/").status_code == 404
    patch = client.patch("/api/v1/orgs/other/contingency/settings/", {"import_time_zone": "Asia/Tokyo"}, format="json")
    assert patch.status_code == 404
    theirs.refresh_from_db()
    assert theirs.import_time_zone == "UTC"


def test_the_page_saves_a_zone_and_audits_it(cast: Cast) -> None:
    response = client_for(cast.official).post(PAGE, FORM | {"import_time_zone": "America/Phoenix"})
    assert response.status_code == 302
    assert zone_of(cast) == "America/Phoenix"
    assert AuditEvent.objects.get(action="contingency.settings.updated").changes == {
        "import_time_zone": ["UTC", "America/Phoenix"]
    }


def test_the_page_refuses_an_unknown_zone_on_its_field_and_changes_nothing(cast: Cast) -> None:
    contingency_settings(cast.org)
    before = audit_count()
    response = client_for(cast.official).post(PAGE, FORM | {"import_time_zone": "Eastern"})
    assert response.status_code == 200
    assert "&#x27;Eastern&#x27; is not a time zone" in response.content.decode()
    assert zone_of(cast) == "UTC"
    assert audit_count() == before


def test_the_page_shows_the_zone_read_only_to_auditors_and_refuses_their_change(cast: Cast) -> None:
    contingency_settings(cast.org)
    page = client_for(cast.auditor).get(PAGE).content.decode()
    assert 'name="import_time_zone"' in page and "disabled" in page
    assert client_for(cast.auditor).post(PAGE, FORM | {"import_time_zone": "Asia/Tokyo"}).status_code == 403
    assert client_for(cast.workforce).get(PAGE).status_code == 403
    assert zone_of(cast) == "UTC"
