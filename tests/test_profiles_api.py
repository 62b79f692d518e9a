"""Role profiles and access beyond profile over the API: CRUD, grants, matched counts, authorization matrices,
isolation, error messages, audit events and flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.access.models import ProfileGrant, RoleProfile
from safeguard.core.roles import Role
from tests import access_factories as make
from tests.conftest import Cast, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_profiles_support import events

BASE = "/api/v1/orgs/clinic/profiles/"
BEYOND = "/api/v1/orgs/clinic/beyond-profile/"
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
DENIED_WRITE = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]


def detail(profile: RoleProfile) -> str:
    return f"{BASE}{profile.public_id}/"


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_list_matrix(cast: Cast, who: str, expected: int) -> None:
    make.profile(cast.org, "Nurses", job_role="Nurse")
    make.profile(cast.other_org, "Theirs")

    response = client_as(cast, who).get(BASE)

    assert response.status_code == expected
    if expected == 200:
        assert [row["name"] for row in response.json()["results"]] == ["Nurses"]


def test_a_manager_reads_profiles(cast: Cast) -> None:
    manager = make_member(cast.org, "m@clinic.test", Role.MANAGER).user
    assert api_client(manager).get(BASE).status_code == 200
    assert api_client(manager).post(BASE, {"name": "X"}, format="json").status_code == 403


def test_list_shows_grants_and_matched_people(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "charting", False), (ehr, "*", True)])
    make.person(cast.org, "E-1")
    make.person(cast.org, "E-2", job_role="NURSE")
    make.person(cast.org, "E-3", job_role="Clerk")

    row = api_client(cast.owner).get(BASE).json()["results"][0]

    assert row["matched_people"] == 2
    assert [(g["system"]["name"], g["role"], g["privileged"]) for g in row["grants"]] == [
        ("EHR", "*", True),
        ("EHR", "charting", False),
    ]
    assert row["grants"][0]["system"]["public_id"] == str(ehr.public_id)


def test_list_query_count_does_not_grow_with_profiles(cast: Cast) -> None:
    ehr, lab = make.system(cast.org, "EHR"), make.system(cast.org, "Lab")
    client = api_client(cast.owner)
    for n in range(3):
        make.profile(cast.org, f"P{n:02}", job_role=f"J{n}", grants=[(ehr, "a", False), (lab, "b", True)])
    with CaptureQueriesContext(connection) as few:
        assert client.get(BASE).status_code == 200
    for n in range(3, 30):
        make.profile(cast.org, f"P{n:02}", job_role=f"J{n}", grants=[(ehr, "a", False), (lab, "b", True)])
        make.person(cast.org, f"E-{n}", job_role=f"J{n}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(BASE).status_code == 200

    assert len(many) == len(few)


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), *DENIED_WRITE])
def test_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()

    response = client_as(cast, who).post(BASE, {"name": "Nurses", "job_role": "Nurse"}, format="json")

    assert response.status_code == expected
    if expected == 201:
        assert response.json()["matched_people"] == 0
        assert events("access.profile.created")[0].object_id == response.json()["public_id"]
    else:
        assert not RoleProfile.objects.exists()
        assert audit_count() == before


def test_create_names_the_clash(cast: Cast) -> None:
    make.profile(cast.org, "Nurses", department="Nursing", job_role="Nurse")
    client = api_client(cast.owner)

    by_name = client.post(BASE, {"name": "nurses"}, format="json")
    by_job = client.post(BASE, {"name": "RNs", "department": "NURSING", "job_role": "nurse"}, format="json")

    assert error_of(by_name)["fields"] == {"name": ["Another profile is already named “nurses”: pick another name."]}
    assert error_of(by_job)["fields"] == {
        "job_role": [
            "The profile “Nurses” already covers job role “Nurse” in department “Nursing”: add grants to it rather "
            "than a second profile for the same job."
        ]
    }


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_detail_matrix(cast: Cast, who: str, expected: int) -> None:
    profile = make.profile(cast.org, "Nurses")
    assert client_as(cast, who).get(detail(profile)).status_code == expected


def test_patch_and_delete(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    profile = make.profile(cast.org, "Nurses", grants=[(ehr, "charting", False)])
    client = api_client(cast.owner)

    patched = client.patch(detail(profile), {"requires_clearance": True}, format="json")
    deleted = client.delete(detail(profile))

    assert patched.json()["requires_clearance"] is True
    assert patched.json()["name"] == "Nurses"
    assert deleted.status_code == 204
    assert not RoleProfile.objects.exists()
    assert events("access.profile.updated")[0].changes == {"requires_clearance": [False, True]}
    assert events("access.profile.deleted")[0].changes["grants"][0] == [
        {"system": "EHR", "role": "charting", "privileged": False}
    ]


@pytest.mark.parametrize(("who", "expected"), DENIED_WRITE)
def test_denied_changes_leave_the_profile_alone(cast: Cast, who: str, expected: int) -> None:
    ehr = make.system(cast.org, "EHR")
    profile = make.profile(cast.org, "Nurses", grants=[(ehr, "charting", False)])
    client = client_as(cast, who)
    before = audit_count()
    grant = {"system_id": str(ehr.public_id), "role": "charting"}

    answers = [
        client.patch(detail(profile), {"name": "X"}, format="json").status_code,
        client.post(f"{detail(profile)}grants/", {**grant, "role": "admin"}, format="json").status_code,
        client.post(f"{detail(profile)}grants/remove/", grant, format="json").status_code,
        client.delete(detail(profile)).status_code,
    ]

    assert answers == [expected] * 4
    assert list(RoleProfile.objects.values_list("name", flat=True)) == ["Nurses"]
    assert ProfileGrant.objects.count() == 1
    assert audit_count() == before


def test_another_organizations_profile_is_not_found(cast: Cast) -> None:
    theirs = make.profile(cast.other_org, "Theirs")
    client = api_client(cast.owner)

    assert error_of(client.get(detail(theirs)))["code"] == "not_found"
    assert client.delete(detail(theirs)).status_code == 404
    assert client.get(f"{detail(theirs)}grants/").status_code == 404
    assert RoleProfile.objects.filter(pk=theirs.pk).exists()


def test_grants_add_list_and_remove(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    profile = make.profile(cast.org, "Nurses")
    client = api_client(cast.owner)
    grants = f"{detail(profile)}grants/"

    added = client.post(
        grants, {"system_id": str(ehr.public_id), "role": "charting", "privileged": True}, format="json"
    )
    listed = client.get(grants).json()["results"]
    removed = client.post(f"{grants}remove/", {"system_id": str(ehr.public_id), "role": "CHARTING"}, format="json")

    assert added.status_code == 201
    assert added.json() == {
        "system": {"public_id": str(ehr.public_id), "name": "EHR"},
        "role": "charting",
        "privileged": True,
    }
    assert [row["role"] for row in listed] == ["charting"]
    assert removed.json()["grants"] == []
    assert [e.changes["grant"][0] for e in events("access.profile.grant_removed")] == [
        {"system": "EHR", "role": "charting", "privileged": True}
    ]


def test_grant_errors_name_the_api_field(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    theirs = make.system(cast.other_org, "Theirs")
    profile = make.profile(cast.org, "Nurses", grants=[(ehr, "charting", False)])
    client = api_client(cast.owner)
    grants = f"{detail(profile)}grants/"

    foreign = client.post(grants, {"system_id": str(theirs.public_id), "role": "x"}, format="json")
    duplicate = client.post(grants, {"system_id": str(ehr.public_id), "role": "Charting"}, format="json")
    missing = client.post(f"{grants}remove/", {"system_id": str(ehr.public_id), "role": "admin"}, format="json")

    assert error_of(foreign)["fields"] == {"system_id": ["No such system in this organization."]}
    assert error_of(duplicate)["fields"] == {
        "role": ["The profile already allows “Charting” on EHR: remove that grant first to change it."]
    }
    assert error_of(missing)["fields"] == {"role": ["The profile has no grant of “admin” on EHR."]}


# ---- access beyond profile ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_beyond_profile_matrix(cast: Cast, who: str, expected: int) -> None:
    assert client_as(cast, who).get(BEYOND).status_code == expected


def test_beyond_profile_lists_uncovered_entitlements(cast: Cast) -> None:
    ehr, lab = make.system(cast.org, "EHR"), make.system(cast.org, "Lab")
    dana = make.person(cast.org, "E-1", name="Dana Reyes")
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "charting", False)])
    make.snapshot(ehr, [{"username": "dreyes", "person": dana, "roles": ["charting", "billing"]}])
    make.snapshot(lab, [{"username": "dana", "person": dana, "roles": []}])
    client = api_client(cast.owner)

    rows = client.get(BEYOND).json()["results"]
    only_lab = client.get(BEYOND, {"system_id": str(lab.public_id)}).json()["results"]

    assert sorted((row["system"]["name"], row["username"], row["missing"]) for row in rows) == [
        ("EHR", "dreyes", ["billing"]),
        ("Lab", "dana", ["access"]),
    ]
    assert rows[0]["person"]["employee_id"] == "E-1"
    assert [row["username"] for row in only_lab] == ["dana"]


def test_beyond_profile_refuses_another_organizations_system(cast: Cast) -> None:
    theirs = make.system(cast.other_org, "Theirs")
    response = api_client(cast.owner).get(BEYOND, {"system_id": str(theirs.public_id)})
    assert error_of(response)["fields"] == {"system_id": ["No such system in this organization."]}


def test_beyond_profile_query_count_is_flat(cast: Cast) -> None:
    ehr, lab = make.system(cast.org, "EHR"), make.system(cast.org, "Lab")
    people = [make.person(cast.org, f"E-{n}") for n in range(30)]
    make.snapshot(ehr, [{"username": f"u{n}", "person": people[n], "roles": ["x"]} for n in range(3)])
    client = api_client(cast.owner)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(BEYOND).json()["results"]) == 3
    make.snapshot(lab, [{"username": f"u{n}", "person": people[n], "roles": ["y"]} for n in range(30)])
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(BEYOND).json()["results"]) == 33

    assert len(many) == len(few)
