"""The activity review sub-navigation: every page it lists is one click away for those who may open it, and
manage-only and event pages are not offered to the auditor."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Cast, client_for

BASE = "/o/clinic/activity"
EVERY_LINK = {
    "Overview": f"{BASE}/",
    "Log sources": f"{BASE}/sources/",
    "Events": f"{BASE}/events/",
    "Rules": f"{BASE}/rules/",
    "Rule runs": f"{BASE}/runs/",
    "Alerts": f"{BASE}/alerts/",
    "Suppressions": f"{BASE}/suppressions/",
    "Escalation paths": f"{BASE}/escalation/",
    "Reviews": f"{BASE}/reviews/",
    "Enrichment": f"{BASE}/enrichment/",
    "Settings": f"{BASE}/settings/",
}


def subnav_links(html: str) -> dict[str, str]:
    found = re.search(r'<nav class="subnav" aria-label="Activity review" id="activity-subnav">(.*?)</nav>', html, re.S)
    assert found is not None, "no activity sub-navigation on the page"
    return {text: href for href, text in re.findall(r'<a href="([^"]+)">([^<]+)</a>', found.group(1))}


def test_security_official_sees_every_link_on_the_home_page(cast: Cast):
    response = client_for(cast.official).get(f"{BASE}/")
    assert response.status_code == 200
    assert subnav_links(response.content.decode()) == EVERY_LINK


def test_auditor_is_not_offered_manage_or_event_pages(cast: Cast):
    html = client_for(cast.auditor).get(f"{BASE}/").content.decode()
    hidden = {"Suppressions", "Escalation paths", "Settings", "Events"}
    assert subnav_links(html) == {text: href for text, href in EVERY_LINK.items() if text not in hidden}


def test_every_offered_link_opens_for_its_viewer(cast: Cast):
    for user in (cast.official, cast.auditor):
        client = client_for(user)
        for href in subnav_links(client.get(f"{BASE}/").content.decode()).values():
            assert client.get(href).status_code == 200, (user.email, href)


@pytest.mark.parametrize(
    "path", ["alerts/", "rules/", "runs/", "reviews/", "events/", "suppressions/", "escalation/", "settings/"]
)
def test_the_area_pages_carry_it(cast: Cast, path: str):
    html = client_for(cast.owner).get(f"{BASE}/{path}").content.decode()
    assert subnav_links(html)["Alerts"] == f"{BASE}/alerts/"
