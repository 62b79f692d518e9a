"""Downloading a printed plan is recorded in the audit trail, on the page and over the API: one event per
download naming the plan, the version and the print, by whoever took it (an auditor reads, so may download);
a print not done, missing its file, or of another organization is refused with nothing recorded."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from safeguard.contingency.models import PlanPrint
from safeguard.core.models import AuditEvent
from tests.conftest import Cast, client_for
from tests.contingency_plan_factories import a_print, approved, critical_asset, plan
from tests.test_api_support import client_as

pytestmark = pytest.mark.django_db
PAGE = "/o/clinic/contingency/plans/prints/"
API = "/api/v1/orgs/clinic/contingency/plan-prints/"
DOWNLOADED = "contingency.plan_version.downloaded"
PDF = b"%PDF-1.7 a printed plan"


def stored_print(cast: Cast, organization=None, user=None) -> PlanPrint:
    """A done print with its file in storage, as the background build leaves it."""
    organization, user = organization or cast.org, user or cast.owner
    version = approved(plan(organization, user), user, user, [critical_asset(organization, "EHR")])
    printed = a_print(version, user)
    printed.stored_name = default_storage.save(f"contingency-plans/test/{printed.public_id}.pdf", ContentFile(PDF))
    printed.sha256 = hashlib.sha256(PDF).hexdigest()
    printed.save(update_fields=["stored_name", "sha256"])
    return printed


def _downloads() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=DOWNLOADED).order_by("pk"))


def test_a_download_from_the_page_writes_one_event_naming_the_print(cast: Cast) -> None:
    printed = stored_print(cast)
    response = client_for(cast.owner).get(f"{PAGE}{printed.public_id}/pdf/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    [event] = _downloads()
    version = printed.version
    assert (event.organization, event.actor, event.object_id) == (cast.org, cast.owner, str(version.public_id))
    assert event.changes == {
        "plan": [None, str(version.plan.public_id)],
        "print": [None, str(printed.public_id)],
        "sha256": [None, printed.sha256],
    }


def test_an_auditor_may_download_and_is_recorded(cast: Cast) -> None:
    printed = stored_print(cast)
    assert client_for(cast.auditor).get(f"{PAGE}{printed.public_id}/pdf/").status_code == 200
    assert client_as(cast, "auditor").get(f"{API}{printed.public_id}/pdf/").status_code == 200
    events = _downloads()
    assert [event.actor for event in events] == [cast.auditor, cast.auditor]
    assert all(event.changes["print"] == [None, str(printed.public_id)] for event in events)


def test_each_api_download_is_recorded(cast: Cast) -> None:
    printed = stored_print(cast)
    api = client_as(cast, "owner")
    for _ in range(2):
        response = api.get(f"{API}{printed.public_id}/pdf/")
        assert response.status_code == 200 and response["X-Content-SHA256"] == printed.sha256
    assert len(_downloads()) == 2


@pytest.mark.parametrize(("who", "expected"), [("workforce", 403), ("outsider", 404)])
def test_who_may_not_download_leaves_no_event(cast: Cast, who: str, expected: int) -> None:
    printed = stored_print(cast)
    before = AuditEvent.objects.count()
    assert client_for(getattr(cast, who)).get(f"{PAGE}{printed.public_id}/pdf/").status_code == expected
    assert client_as(cast, who).get(f"{API}{printed.public_id}/pdf/").status_code == expected
    assert AuditEvent.objects.count() == before


def test_another_organizations_print_is_not_found_and_not_recorded(cast: Cast) -> None:
    theirs = stored_print(cast, cast.other_org, cast.outsider)
    before = AuditEvent.objects.count()
    assert client_for(cast.owner).get(f"{PAGE}{theirs.public_id}/pdf/").status_code == 404
    assert client_as(cast, "owner").get(f"{API}{theirs.public_id}/pdf/").status_code == 404
    assert AuditEvent.objects.count() == before


def test_a_print_not_done_or_missing_its_file_records_nothing(cast: Cast) -> None:
    gone = stored_print(cast)
    queued = a_print(gone.version, cast.owner, PlanPrint.State.QUEUED)
    default_storage.delete(gone.stored_name)
    client = client_for(cast.owner)
    assert client.get(f"{PAGE}{queued.public_id}/pdf/").status_code == 404
    assert client.get(f"{PAGE}{gone.public_id}/pdf/").status_code == 404
    assert client_as(cast, "owner").get(f"{API}{gone.public_id}/pdf/").status_code == 404
    assert _downloads() == []
