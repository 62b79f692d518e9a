"""Role profile pages over HTTP: who may read and change them, grants, the roster's jobs with no profile, access
beyond profile with its "request an exception" links, isolation, the audit trail and flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from safeguard.access.models import AccessException, ProfileGrant, RoleProfile
from safeguard.core.models import AuditEvent
from tests import access_factories as make
from tests.conftest import Cast, client_for
from tests.test_profiles_support import TODAY, Team, events, requested, team, who


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"access:{name}", args=[org, *args])


@pytest.fixture
def crew(cast: Cast) -> Team:
    return team(cast)


READERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("maria", 200),
    ("reviewer", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
]
WRITERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("maria", 403),
    ("reviewer", 403),
    ("auditor", 403),
    ("workforce", 403),
    ("outsider", 404),
]


@pytest.mark.parametrize("page", ["profile_list", "profile_gaps", "profile_detail", "beyond_profile"])
@pytest.mark.parametrize(("name", "expected"), READERS)
def test_program_viewers_read_the_profile_pages(cast: Cast, crew: Team, page: str, name: str, expected: int) -> None:
    profile = make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(crew.ehr, "charting", False)])
    args = [profile.public_id] if page == "profile_detail" else []

    response = client_for(who(cast, crew, name)).get(url(page, *args))

    assert response.status_code == expected


@pytest.mark.parametrize("page", ["profile_create", "profile_edit"])
@pytest.mark.parametrize(("name", "expected"), WRITERS)
def test_only_program_managers_open_the_profile_forms(
    cast: Cast, crew: Team, page: str, name: str, expected: int
) -> None:
    profile = make.profile(cast.org, "Nurses", job_role="Nurse")
    args = [profile.public_id] if page == "profile_edit" else []
    assert client_for(who(cast, crew, name)).get(url(page, *args)).status_code == expected


@pytest.mark.parametrize(("name", "expected"), [row for row in WRITERS if row[1] != 200])
def test_denied_profile_writes_change_nothing(cast: Cast, crew: Team, name: str, expected: int) -> None:
    profile = make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(crew.ehr, "charting", False)])
    client = client_for(who(cast, crew, name))
    before = AuditEvent.objects.count()
    grant = {"system": str(crew.ehr.public_id), "role": "charting"}

    answers = [
        client.post(url("profile_create"), {"name": "Clerks"}).status_code,
        client.post(url("profile_edit", profile.public_id), {"name": "Renamed"}).status_code,
        client.post(url("profile_grant_add", profile.public_id), {**grant, "role": "admin"}).status_code,
        client.post(url("profile_grant_remove", profile.public_id), grant).status_code,
        client.post(url("profile_delete", profile.public_id), {"confirm": "on"}).status_code,
    ]

    assert answers == [expected] * 5
    assert list(RoleProfile.objects.values_list("name", flat=True)) == ["Nurses"]
    assert list(ProfileGrant.objects.values_list("role", flat=True)) == ["charting"]
    assert AuditEvent.objects.count() == before


def test_another_organizations_profile_is_not_found(cast: Cast, crew: Team) -> None:
    theirs = make.profile(cast.other_org, "Theirs")
    client = client_for(cast.owner)

    assert client.get(url("profile_detail", theirs.public_id)).status_code == 404
    assert client.get(url("profile_edit", theirs.public_id)).status_code == 404
    assert client.post(url("profile_delete", theirs.public_id), {"confirm": "on"}).status_code == 404
    grant = {"system": str(crew.ehr.public_id), "role": "x"}
    assert client.post(url("profile_grant_add", theirs.public_id), grant).status_code == 404
    assert RoleProfile.objects.filter(pk=theirs.pk).exists()


# ---- writing --------------------------------------------------------------------------------------------------


def test_create_then_edit_a_profile(cast: Cast) -> None:
    client = client_for(cast.official)

    created = client.post(url("profile_create"), {"name": "Nurses", "department": "Nursing", "job_role": "Nurse"})
    profile = RoleProfile.objects.get()
    edited = client.post(url("profile_edit", profile.public_id), {"name": "Ward nurses", "job_role": "Nurse"})

    assert created["Location"] == url("profile_detail", profile.public_id)
    assert edited.status_code == 302
    profile.refresh_from_db()
    assert (profile.name, profile.department) == ("Ward nurses", "")
    assert events("access.profile.updated")[0].changes == {
        "department": ["Nursing", ""],
        "name": ["Nurses", "Ward nurses"],
    }


def test_a_duplicate_job_is_shown_on_the_form(cast: Cast) -> None:
    make.profile(cast.org, "Nurses", job_role="Nurse")

    response = client_for(cast.owner).post(url("profile_create"), {"name": "RNs", "job_role": "nurse"})

    assert response.status_code == 200
    assert (
        escape("The profile “Nurses” already covers job role “Nurse” in every department") in response.content.decode()
    )
    assert RoleProfile.objects.count() == 1


def test_the_gap_link_prefills_the_new_profile(cast: Cast) -> None:
    response = client_for(cast.owner).get(url("profile_create"), {"department": "Front desk", "job_role": "Clerk"})
    assert response.context["form"].initial["job_role"] == "Clerk"
    assert response.context["form"].initial["department"] == "Front desk"


def test_add_and_remove_grants_from_the_detail_page(cast: Cast, crew: Team) -> None:
    profile = make.profile(cast.org, "Nurses", job_role="Nurse")
    client = client_for(cast.owner)

    added = client.post(
        url("profile_grant_add", profile.public_id),
        {"system": str(crew.ehr.public_id), "role": "charting", "privileged": "on"},
    )
    page = client.get(url("profile_detail", profile.public_id)).content.decode()
    removed = client.post(
        url("profile_grant_remove", profile.public_id), {"system": str(crew.ehr.public_id), "role": "charting"}
    )

    assert added.status_code == removed.status_code == 302
    assert "charting" in page and "Remove charting on EHR" in page
    assert not ProfileGrant.objects.exists()
    assert [
        e.action for e in AuditEvent.objects.filter(action__startswith="access.profile.grant").order_by("sequence")
    ] == [
        "access.profile.grant_added",
        "access.profile.grant_removed",
    ]


def test_a_refused_grant_shows_the_reason_on_the_detail_page(cast: Cast, crew: Team) -> None:
    profile = make.profile(cast.org, "Nurses", grants=[(crew.ehr, "charting", False)])

    response = client_for(cast.owner).post(
        url("profile_grant_add", profile.public_id), {"system": str(crew.ehr.public_id), "role": "Charting"}
    )

    assert response.status_code == 200
    assert escape("The profile already allows “Charting” on EHR") in response.content.decode()


def test_a_grant_on_another_organizations_system_is_refused(cast: Cast) -> None:
    profile = make.profile(cast.org, "Nurses")
    theirs = make.system(cast.other_org, "Their EHR")

    response = client_for(cast.owner).post(
        url("profile_grant_add", profile.public_id), {"system": str(theirs.public_id), "role": "x"}
    )

    assert response.status_code == 200
    assert not ProfileGrant.objects.exists()


def test_delete_needs_confirmation_and_is_audited(cast: Cast, crew: Team) -> None:
    profile = make.profile(cast.org, "Nurses", grants=[(crew.ehr, "charting", False)])
    client = client_for(cast.owner)

    unconfirmed = client.post(url("profile_delete", profile.public_id), {})
    assert RoleProfile.objects.exists()
    confirmed = client.post(url("profile_delete", profile.public_id), {"confirm": "on"})

    assert unconfirmed["Location"] == url("profile_detail", profile.public_id)
    assert confirmed["Location"] == url("profile_list")
    assert not RoleProfile.objects.exists()
    assert events("access.profile.deleted")[0].changes["grants"][0] == [
        {"system": "EHR", "role": "charting", "privileged": False}
    ]


# ---- reading --------------------------------------------------------------------------------------------------


def test_the_list_shows_grants_matched_people_and_the_gap(cast: Cast, crew: Team) -> None:
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(crew.ehr, "charting", True)])
    make.person(cast.org, "E-9", department="Front desk", job_role="Clerk")

    response = client_for(cast.auditor).get(url("profile_list"))

    body = response.content.decode()
    assert [(p.name, n) for p, n in response.context["rows"]] == [("Nurses", 2)]  # Dana and Sam are nurses
    assert "charting on EHR" in body and "(privileged)" in body
    assert response.context["uncovered_people"] == 3  # Maria, Omar (managers) and the clerk


def test_the_gap_page_lists_jobs_with_no_profile_and_links_to_create_one(cast: Cast, crew: Team) -> None:
    make.profile(cast.org, "Nurses", job_role="Nurse")

    response = client_for(cast.owner).get(url("profile_gaps"))

    body = response.content.decode()
    assert [(g.job_role, g.people) for g in response.context["page"].object_list] == [("Manager", 2)]
    assert f"{url('profile_create')}?name=Manager&amp;department=Nursing&amp;job_role=Manager" in body


def test_the_detail_lists_matched_people(cast: Cast, crew: Team) -> None:
    profile = make.profile(cast.org, "Managers", job_role="manager")

    response = client_for(cast.owner).get(url("profile_detail", profile.public_id))

    assert [p.employee_id for p in response.context["page"].object_list] == ["E-101", "E-100"]  # by family name


def _flat(client: object, address: str, grow: object) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as few:
        assert client.get(address).status_code == 200  # type: ignore[attr-defined]
    grow()  # type: ignore[operator]
    with CaptureQueriesContext(connection) as many:
        assert client.get(address).status_code == 200  # type: ignore[attr-defined]
    return len(few), len(many)


def test_list_and_gap_pages_make_the_same_queries_for_3_or_30_profiles(cast: Cast, crew: Team) -> None:
    lab = make.system(cast.org, "Lab")
    for n in range(3):
        make.profile(cast.org, f"P{n:02}", job_role=f"Job {n}", grants=[(crew.ehr, "a", False), (lab, "b", True)])
        make.person(cast.org, f"G-{n}", job_role=f"Gap {n}")

    def grow() -> None:
        for n in range(3, 30):
            make.profile(
                cast.org, f"P{n:02}", job_role=f"Job {n}", grants=[(crew.ehr, "a", False), (lab, "b", n % 2 == 0)]
            )
            make.person(cast.org, f"G-{n}", job_role=f"Gap {n}")

    client = client_for(cast.owner)
    few, many = _flat(client, url("profile_list"), grow)
    assert few == many
    assert client.get(url("profile_gaps")).context["page"].paginator.count == 32  # 30 gaps, the managers and the nurses
    with CaptureQueriesContext(connection) as gaps_many:
        client.get(url("profile_gaps"))
    assert len(gaps_many) <= 10


def test_detail_makes_the_same_queries_for_3_or_30_people(cast: Cast, crew: Team) -> None:
    profile = make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(crew.ehr, "a", False)])

    def grow() -> None:
        for n in range(30):
            make.person(cast.org, f"N-{n}")

    few, many = _flat(client_for(cast.owner), url("profile_detail", profile.public_id), grow)
    assert few == many


# ---- access beyond profile ---------------------------------------------------------------------------------------


def test_beyond_profile_lists_excess_with_request_links(cast: Cast, crew: Team) -> None:
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(crew.ehr, "charting", False)])
    make.snapshot(
        crew.ehr,
        [
            {"username": "dreyes", "person": crew.dana, "roles": ["charting", "Billing"], "privileged": True},
            {"username": "sito", "person": crew.sam, "roles": ["charting"]},
        ],
    )
    pending = requested(cast, crew, by=cast.owner, role="billing")

    response = client_for(crew.maria).get(url("beyond_profile"))

    body = response.content.decode()
    assert [row.excess.username for row in response.context["rows"]] == ["dreyes"]
    assert url("exception_detail", pending.public_id) in body  # billing already awaits approval
    link = (
        f"{url('exception_request')}?person={crew.dana.public_id}&amp;system={crew.ehr.public_id}"
        "&amp;role=privileged%20access&amp;privileged=1"
    )
    assert link in body


def test_beyond_profile_hides_request_links_from_those_who_cannot_request(cast: Cast, crew: Team) -> None:
    make.snapshot(crew.ehr, [{"username": "dreyes", "person": crew.dana, "roles": ["billing"]}])

    body = client_for(cast.auditor).get(url("beyond_profile")).content.decode()

    assert "dreyes" in body
    assert "request an exception" not in body


def test_beyond_profile_filters_by_system(cast: Cast, crew: Team) -> None:
    lab = make.system(cast.org, "Lab")
    make.snapshot(crew.ehr, [{"username": "dreyes", "person": crew.dana, "roles": ["billing"]}])
    make.snapshot(lab, [{"username": "dana.r", "person": crew.dana, "roles": ["results"]}])

    response = client_for(cast.owner).get(url("beyond_profile"), {"system": str(lab.public_id)})

    assert [row.excess.username for row in response.context["rows"]] == ["dana.r"]


def test_beyond_profile_makes_the_same_queries_for_3_or_30_accounts(cast: Cast, crew: Team) -> None:
    lab = make.system(cast.org, "Lab")
    people = [make.person(cast.org, f"B-{n}") for n in range(30)]
    make.snapshot(crew.ehr, [{"username": f"u{n}", "person": people[n], "roles": ["x"]} for n in range(3)])

    def grow() -> None:
        make.snapshot(lab, [{"username": f"u{n}", "person": people[n], "roles": ["y"]} for n in range(30)])
        for person in people[:5]:
            requested(cast, crew, by=cast.owner, person=person, role="y")

    few, many = _flat(client_for(cast.owner), url("beyond_profile"), grow)
    assert few == many
    assert AccessException.objects.filter(expires_on__gt=TODAY).count() == 5
