"""Role profile services: create, change, delete, grants; the uniqueness rules with their messages; the audit
trail; and how the roster is covered (people matched per profile, jobs no profile matches)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from safeguard.access.models import ProfileGrant, RoleProfile
from safeguard.access.services import profiles as services
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.tracker.models import EvaluationRun
from safeguard.workforce.models import Person
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_profiles_support import actor, events


def create(cast: Cast, name: str = "Nurses", **values: object) -> RoleProfile:
    return services.profile_create(organization=cast.org, actor=actor(cast.owner), name=name, **values)  # type: ignore[arg-type]


# ---- profiles -------------------------------------------------------------------------------------------------


def test_create_trims_saves_and_audits(cast: Cast) -> None:
    profile = create(cast, "  Nurses ", department=" Nursing", job_role="Nurse ", requires_clearance=True)

    assert (profile.name, profile.department, profile.job_role) == ("Nurses", "Nursing", "Nurse")
    event = events("access.profile.created")[0]
    assert event.actor == cast.owner
    assert event.object_id == str(profile.public_id)
    assert event.changes["job_role"] == [None, "Nurse"]
    assert event.changes["requires_clearance"] == [None, True]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": " "}, "name", "Give the profile a name, e.g. “Nurses”."),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
        ({"name": "Other", "department": "d" * 101}, "department", "At most 100 characters."),
        (
            {"name": "NURSES", "job_role": "Other"},
            "name",
            "Another profile is already named “NURSES”: pick another name.",
        ),
        (
            {"name": "Ward", "department": "nursing", "job_role": "NURSE"},
            "job_role",
            "The profile “Nurses” already covers job role “Nurse” in department “Nursing”: add grants to it rather "
            "than a second profile for the same job.",
        ),
    ],
)
def test_create_refuses_with_a_specific_message(cast: Cast, values: dict[str, str], field: str, message: str) -> None:
    create(cast, "Nurses", department="Nursing", job_role="Nurse")

    with pytest.raises(ServiceError) as refused:
        services.profile_create(organization=cast.org, actor=actor(cast.owner), **values)  # type: ignore[arg-type]

    assert (refused.value.field, refused.value.message) == (field, message)
    assert RoleProfile.objects.count() == 1
    assert len(events("access.profile.created")) == 1


@pytest.mark.parametrize(
    ("department", "job_role", "field", "scope"),
    [
        ("Nursing", "", "department", "every job role in department “Nursing”"),
        ("", "Nurse", "job_role", "job role “Nurse” in every department"),
        ("", "", "department", "everyone (no department or job role given)"),
    ],
)
def test_one_profile_per_job_also_for_partial_jobs(
    cast: Cast, department: str, job_role: str, field: str, scope: str
) -> None:
    create(cast, "First", department=department, job_role=job_role)

    with pytest.raises(ServiceError) as refused:
        create(cast, "Second", department=department.upper(), job_role=job_role.lower())

    assert refused.value.field == field
    assert scope in refused.value.message


def test_profiles_of_another_organization_do_not_clash(cast: Cast) -> None:
    services.profile_create(organization=cast.other_org, actor=actor(cast.outsider), name="Nurses", job_role="Nurse")

    assert create(cast, "Nurses", job_role="Nurse").organization == cast.org


def test_update_records_only_what_changed(cast: Cast) -> None:
    profile = create(cast, "Nurses", job_role="Nurse")

    services.profile_update(
        organization=cast.org, actor=actor(cast.official), profile=profile, job_role="RN", name="Nurses"
    )

    profile.refresh_from_db()
    assert profile.job_role == "RN"
    assert events("access.profile.updated")[0].changes == {"job_role": ["Nurse", "RN"]}


def test_update_without_change_writes_nothing(cast: Cast) -> None:
    profile = create(cast, "Nurses")
    before = AuditEvent.objects.count()

    services.profile_update(organization=cast.org, actor=actor(cast.owner), profile=profile, name=" Nurses ")

    assert AuditEvent.objects.count() == before


def test_update_checks_uniqueness_against_others_but_not_itself(cast: Cast) -> None:
    create(cast, "Clerks", job_role="Clerk")
    profile = create(cast, "Nurses", job_role="Nurse")
    services.profile_update(organization=cast.org, actor=actor(cast.owner), profile=profile, name="nurses")

    with pytest.raises(ServiceError) as refused:
        services.profile_update(organization=cast.org, actor=actor(cast.owner), profile=profile, job_role="clerk")

    assert refused.value.message.startswith("The profile “Clerks” already covers job role “Clerk”")
    profile.refresh_from_db()
    assert (profile.name, profile.job_role) == ("nurses", "Nurse")


def test_update_refuses_unknown_fields(cast: Cast) -> None:
    profile = create(cast)
    with pytest.raises(ServiceError, match="Unknown fields: owner."):
        services.profile_update(organization=cast.org, actor=actor(cast.owner), profile=profile, owner=None)


def test_delete_removes_the_grants_and_keeps_them_in_the_audit_trail(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    profile = make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "charting", False), (ehr, "*", True)])

    services.profile_delete(organization=cast.org, actor=actor(cast.owner), profile=profile)

    assert not RoleProfile.objects.exists()
    assert not ProfileGrant.objects.exists()
    event = events("access.profile.deleted")[0]
    assert event.changes["name"] == ["Nurses", None]
    assert event.changes["grants"] == [
        [
            {"system": "EHR", "role": "*", "privileged": True},
            {"system": "EHR", "role": "charting", "privileged": False},
        ],
        None,
    ]


def test_a_profile_change_asks_the_tracker_to_evaluate(
    cast: Cast, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        create(cast)

    assert EvaluationRun.objects.filter(organization=cast.org, trigger="access.profiles").exists()


# ---- grants ---------------------------------------------------------------------------------------------------


def test_grant_add_and_remove_are_audited(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    profile = create(cast)

    grant = services.grant_add(
        organization=cast.org, actor=actor(cast.owner), profile=profile, system=ehr, role=" Charting ", privileged=True
    )
    services.grant_remove(
        organization=cast.org, actor=actor(cast.official), profile=profile, system=ehr, role="CHARTING"
    )

    assert (grant.role, grant.privileged) == ("Charting", True)
    assert not ProfileGrant.objects.exists()
    added, removed = events("access.profile.grant_added")[0], events("access.profile.grant_removed")[0]
    assert added.changes == {"grant": [None, {"system": "EHR", "role": "Charting", "privileged": True}]}
    assert removed.changes == {"grant": [{"system": "EHR", "role": "Charting", "privileged": True}, None]}
    assert removed.actor == cast.official
    assert removed.object_id == str(profile.public_id)


def test_star_grant_is_allowed(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    grant = services.grant_add(
        organization=cast.org, actor=actor(cast.owner), profile=create(cast), system=ehr, role="*"
    )
    assert grant.role == "*"


@pytest.mark.parametrize(
    ("role", "message"),
    [
        ("  ", "Name the role, or “*” for any role that is not privileged."),
        ("r" * 201, "A role name has at most 200 characters."),
        ("CHARTING", "The profile already allows “CHARTING” on EHR: remove that grant first to change it."),
    ],
)
def test_grant_add_refuses_bad_roles(cast: Cast, role: str, message: str) -> None:
    ehr = make.system(cast.org, "EHR")
    profile = make.profile(cast.org, "Nurses", grants=[(ehr, "charting", False)])
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        services.grant_add(organization=cast.org, actor=actor(cast.owner), profile=profile, system=ehr, role=role)

    assert (refused.value.field, refused.value.message) == ("role", message)
    assert ProfileGrant.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_grant_on_another_organizations_system_is_refused(cast: Cast) -> None:
    theirs = make.system(cast.other_org, "Their EHR")

    with pytest.raises(ServiceError) as refused:
        services.grant_add(
            organization=cast.org, actor=actor(cast.owner), profile=create(cast), system=theirs, role="x"
        )

    assert (refused.value.field, refused.value.message) == ("system", "That system is not one of this organization's.")


def test_removing_a_grant_the_profile_lacks_says_so(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    with pytest.raises(ServiceError, match="The profile has no grant of “admin” on EHR."):
        services.grant_remove(
            organization=cast.org, actor=actor(cast.owner), profile=create(cast), system=ehr, role="admin"
        )


# ---- coverage -------------------------------------------------------------------------------------------------


def test_coverage_counts_matched_people_and_lists_jobs_with_no_profile(cast: Cast) -> None:
    nurses = make.profile(cast.org, "Nurses", job_role="Nurse")
    billing = make.profile(cast.org, "Billing", department="Billing")
    everyone = make.profile(cast.org, "Lab techs", department="Lab", job_role="Tech")
    make.person(cast.org, "E-1", department="Nursing", job_role="Nurse")
    make.person(cast.org, "E-2", department="ICU", job_role="nurse")
    make.person(cast.org, "E-3", department="Billing", job_role="Clerk")
    make.person(cast.org, "E-4", department="Front desk", job_role="Receptionist")
    make.person(cast.org, "E-5", department="front desk", job_role="receptionist")
    make.person(cast.org, "E-6", department="Pharmacy", job_role="Pharmacist")
    make.person(cast.org, "E-7", department="Pharmacy", job_role="Pharmacist", status=Person.Status.TERMINATED)
    make.person(cast.other_org, "X-1", department="Pharmacy", job_role="Pharmacist")

    found = services.coverage(cast.org)

    assert found.matched == {nurses.pk: 2, billing.pk: 1, everyone.pk: 0}
    assert [(g.department.lower(), g.job_role.lower(), g.people) for g in found.uncovered] == [
        ("front desk", "receptionist", 2),
        ("pharmacy", "pharmacist", 1),
    ]
    assert found.uncovered_people == 3


def test_coverage_is_two_queries_however_large_the_roster(cast: Cast) -> None:
    make.profile(cast.org, "Nurses", job_role="Nurse")
    for n in range(30):
        make.person(cast.org, f"E-{n}", job_role=f"Job {n % 7}")

    with CaptureQueriesContext(connection) as queries:
        services.coverage(cast.org)

    assert len(queries) == 2


def test_matched_people_follow_the_profile_ignoring_case_and_leavers(cast: Cast) -> None:
    profile = make.profile(cast.org, "ICU nurses", department="icu", job_role="NURSE")
    make.person(cast.org, "E-1", department="ICU", job_role="Nurse")
    make.person(cast.org, "E-2", department="ICU", job_role="Nurse", status=Person.Status.LEAVE)
    make.person(cast.org, "E-3", department="ICU", job_role="Nurse", status=Person.Status.TERMINATED)
    make.person(cast.org, "E-4", department="Ward", job_role="Nurse")

    assert sorted(services.matched_people(profile).values_list("employee_id", flat=True)) == ["E-1", "E-2"]
