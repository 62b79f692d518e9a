"""Organization settings: owners only; every change audited; the applicability flags drive "not applicable"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from safeguard.core.models import AuditEvent, Organization
from safeguard.core.roles import Role
from tests.conftest import Cast, client_for, make_member

VALID = {"name": "Riverside Clinic", "kind": "covered_entity", "is_clearinghouse": "on"}


def _state(cast: Cast) -> list[tuple[object, ...]]:
    orgs = Organization.objects.order_by("pk").values_list(
        "name", "kind", "mfa_required", "is_clearinghouse", "is_group_health_plan"
    )
    return [*orgs, ("events", AuditEvent.objects.count())]


def _url(cast: Cast) -> str:
    return reverse("core:org_settings", args=[cast.org.slug])


@pytest.mark.parametrize(
    ("who", "get_status", "post_status"),
    [
        ("owner", 200, 302),
        ("official", 403, 403),
        ("workforce", 403, 403),
        ("auditor", 403, 403),
        ("outsider", 404, 404),
        (None, 302, 302),
    ],
)
def test_settings_are_for_owners_only(cast: Cast, who: str | None, get_status: int, post_status: int) -> None:
    client = client_for(getattr(cast, who) if who else None)
    before = _state(cast)
    assert client.get(_url(cast)).status_code == get_status
    response = client.post(_url(cast), VALID)
    assert response.status_code == post_status
    if who is None:
        assert response["Location"].startswith(reverse("login"))
    if who == "owner":
        cast.org.refresh_from_db()
        assert cast.org.is_clearinghouse is True
    else:
        assert _state(cast) == before


def test_page_explains_what_the_flags_decide(cast: Cast) -> None:
    page = client_for(cast.owner).get(_url(cast)).content.decode()
    assert "not applicable" in page
    assert "164.308(a)(4)(ii)(A)" in page and "164.314(b)" in page


def test_saving_records_each_changed_field(cast: Cast) -> None:
    data = {"name": "Riverside Family Clinic", "kind": "hybrid", "mfa_required": "on"}
    response = client_for(cast.owner).post(_url(cast), data, follow=True)
    assert "Settings saved." in response.content.decode()
    cast.org.refresh_from_db()
    assert (cast.org.name, cast.org.kind, cast.org.mfa_required) == ("Riverside Family Clinic", "hybrid", True)
    event = AuditEvent.objects.get(organization=cast.org, action="organization.settings_changed")
    assert event.actor == cast.owner
    assert event.changes == {
        "kind": ["covered_entity", "hybrid"],
        "mfa_required": [False, True],
        "name": ["Riverside Clinic", "Riverside Family Clinic"],
    }


def test_saving_unchanged_settings_writes_nothing(cast: Cast) -> None:
    before = _state(cast)
    data = {"name": "Riverside Clinic", "kind": "covered_entity"}
    response = client_for(cast.owner).post(_url(cast), data, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert _state(cast) == before


def test_invalid_input_changes_nothing(cast: Cast) -> None:
    before = _state(cast)
    response = client_for(cast.owner).post(_url(cast), {"name": "", "kind": "spaceship"})
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"name", "kind"}
    assert _state(cast) == before


def test_mfa_is_on_by_default_for_a_new_organization(db: None) -> None:
    assert Organization(slug="x", name="X").mfa_required is True


@pytest.mark.parametrize("role", [Role.MANAGER, Role.REVIEWER, Role.PRIVACY_OFFICER])
def test_managers_reviewers_and_privacy_officers_cannot_change_settings(cast: Cast, role: str) -> None:
    client = client_for(make_member(cast.org, f"{role}@clinic.test", role).user)
    before = _state(cast)

    assert client.get(_url(cast)).status_code == 403
    assert client.post(_url(cast), VALID).status_code == 403

    assert _state(cast) == before
