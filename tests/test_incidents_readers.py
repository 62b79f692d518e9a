"""Who reads incidents: escalation comments may name patients, so reading needs view-activity (owner, security
official, privacy officer, reviewer, auditor); a manager, who views the program, is refused on pages and API."""

from __future__ import annotations

import pytest

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.roles import Role
from safeguard.incidents.models import Incident
from safeguard.incidents.services import open_incident
from tests.conftest import Cast, client_for, make_member
from tests.test_api_support import api_client

PAGES = "/o/clinic/incidents/"
API = "/api/v1/orgs/clinic/incidents/"


@pytest.fixture
def incident(cast: Cast) -> Incident:
    return open_incident(
        cast.org, Actor(user=cast.owner), title="VIP chart snooping", severity="high", owner=cast.owner
    )


def paths(incident: Incident) -> list[str]:
    return [PAGES, f"{PAGES}{incident.public_id}/", f"{PAGES}{incident.public_id}/edit/"]


def test_a_manager_is_refused_the_list_detail_and_api(cast: Cast, incident: Incident):
    manager = make_member(cast.org, "manager@clinic.test", Role.MANAGER).user
    before = AuditEvent.objects.count()
    page = client_for(manager)
    for path in paths(incident):
        assert page.get(path).status_code == 403, path
    api = api_client(manager)
    assert api.get(API).status_code == 403
    assert api.get(f"{API}{incident.public_id}/").status_code == 403
    assert api.patch(f"{API}{incident.public_id}/", {"status": "closed"}, format="json").status_code == 403
    incident.refresh_from_db()
    assert incident.status == "new"
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", [Role.PRIVACY_OFFICER, Role.REVIEWER])
def test_activity_reviewers_read_and_change(cast: Cast, incident: Incident, role: str):
    member = make_member(cast.org, f"{role}@clinic.test", role).user
    page = client_for(member)
    for path in paths(incident):
        assert page.get(path).status_code == 200, path
    api = api_client(member)
    assert api.get(API).json()["count"] == 1
    assert api.get(f"{API}{incident.public_id}/").json()["title"] == "VIP chart snooping"
