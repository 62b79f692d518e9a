"""A person in several organizations lands in the one they chose, and never in one they don't belong to."""

import re

from safeguard.core.models import Membership
from safeguard.core.roles import Role
from tests.conftest import Cast, client_for


def test_single_membership_lands_on_its_dashboard(cast: Cast) -> None:
    response = client_for(cast.workforce).get("/")
    assert response.status_code == 302
    assert response["Location"] == "/o/clinic/"


def test_member_of_two_organizations_chooses_and_switches(cast: Cast) -> None:
    Membership.objects.create(
        organization=cast.other_org, user=cast.owner, role=Role.AUDITOR, access_ends_on="2099-01-01"
    )
    client = client_for(cast.owner)
    choose = client.get("/")
    assert choose.status_code == 200
    assert b"Riverside Clinic" in choose.content and b"Other Practice" in choose.content
    assert client.get("/?org=other")["Location"] == "/o/other/"
    client.get("/o/clinic/")
    assert client.get("/")["Location"] == "/o/clinic/", "the last organization visited is remembered"


def test_switching_to_a_foreign_organization_goes_nowhere(cast: Cast) -> None:
    response = client_for(cast.outsider).get("/?org=clinic")
    assert response["Location"] == "/o/other/"
    assert client_for(cast.outsider).get("/o/clinic/").status_code == 404


def test_anonymous_is_sent_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get("/o/clinic/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def switcher_options(html: str) -> list[tuple[str, bool]]:
    """(value, selected) of each option in the header's organization switcher."""
    select = re.search(r'<select id="org-switch".*?</select>', html, re.DOTALL)
    assert select is not None, "the page shows the switcher"
    return [
        (value, bool(selected)) for value, selected in re.findall(r'<option value="([^"]*)"( selected)?>', select[0])
    ]


def test_switcher_outside_an_organization_starts_on_a_prompt_so_any_choice_fires(cast: Cast) -> None:
    Membership.objects.create(
        organization=cast.other_org, user=cast.owner, role=Role.AUDITOR, access_ends_on="2099-01-01"
    )
    page = client_for(cast.owner).get("/accounts/")
    assert page.status_code == 200
    options = switcher_options(page.content.decode())
    assert options[0] == ("", True)
    assert sorted(options[1:]) == [("clinic", False), ("other", False)]
    assert "Choose an organization…" in page.content.decode()


def test_switcher_inside_an_organization_shows_it_selected_without_a_prompt(cast: Cast) -> None:
    Membership.objects.create(
        organization=cast.other_org, user=cast.owner, role=Role.AUDITOR, access_ends_on="2099-01-01"
    )
    page = client_for(cast.owner).get("/o/other/")
    assert sorted(switcher_options(page.content.decode())) == [("clinic", False), ("other", True)]


def test_the_prompt_submitted_without_javascript_goes_home(cast: Cast) -> None:
    Membership.objects.create(
        organization=cast.other_org, user=cast.owner, role=Role.AUDITOR, access_ends_on="2099-01-01"
    )
    response = client_for(cast.owner).get("/?org=")
    assert response.status_code == 200
    assert b"Riverside Clinic" in response.content
