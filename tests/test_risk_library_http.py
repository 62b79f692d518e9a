"""The library over HTTP: the page (read-only; a button adds the starter set), add and edit forms, and the API;
who may do what, isolation between organizations, and flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import AuditEvent
from safeguard.risk.models import Threat, ThreatSource, Vulnerability, VulnerabilityArea
from safeguard.risk.services.library import starter_set
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client, audit_count, client_as, error_of, user_of

DENIED_PAGE = [("workforce", 403), ("outsider", 404)]
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
API = "/api/v1/orgs/clinic/"


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org, *args])


def threat(cast: Cast, name: str = "Courier loses charts", *, other: bool = False, active: bool = True) -> Threat:
    return Threat.objects.create(
        organization=cast.other_org if other else cast.org,
        name=name,
        source_type=ThreatSource.ACCIDENTAL,
        is_active=active,
    )


# --- pages --------------------------------------------------------------------------------------------------------


def test_opening_the_library_changes_nothing_and_offers_the_starter_set(cast: Cast) -> None:
    before = audit_count()
    response = client_for(cast.official).get(url("library"))

    assert response.status_code == 200
    assert not Threat.objects.exists()
    assert audit_count() == before
    missing = len(starter_set("threats")) + len(starter_set("vulnerabilities"))
    assert response.context["starters_missing"] == missing
    assert url("library_seed") in response.content.decode()


def test_the_starter_library_button_seeds_once(cast: Cast) -> None:
    client = client_for(cast.official)
    response = client.post(url("library_seed"))

    assert response.status_code == 302
    assert response["Location"] == url("library")
    assert Threat.objects.filter(organization=cast.org).count() == len(starter_set("threats"))
    page = client.get(url("library"))
    assert page.context["starters_missing"] == 0
    assert url("library_seed") not in page.content.decode()
    client.post(url("library_seed"))
    assert AuditEvent.objects.filter(action="risk.library.seeded").count() == 1


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE[:3])
def test_only_program_managers_seed_the_library(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    assert client_for(user_of(cast, who)).post(url("library_seed")).status_code == expected
    assert not Threat.objects.exists()
    assert audit_count() == before


def test_seeding_the_library_is_post_only(cast: Cast) -> None:
    assert client_for(cast.owner).get(url("library_seed")).status_code == 405
    assert not Threat.objects.exists()


def test_an_auditor_reads_the_library_without_seeding_or_edit_links(cast: Cast) -> None:
    threat(cast, "Our own threat")
    response = client_for(cast.auditor).get(url("library"))

    assert response.status_code == 200
    assert [t.name for t in response.context["page"].object_list] == ["Our own threat"]
    assert url("threat_create") not in response.content.decode()
    assert not Threat.objects.exclude(seed_key="").exists()


@pytest.mark.parametrize(("who", "expected"), DENIED_PAGE)
def test_the_library_is_closed_to_workforce_and_outsiders(cast: Cast, who: str, expected: int) -> None:
    assert client_for(user_of(cast, who)).get(url("library")).status_code == expected
    assert not Threat.objects.exists()


def test_tabs_and_filters(cast: Cast) -> None:
    threat(cast, "Active one")
    threat(cast, "Retired one", active=False)
    Vulnerability.objects.create(organization=cast.org, name="Open closet", area=VulnerabilityArea.PHYSICAL)
    client = client_for(cast.auditor)

    def names(**params: str) -> list[str]:
        return [entry.name for entry in client.get(url("library"), params).context["page"].object_list]

    assert names() == ["Active one"]
    assert names(show="inactive") == ["Retired one"]
    assert names(show="all") == ["Active one", "Retired one"]
    assert names(tab="vulnerabilities") == ["Open closet"]
    assert names(tab="vulnerabilities", category="technical") == []
    assert names(tab="<bogus>", show="<bogus>") == ["Active one"]


def test_the_library_page_query_count_is_flat(cast: Cast) -> None:
    client = client_for(cast.auditor)
    for index in range(3):
        threat(cast, f"Threat {index}")
    with CaptureQueriesContext(connection) as few:
        client.get(url("library"))
    for index in range(3, 40):
        threat(cast, f"Threat {index}")
    with CaptureQueriesContext(connection) as many:
        client.get(url("library"))
    assert len(many) == len(few)


def test_add_a_threat_through_the_form(cast: Cast) -> None:
    body = {"name": "Courier loses charts", "source_type": "accidental", "description": "Off-site run."}
    response = client_for(cast.owner).post(url("threat_create"), body)

    assert response.status_code == 302
    assert response["Location"] == f"{url('library')}?tab=threats"
    assert Threat.objects.get().description == "Off-site run."


def test_a_duplicate_name_is_shown_on_the_name_field(cast: Cast) -> None:
    threat(cast, "Flood")
    response = client_for(cast.owner).post(url("threat_create"), {"name": "FLOOD", "source_type": "environmental"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"] == ["The library already has a threat named “FLOOD”."]


def test_deactivate_a_vulnerability_through_the_edit_form(cast: Cast) -> None:
    weakness = Vulnerability.objects.create(organization=cast.org, name="No UPS", area=VulnerabilityArea.PHYSICAL)
    edit = url("vulnerability_edit", weakness.public_id)
    client = client_for(cast.official)
    assert client.get(edit).context["form"].initial["is_active"] is True

    client.post(edit, {"name": "No UPS", "area": "physical", "description": ""})

    weakness.refresh_from_db()
    assert not weakness.is_active


@pytest.mark.parametrize("who", ["auditor", "workforce"])
def test_read_only_roles_cannot_add_or_edit(cast: Cast, who: str) -> None:
    existing = threat(cast)
    client = client_for(user_of(cast, who))
    before = audit_count()
    assert client.post(url("threat_create"), {"name": "X", "source_type": "accidental"}).status_code == 403
    edit = url("threat_edit", existing.public_id)
    assert client.post(edit, {"name": "Renamed", "source_type": "accidental"}).status_code == 403
    assert list(Threat.objects.values_list("name", flat=True)) == ["Courier loses charts"]
    assert audit_count() == before


def test_another_organizations_entry_is_not_found(cast: Cast) -> None:
    theirs = threat(cast, other=True)
    assert client_for(cast.owner).get(url("threat_edit", theirs.public_id)).status_code == 404
    mine = threat(cast, "Mine")
    assert client_for(cast.outsider).get(url("threat_edit", mine.public_id, org="other")).status_code == 404


# --- API ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_threat_list_matrix(cast: Cast, who: str, expected: int) -> None:
    threat(cast)
    threat(cast, other=True, name="Theirs")
    response = client_as(cast, who).get(f"{API}threats/")
    assert response.status_code == expected
    if expected == 200:
        assert [row["name"] for row in response.json()["results"]] == ["Courier loses charts"]


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_threat_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    body = {"name": "Flood", "source_type": "environmental"}
    response = client_as(cast, who).post(f"{API}threats/", body, format="json")
    assert response.status_code == expected
    if expected == 201:
        assert response.json()["name"] == "Flood" and response.json()["is_active"] is True
    else:
        assert not Threat.objects.exists()
        assert audit_count() == before


def test_threat_patch_deactivates_and_refuses_duplicates(cast: Cast) -> None:
    first = threat(cast, "Flood")
    threat(cast, "Fire")
    client = api_client(cast.official)
    path = f"{API}threats/{first.public_id}/"

    assert client.patch(path, {"is_active": False}, format="json").json()["is_active"] is False
    response = client.patch(path, {"name": "fire"}, format="json")
    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["name"]
    assert client.get(f"{API}threats/", {"is_active": "false"}).json()["count"] == 1


def test_threat_detail_isolation(cast: Cast) -> None:
    theirs = threat(cast, other=True)
    assert api_client(cast.owner).get(f"{API}threats/{theirs.public_id}/").status_code == 404
    assert (
        api_client(cast.owner).patch(f"{API}threats/{theirs.public_id}/", {"name": "x"}, format="json").status_code
        == 404
    )
    assert Threat.objects.get().name == "Courier loses charts"


def test_vulnerabilities_over_the_api(cast: Cast) -> None:
    client = api_client(cast.owner)
    created = client.post(f"{API}vulnerabilities/", {"name": "No MFA", "area": "technical"}, format="json")
    assert created.status_code == 201
    path = f"{API}vulnerabilities/{created.json()['public_id']}/"
    assert (
        client.patch(path, {"description": "Remote access."}, format="json").json()["description"] == "Remote access."
    )
    assert api_client(cast.auditor).get(path).json()["area"] == "technical"
    assert api_client(cast.auditor).patch(path, {"name": "x"}, format="json").status_code == 403
    bad = client.post(f"{API}vulnerabilities/", {"name": "X", "area": "spiritual"}, format="json")
    assert list(error_of(bad)["fields"]) == ["area"]


def test_threat_list_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.auditor)
    threat(cast, "T0")
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}threats/")
    for index in range(1, 30):
        threat(cast, f"T{index}")
    with CaptureQueriesContext(connection) as many:
        client.get(f"{API}threats/")
    assert len(many) == len(few)
