"""Refusals and missing records get a page that says what happened, in the site's layout."""

from tests.conftest import Cast, client_for


def test_forbidden_page_explains_the_role_limit(cast: Cast) -> None:
    response = client_for(cast.auditor).get("/o/clinic/members/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You can't do that here" in body
    assert "does not allow this" in body
    assert "Sign out" in body, "rendered inside the site's layout"


def test_not_found_page_does_not_reveal_whether_the_record_exists(cast: Cast) -> None:
    foreign = client_for(cast.outsider).get("/o/clinic/")
    missing = client_for(cast.outsider).get("/o/no-such-org/")
    assert foreign.status_code == missing.status_code == 404
    for response in (foreign, missing):
        body = response.content.decode()
        assert "<h1>Not found</h1>" in body
        assert "Riverside" not in body
