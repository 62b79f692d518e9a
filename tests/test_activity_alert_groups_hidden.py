"""An alert's group key names a suspect or a patient: members who may not read events (auditors) see alerts
without it, on the pages and in the API."""

from __future__ import annotations

from safeguard.activity.models import Alert
from tests.activity_factories import make_alert, make_rule
from tests.conftest import Cast, client_for

PAGES = "/o/clinic/activity"
API = "/api/v1/orgs/clinic/activity"


def alert(cast: Cast) -> Alert:
    rule = make_rule(cast.org, "vip_access", title="VIP record opened")
    return make_alert(
        cast.org,
        rule,
        group_key={"user_name": "jdoe", "patient_id": "MRN-7"},
        group_text="user_name=jdoe, patient_id=MRN-7",
    )


def test_pages_hide_the_group_from_auditors_only(cast: Cast) -> None:
    found = alert(cast)
    for path in (f"{PAGES}/alerts/", f"{PAGES}/alerts/{found.public_id}/"):
        owner_page = client_for(cast.owner).get(path).content.decode()
        auditor_page = client_for(cast.auditor).get(path).content.decode()
        assert "MRN-7" in owner_page and "jdoe" in owner_page
        assert "MRN-7" not in auditor_page and "jdoe" not in auditor_page
        assert "hidden: needs event access" in auditor_page


def test_the_api_blanks_the_group_for_auditors_only(cast: Cast) -> None:
    found = alert(cast)
    owner = client_for(cast.owner).get(f"{API}/alerts/{found.public_id}/").json()
    auditor = client_for(cast.auditor).get(f"{API}/alerts/{found.public_id}/").json()
    assert owner["group_key"] == {"user_name": "jdoe", "patient_id": "MRN-7"}
    assert (auditor["group_key"], auditor["group_text"], auditor["title"]) == ({}, "", "VIP record opened")
    [listed] = client_for(cast.auditor).get(f"{API}/alerts/").json()["results"]
    assert (listed["group_key"], listed["group_text"]) == ({}, "")
