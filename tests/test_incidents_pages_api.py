"""Incident pages and API: activity viewers read, triagers and program managers change, other organizations'
incidents are not found, list query counts stay flat."""

from __future__ import annotations

import pytest

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization
from safeguard.incidents.models import Incident
from safeguard.incidents.services import open_incident
from tests.conftest import Cast, client_for
from tests.test_api_support import client_as, error_of


def incident(cast: Cast, title: str = "VIP chart snooping", org: Organization | None = None) -> Incident:
    org = org or cast.org
    user = cast.owner if org == cast.org else cast.outsider
    return open_incident(org, Actor(user=user), title=title, severity="high", owner=user)


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_activity_viewers_read_incidents(cast: Cast, who: str, expected: int):
    one = incident(cast)
    api = client_as(cast, who)
    assert api.get("/api/v1/orgs/clinic/incidents/").status_code == expected
    assert api.get(f"/api/v1/orgs/clinic/incidents/{one.public_id}/").status_code == expected
    page = client_for(
        {"owner": cast.owner, "auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider}[who]
    )
    assert page.get("/o/clinic/incidents/").status_code == expected
    assert page.get(f"/o/clinic/incidents/{one.public_id}/").status_code == expected


def test_auditors_cannot_change_incidents(cast: Cast):
    one = incident(cast)
    before = AuditEvent.objects.count()
    assert (
        client_as(cast, "auditor")
        .patch(f"/api/v1/orgs/clinic/incidents/{one.public_id}/", {"status": "closed"}, format="json")
        .status_code
        == 403
    )
    assert client_for(cast.auditor).post(f"/o/clinic/incidents/{one.public_id}/edit/", {}).status_code == 403
    one.refresh_from_db()
    assert one.status == "new"
    assert AuditEvent.objects.count() == before


def test_other_organizations_incident_is_not_found(cast: Cast):
    theirs = incident(cast, org=cast.other_org)
    api = client_as(cast, "owner")
    assert api.get(f"/api/v1/orgs/clinic/incidents/{theirs.public_id}/").status_code == 404
    assert (
        api.patch(f"/api/v1/orgs/clinic/incidents/{theirs.public_id}/", {"status": "closed"}, format="json").status_code
        == 404
    )
    assert client_for(cast.owner).get(f"/o/clinic/incidents/{theirs.public_id}/edit/").status_code == 404
    assert api.get("/api/v1/orgs/clinic/incidents/").json()["count"] == 0


def test_patch_changes_status_and_owner(cast: Cast):
    one = incident(cast)
    api = client_as(cast, "official")
    response = api.patch(
        f"/api/v1/orgs/clinic/incidents/{one.public_id}/",
        {"status": "in_progress", "owner": "so@clinic.test"},
        format="json",
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["owner"]) == ("in_progress", "so@clinic.test")
    bad = api.patch(f"/api/v1/orgs/clinic/incidents/{one.public_id}/", {"owner": "nurse@clinic.test"}, format="json")
    assert error_of(bad)["fields"] == {
        "owner": ["nurse@clinic.test cannot own an incident here: they may not handle alerts."]
    }


def test_edit_page_saves(cast: Cast):
    one = incident(cast)
    body = {
        "title": "Snooping, confirmed",
        "description": "",
        "severity": "critical",
        "status": "resolved",
        "owner": cast.owner.pk,
        "is_suspected_breach": "on",
    }
    response = client_for(cast.owner).post(f"/o/clinic/incidents/{one.public_id}/edit/", body)
    assert response.status_code == 302
    one.refresh_from_db()
    assert (one.title, one.severity, one.status, one.is_suspected_breach) == (
        "Snooping, confirmed",
        "critical",
        "resolved",
        True,
    )
    assert one.resolved_at is not None


def test_lists_keep_queries_flat(cast: Cast, django_assert_max_num_queries):
    incident(cast, "first")
    api, page = client_as(cast, "owner"), client_for(cast.owner)
    with django_assert_max_num_queries(40) as api_few:
        api.get("/api/v1/orgs/clinic/incidents/")
    with django_assert_max_num_queries(40) as page_few:
        page.get("/o/clinic/incidents/")
    for n in range(20):
        incident(cast, f"more {n}")
    with django_assert_max_num_queries(len(api_few.captured_queries)):
        assert api.get("/api/v1/orgs/clinic/incidents/").json()["count"] == 21
    with django_assert_max_num_queries(len(page_few.captured_queries)):
        assert page.get("/o/clinic/incidents/").content.decode().count("INC-") == 21
