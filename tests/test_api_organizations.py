"""Organizations and members over the API: the caller's orgs, details, settings, membership changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.models import AuditEvent, Membership, Organization
from safeguard.core.roles import Role
from tests.conftest import Cast, make_member, make_user
from tests.test_api_support import api_client, audit_count, client_as, error_of

ORG = "/api/v1/orgs/clinic/"
MEMBERS = f"{ORG}members/"
MATRIX_MANAGE_ORG = [("owner", 200), ("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def queries(request: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        request()
    return len(ctx.captured_queries)


# ---- my organizations -----------------------------------------------------------------------------------------


def test_my_orgs_lists_current_memberships_with_role(cast: Cast) -> None:
    response = api_client(cast.auditor).get("/api/v1/orgs/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0]["slug"] == "clinic"
    assert body["results"][0]["role"] == Role.AUDITOR
    assert body["results"][0]["access_ends_on"] is not None


def test_my_orgs_leaves_out_other_and_ended_memberships(cast: Cast) -> None:
    Membership.objects.filter(user=cast.auditor).update(access_ends_on=timezone.localdate() - timedelta(days=1))
    assert api_client(cast.auditor).get("/api/v1/orgs/").json()["count"] == 0
    slugs = [r["slug"] for r in api_client(cast.outsider).get("/api/v1/orgs/").json()["results"]]
    assert slugs == ["other"]


def test_my_orgs_needs_authentication(cast: Cast) -> None:
    assert api_client(None).get("/api/v1/orgs/").status_code == 401


def test_my_orgs_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.outsider)

    def count_for(n: int) -> int:
        for i in range(Membership.objects.filter(user=cast.outsider).count(), n):
            org = Organization.objects.create(slug=f"org-{i}", name=f"Org {i}", mfa_required=False)
            Membership.objects.create(organization=org, user=cast.outsider, role=Role.REVIEWER)
        return queries(lambda: client.get("/api/v1/orgs/"))

    assert count_for(3) == count_for(30)


# ---- one organization ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"), [("owner", 200), ("workforce", 200), ("auditor", 200), ("outsider", 404), ("anonymous", 401)]
)
def test_org_details_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_as(cast, who).get(ORG)
    assert response.status_code == expected
    if expected == 200:
        body = response.json()
        assert body["kind"] == Organization.Kind.COVERED_ENTITY
        assert body["mfa_required"] is False
        assert body["is_clearinghouse"] is False
        assert body["is_group_health_plan"] is False


@pytest.mark.parametrize(("who", "expected"), MATRIX_MANAGE_ORG)
def test_org_settings_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_as(cast, who).patch(ORG, {"name": "Renamed", "is_clearinghouse": True}, format="json")
    assert response.status_code == expected
    cast.org.refresh_from_db()
    if expected == 200:
        assert (cast.org.name, cast.org.is_clearinghouse) == ("Renamed", True)
        event = AuditEvent.objects.get(action="organization.settings_changed")
        assert event.actor == cast.owner
        assert event.changes["name"] == ["Riverside Clinic", "Renamed"]
    else:
        assert (cast.org.name, cast.org.is_clearinghouse) == ("Riverside Clinic", False)
        assert audit_count() == before


def test_org_settings_malformed_body_names_the_field(cast: Cast) -> None:
    response = api_client(cast.owner).patch(ORG, {"kind": "hospital", "mfa_required": "perhaps"}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"kind", "mfa_required"}
    cast.org.refresh_from_db()
    assert cast.org.kind == Organization.Kind.COVERED_ENTITY


# ---- members ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), MATRIX_MANAGE_ORG)
def test_member_list_matrix(cast: Cast, who: str, expected: int) -> None:
    response = client_as(cast, who).get(MEMBERS)
    assert response.status_code == expected
    if expected == 200:
        emails = [r["user"]["email"] for r in response.json()["results"]]
        assert emails == sorted(["owner@clinic.test", "so@clinic.test", "nurse@clinic.test", "auditor@firm.test"])


def test_member_list_paginates_and_query_count_is_flat(cast: Cast) -> None:
    client = api_client(cast.owner)

    def count_for(n: int) -> int:
        for i in range(Membership.objects.filter(organization=cast.org).count(), n):
            make_member(cast.org, f"person{i}@clinic.test", Role.REVIEWER)
        return queries(lambda: client.get(MEMBERS))

    assert count_for(4) == count_for(60)
    first = client.get(MEMBERS).json()
    assert first["count"] == 60
    assert len(first["results"]) == 50
    assert first["next"] is not None
    assert len(client.get(MEMBERS, {"page": 2}).json()["results"]) == 10
    assert len(client.get(MEMBERS, {"page_size": 5}).json()["results"]) == 5


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *MATRIX_MANAGE_ORG[1:]])
def test_member_add_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()
    response = client_as(cast, who).post(MEMBERS, {"email": "new@clinic.test", "role": "reviewer"}, format="json")
    assert response.status_code == expected
    added = Membership.objects.filter(organization=cast.org, user__email="new@clinic.test")
    if expected == 201:
        assert added.get().role == Role.REVIEWER
        assert response.json()["public_id"] == str(added.get().public_id)
        assert AuditEvent.objects.filter(action="membership.added", organization=cast.org).exists()
    else:
        assert not added.exists()
        assert audit_count() == before


def test_member_add_auditor_needs_an_end_date(cast: Cast) -> None:
    response = api_client(cast.owner).post(MEMBERS, {"email": "a@firm.test", "role": "auditor"}, format="json")
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["fields"] == {"access_ends_on": ["An auditor's access needs an end date."]}
    assert not Membership.objects.filter(user__email="a@firm.test").exists()


def test_member_add_malformed_body_names_every_field(cast: Cast) -> None:
    response = api_client(cast.owner).post(
        MEMBERS, {"email": "not-an-email", "role": "king", "access_ends_on": "soon"}, format="json"
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"email", "role", "access_ends_on"}


def _workforce_member(cast: Cast) -> Membership:
    return Membership.objects.get(organization=cast.org, user=cast.workforce)


@pytest.mark.parametrize(("who", "expected"), MATRIX_MANAGE_ORG)
def test_member_change_matrix(cast: Cast, who: str, expected: int) -> None:
    member = _workforce_member(cast)
    before = audit_count()
    response = client_as(cast, who).patch(f"{MEMBERS}{member.public_id}/", {"role": "reviewer"}, format="json")
    assert response.status_code == expected
    member.refresh_from_db()
    if expected == 200:
        assert member.role == Role.REVIEWER
        assert AuditEvent.objects.get(action="membership.changed").changes["role"] == ["workforce", "reviewer"]
    else:
        assert member.role == Role.WORKFORCE
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 204), *MATRIX_MANAGE_ORG[1:]])
def test_member_deactivate_matrix(cast: Cast, who: str, expected: int) -> None:
    member = _workforce_member(cast)
    before = audit_count()
    response = client_as(cast, who).delete(f"{MEMBERS}{member.public_id}/")
    assert response.status_code == expected
    member.refresh_from_db()
    assert member.is_active is (expected != 204)
    if expected != 204:
        assert audit_count() == before
    else:
        assert AuditEvent.objects.filter(action="membership.deactivated").count() == 1


def test_last_owner_cannot_be_removed_or_demoted(cast: Cast) -> None:
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)
    client = api_client(cast.owner)
    before = audit_count()
    demote = client.patch(f"{MEMBERS}{owner.public_id}/", {"role": "reviewer"}, format="json")
    assert demote.status_code == 400
    assert error_of(demote)["fields"] == {"role": ["An organization must keep at least one owner."]}
    remove = client.delete(f"{MEMBERS}{owner.public_id}/")
    assert remove.status_code == 400
    owner.refresh_from_db()
    assert (owner.role, owner.is_active) == (Role.OWNER, True)
    assert audit_count() == before


def test_member_of_another_org_is_404_even_for_an_owner(cast: Cast) -> None:
    foreign = Membership.objects.get(organization=cast.other_org, user=cast.outsider)
    client = api_client(cast.owner)
    assert client.patch(f"{MEMBERS}{foreign.public_id}/", {"role": "reviewer"}, format="json").status_code == 404
    assert client.delete(f"{MEMBERS}{foreign.public_id}/").status_code == 404
    # Through the outsider's own org the clinic's members are just as invisible.
    clinic_member = _workforce_member(cast)
    response = api_client(cast.outsider).delete(f"/api/v1/orgs/other/members/{clinic_member.public_id}/")
    assert response.status_code == 404
    foreign.refresh_from_db()
    clinic_member.refresh_from_db()
    assert foreign.role == Role.OWNER and clinic_member.is_active


def test_existing_account_is_reused_when_added(cast: Cast) -> None:
    person = make_user("known@else.test")
    response = api_client(cast.owner).post(MEMBERS, {"email": "KNOWN@else.test", "role": "manager"}, format="json")
    assert response.status_code == 201
    assert response.json()["user"]["public_id"] == str(person.public_id)


def test_a_sole_owners_end_date_is_refused_on_the_field(cast: Cast) -> None:
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)
    yesterday = timezone.localdate() - timedelta(days=1)
    before = audit_count()

    response = api_client(cast.owner).patch(
        f"{MEMBERS}{owner.public_id}/", {"access_ends_on": yesterday.isoformat()}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {
        "access_ends_on": ["An owner's access cannot end; make someone else owner first."]
    }
    owner.refresh_from_db()
    assert owner.access_ends_on is None
    assert audit_count() == before
    assert api_client(cast.owner).get(MEMBERS).status_code == 200


def test_adding_a_deactivated_member_reactivates_the_membership(cast: Cast) -> None:
    nurse = _workforce_member(cast)
    client = api_client(cast.owner)
    assert client.delete(f"{MEMBERS}{nurse.public_id}/").status_code == 204

    response = client.post(MEMBERS, {"email": "nurse@clinic.test", "role": "reviewer"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["public_id"], body["role"], body["is_active"]) == (str(nurse.public_id), "reviewer", True)
    event = AuditEvent.objects.get(action="membership.reactivated")
    assert event.changes == {"is_active": [False, True], "role": [Role.WORKFORCE, Role.REVIEWER]}
