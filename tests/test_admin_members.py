"""Members pages: who may manage memberships, and what adding, changing and deactivating do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from safeguard.core.models import AuditEvent, Membership, User
from safeguard.core.roles import Role
from tests.conftest import Cast, client_for, make_member


def _state(cast: Cast) -> list[tuple[object, ...]]:
    rows = Membership.objects.filter(organization__in=[cast.org, cast.other_org]).order_by("pk")
    return [
        *rows.values_list("pk", "role", "access_ends_on", "is_active"),
        ("users", User.objects.count()),
        ("events", AuditEvent.objects.count()),
    ]


def _url(cast: Cast, name: str, *args: object) -> str:
    return reverse(f"core:{name}", args=[cast.org.slug, *args])


def _nurse(cast: Cast) -> Membership:
    return Membership.objects.get(organization=cast.org, user=cast.workforce)


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 403), ("workforce", 403), ("auditor", 403), ("outsider", 404), (None, 302)],
)
@pytest.mark.parametrize("page", ["members", "member_add", "member_edit"])
def test_member_pages_are_for_owners_only(cast: Cast, who: str | None, expected: int, page: str) -> None:
    args = [_nurse(cast).public_id] if page == "member_edit" else []
    before = _state(cast)
    response = client_for(getattr(cast, who) if who else None).get(_url(cast, page, *args))
    assert response.status_code == expected
    if who is None:
        assert response["Location"].startswith(reverse("login"))
    assert _state(cast) == before


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("official", 403), ("workforce", 403), ("auditor", 403), ("outsider", 404), (None, 302)],
)
def test_only_owners_can_add_members(cast: Cast, who: str | None, expected: int) -> None:
    before = _state(cast)
    response = client_for(getattr(cast, who) if who else None).post(
        _url(cast, "member_add"), {"email": "new@clinic.test", "role": Role.WORKFORCE}
    )
    assert response.status_code == expected
    if who == "owner":
        assert Membership.objects.filter(organization=cast.org, user__email="new@clinic.test").exists()
    else:
        assert _state(cast) == before


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 302), ("official", 403), ("workforce", 403), ("auditor", 403), ("outsider", 404), (None, 302)],
)
def test_only_owners_can_change_or_deactivate_members(cast: Cast, who: str | None, expected: int) -> None:
    nurse = _nurse(cast)
    client = client_for(getattr(cast, who) if who else None)
    before = _state(cast)
    edit = client.post(_url(cast, "member_edit", nurse.public_id), {"role": Role.MANAGER, "access_ends_on": ""})
    deactivate = client.post(_url(cast, "member_deactivate", nurse.public_id))
    assert (edit.status_code, deactivate.status_code) == (expected, expected)
    nurse.refresh_from_db()
    if who == "owner":
        assert (nurse.role, nurse.is_active) == (Role.MANAGER, False)
    else:
        assert _state(cast) == before


def test_list_shows_current_members_and_inactive_ones_apart(cast: Cast) -> None:
    leaver = make_member(cast.org, "leaver@clinic.test", Role.WORKFORCE, is_active=False)
    expired = make_member(
        cast.org,
        "old-auditor@firm.test",
        Role.AUDITOR,
        access_ends_on=timezone.localdate() - timedelta(days=1),
    )
    client = client_for(cast.owner)
    current = client.get(_url(cast, "members")).content.decode()
    inactive = client.get(_url(cast, "members") + "?show=inactive").content.decode()
    assert "nurse@clinic.test" in current and "auditor@firm.test" in current
    assert leaver.user.email not in current and expired.user.email not in current
    assert "owner@other.test" not in current
    assert leaver.user.email in inactive and expired.user.email in inactive
    assert "Deactivated" in inactive and "Access ended" in inactive
    assert "Current (4)" in current and "Inactive (2)" in current


def test_member_list_query_count_stays_flat(cast: Cast) -> None:
    client = client_for(cast.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url(cast, "members")).status_code == 200
        return len(queries)

    few = count()
    for number in range(26):
        make_member(cast.org, f"member{number}@clinic.test", Role.WORKFORCE)
    assert count() == few


def test_adding_a_member_creates_the_account_and_audits(cast: Cast) -> None:
    ends = timezone.localdate() + timedelta(days=60)
    response = client_for(cast.owner).post(
        _url(cast, "member_add"),
        {"email": "Assessor@Firm.test", "role": Role.AUDITOR, "access_ends_on": ends.isoformat()},
        follow=True,
    )
    assert "Added assessor@firm.test as Auditor" in response.content.decode()
    membership = Membership.objects.get(organization=cast.org, user__email="assessor@firm.test")
    assert (membership.role, membership.access_ends_on) == (Role.AUDITOR, ends)
    assert not membership.user.has_usable_password()
    event = AuditEvent.objects.get(organization=cast.org, action="membership.added")
    assert event.actor == cast.owner
    assert event.changes["role"] == [None, Role.AUDITOR]


def test_an_auditor_without_an_end_date_is_refused_on_the_field(cast: Cast) -> None:
    before = _state(cast)
    response = client_for(cast.owner).post(_url(cast, "member_add"), {"email": "a@firm.test", "role": Role.AUDITOR})
    assert response.status_code == 200
    assert response.context["form"].errors["access_ends_on"] == ["An auditor's access needs an end date."]
    assert _state(cast) == before


def test_adding_an_existing_member_again_is_refused(cast: Cast) -> None:
    before = _state(cast)
    response = client_for(cast.owner).post(
        _url(cast, "member_add"), {"email": "nurse@clinic.test", "role": Role.MANAGER}
    )
    assert response.status_code == 200
    assert "already a member" in response.context["form"].errors["email"][0]
    assert _state(cast) == before


def test_changing_a_role_records_before_and_after(cast: Cast) -> None:
    nurse = _nurse(cast)
    response = client_for(cast.owner).post(
        _url(cast, "member_edit", nurse.public_id), {"role": Role.PRIVACY_OFFICER, "access_ends_on": ""}
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(organization=cast.org, action="membership.changed")
    assert event.changes == {"role": [Role.WORKFORCE, Role.PRIVACY_OFFICER]}


def test_the_last_owner_cannot_be_demoted(cast: Cast) -> None:
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)
    before = _state(cast)
    response = client_for(cast.owner).post(
        _url(cast, "member_edit", owner.public_id), {"role": Role.WORKFORCE, "access_ends_on": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["role"] == ["An organization must keep at least one owner."]
    assert _state(cast) == before


def test_the_last_owner_cannot_be_deactivated(cast: Cast) -> None:
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)
    before = _state(cast)
    response = client_for(cast.owner).post(_url(cast, "member_deactivate", owner.public_id), follow=True)
    assert "An organization must keep at least one owner." in response.content.decode()
    assert _state(cast) == before


def test_deactivating_keeps_the_record_and_audits(cast: Cast) -> None:
    nurse = _nurse(cast)
    response = client_for(cast.owner).post(_url(cast, "member_deactivate", nurse.public_id))
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.is_active is False
    event = AuditEvent.objects.get(organization=cast.org, action="membership.deactivated")
    assert event.changes == {"is_active": [True, False]}


def test_deactivate_answers_only_post(cast: Cast) -> None:
    nurse = _nurse(cast)
    assert client_for(cast.owner).get(_url(cast, "member_deactivate", nurse.public_id)).status_code == 405
    nurse.refresh_from_db()
    assert nurse.is_active


def test_another_organizations_membership_is_not_found(cast: Cast) -> None:
    outsider = Membership.objects.get(organization=cast.other_org)
    before = _state(cast)
    client = client_for(cast.owner)
    assert client.get(_url(cast, "member_edit", outsider.public_id)).status_code == 404
    assert client.post(_url(cast, "member_deactivate", outsider.public_id)).status_code == 404
    assert _state(cast) == before


# --- the roles the matrix above leaves out: none of them manages the organization -------------------------------

OTHER_ROLES = [Role.MANAGER, Role.REVIEWER, Role.PRIVACY_OFFICER]


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_managers_reviewers_and_privacy_officers_cannot_touch_memberships(cast: Cast, role: str) -> None:
    member = make_member(cast.org, f"{role}@clinic.test", role).user
    nurse = _nurse(cast)
    client = client_for(member)
    before = _state(cast)

    pages = [
        client.get(_url(cast, "members")),
        client.get(_url(cast, "member_add")),
        client.get(_url(cast, "member_edit", nurse.public_id)),
    ]
    add = client.post(_url(cast, "member_add"), {"email": "new@clinic.test", "role": Role.OWNER})
    edit = client.post(_url(cast, "member_edit", nurse.public_id), {"role": Role.OWNER, "access_ends_on": ""})
    deactivate = client.post(_url(cast, "member_deactivate", nurse.public_id))

    assert [response.status_code for response in [*pages, add, edit, deactivate]] == [403] * 6
    assert _state(cast) == before


# --- an owner's access cannot end -------------------------------------------------------------------------------


def test_a_sole_owner_setting_an_end_date_on_themselves_is_refused_on_the_field(cast: Cast) -> None:
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)
    yesterday = timezone.localdate() - timedelta(days=1)
    before = _state(cast)

    response = client_for(cast.owner).post(
        _url(cast, "member_edit", owner.public_id), {"role": Role.OWNER, "access_ends_on": yesterday.isoformat()}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["access_ends_on"] == [
        "An owner's access cannot end; make someone else owner first."
    ]
    assert _state(cast) == before
    assert client_for(cast.owner).get(_url(cast, "members")).status_code == 200


# --- a deactivated member can be added back ---------------------------------------------------------------------


def test_adding_a_deactivated_member_gives_access_back_and_says_so(cast: Cast) -> None:
    nurse = _nurse(cast)
    client = client_for(cast.owner)
    assert client.post(_url(cast, "member_deactivate", nurse.public_id)).status_code == 302
    assert client_for(cast.workforce).get(reverse("core:obligation_list", args=[cast.org.slug])).status_code == 404

    response = client.post(_url(cast, "member_add"), {"email": "nurse@clinic.test", "role": Role.MANAGER}, follow=True)

    assert "Reactivated nurse@clinic.test as Manager." in response.content.decode()
    nurse.refresh_from_db()
    assert (nurse.is_active, nurse.role) == (True, Role.MANAGER)
    event = AuditEvent.objects.get(organization=cast.org, action="membership.reactivated")
    assert event.changes == {"is_active": [False, True], "role": [Role.WORKFORCE, Role.MANAGER]}
    assert client_for(cast.workforce).get(reverse("core:obligation_list", args=[cast.org.slug])).status_code == 200


def test_a_deactivated_members_page_explains_how_to_give_access_back(cast: Cast) -> None:
    nurse = _nurse(cast)
    Membership.objects.filter(pk=nurse.pk).update(is_active=False)

    page = client_for(cast.owner).get(_url(cast, "member_edit", nurse.public_id)).content.decode()

    assert "Give access back" in page
    assert _url(cast, "member_add") in page
    assert _url(cast, "member_deactivate", nurse.public_id) not in page


# --- demoting or deactivating yourself lands at home, not on a page you may no longer see ------------------------


@pytest.fixture
def co_owner(cast: Cast) -> Membership:
    return make_member(cast.org, "co-owner@clinic.test", Role.OWNER)


def test_demoting_yourself_goes_home_with_the_message(cast: Cast, co_owner: Membership) -> None:
    client = client_for(co_owner.user)

    response = client.post(
        _url(cast, "member_edit", co_owner.public_id), {"role": Role.WORKFORCE, "access_ends_on": ""}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    co_owner.refresh_from_db()
    assert co_owner.role == Role.WORKFORCE
    assert AuditEvent.objects.get(action="membership.changed").changes == {"role": [Role.OWNER, Role.WORKFORCE]}
    landing = client.get(response["Location"], follow=True)
    assert landing.status_code == 200
    assert escape("Saved co-owner@clinic.test's membership.") in landing.content.decode()


def test_deactivating_yourself_goes_home_with_the_message(cast: Cast, co_owner: Membership) -> None:
    client = client_for(co_owner.user)

    response = client.post(_url(cast, "member_deactivate", co_owner.public_id))

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    co_owner.refresh_from_db()
    assert co_owner.is_active is False
    landing = client.get(response["Location"], follow=True)
    assert landing.status_code == 200
    assert f"co-owner@clinic.test no longer has access to {cast.org.name}." in landing.content.decode()


def test_ending_your_own_access_yesterday_as_a_demoted_auditor_goes_home(cast: Cast, co_owner: Membership) -> None:
    yesterday = timezone.localdate() - timedelta(days=1)

    response = client_for(co_owner.user).post(
        _url(cast, "member_edit", co_owner.public_id), {"role": Role.AUDITOR, "access_ends_on": yesterday.isoformat()}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    co_owner.refresh_from_db()
    assert (co_owner.role, co_owner.access_ends_on) == (Role.AUDITOR, yesterday)


def test_changing_someone_else_still_returns_to_the_member_list(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        _url(cast, "member_edit", _nurse(cast).public_id), {"role": Role.REVIEWER, "access_ends_on": ""}
    )

    assert response.status_code == 302
    assert response["Location"] == _url(cast, "members")
