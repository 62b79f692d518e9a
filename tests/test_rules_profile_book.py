"""ProfileBook: a person's allowance is the union of every profile matching their job, department-only,
role-only and both; and access/reconcile.py beyond_profile() over several systems."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.access.models import AccessException, AccountStatus, Classification
from safeguard.access.queries import ProfileBook, exceptions_by_person, valid_exceptions
from safeguard.access.reconcile import beyond_profile
from safeguard.access.rules import PRIVILEGED
from tests import access_factories as make
from tests.conftest import Cast

TODAY = timezone.localdate()


def test_a_person_gets_the_union_of_department_role_and_exact_profiles(cast: Cast) -> None:
    ehr, lab, mail = (make.system(cast.org, name) for name in ("EHR", "Lab", "Mail"))
    make.profile(cast.org, "Everyone", grants=[(mail, "*", False)])
    make.profile(cast.org, "Nursing dept", department="Nursing", grants=[(ehr, "viewer", False)])
    make.profile(cast.org, "Nurses anywhere", job_role="Nurse", grants=[(ehr, "charting", False)])
    make.profile(cast.org, "Ward nurses", department="Nursing", job_role="Nurse", grants=[(lab, "orders", True)])
    make.profile(cast.org, "Billing", department="Billing", grants=[(ehr, "billing", False)])

    book = ProfileBook(cast.org)
    grants = book.grants_for("nursing", "NURSE")

    assert [p.name for p in book.profiles_for("Nursing", "Nurse")] == [
        "Everyone",
        "Nurses anywhere",
        "Nursing dept",
        "Ward nurses",
    ]
    assert sorted(g.role for g in grants[ehr.pk]) == ["charting", "viewer"]
    assert [(g.role, g.privileged) for g in grants[lab.pk]] == [("orders", True)]
    assert [g.role for g in grants[mail.pk]] == ["*"]


def test_a_job_no_profile_names_gets_only_the_catch_all(cast: Cast) -> None:
    ehr, mail = make.system(cast.org, "EHR"), make.system(cast.org, "Mail")
    make.profile(cast.org, "Everyone", grants=[(mail, "user", False)])
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "charting", False)])

    grants = ProfileBook(cast.org).grants_for("Billing", "Clerk")

    assert list(grants) == [mail.pk]


def test_the_book_loads_in_two_queries_and_answers_from_memory(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    for n in range(5):
        make.profile(cast.org, f"P{n}", job_role=f"Role {n}", grants=[(ehr, "viewer", False)])
    with CaptureQueriesContext(connection) as loading:
        book = ProfileBook(cast.org)
    with CaptureQueriesContext(connection) as asking:
        for n in range(5):
            book.grants_for("Any", f"Role {n}")
            book.requires_clearance("Any", f"Role {n}")

    assert (len(loading), len(asking)) == (2, 0)


def test_exception_validity_is_inclusive_of_the_expiry_day(cast: Cast) -> None:
    dana = make.person(cast.org, "E-1")
    ehr = make.system(cast.org, "EHR")
    today_ = make.exception(cast.org, dana, ehr, "a", approver=cast.official, expires_on=TODAY)
    make.exception(cast.org, dana, ehr, "b", approver=cast.official, expires_on=TODAY - timedelta(days=1))
    make.exception(
        cast.org, dana, ehr, "c", approver=cast.official, expires_on=TODAY, status=AccessException.Status.REQUESTED
    )
    make.exception(
        cast.org, dana, ehr, "d", approver=cast.official, expires_on=TODAY, status=AccessException.Status.REVOKED
    )

    assert list(valid_exceptions(cast.org, TODAY)) == [today_]
    assert list(valid_exceptions(cast.org, TODAY + timedelta(days=1))) == []
    assert [e.role for e in exceptions_by_person(cast.org, TODAY)[dana.pk]] == ["a"]


# ---- beyond_profile over several systems -----------------------------------------------------------------------


def test_beyond_profile_lists_only_what_nothing_covers_across_systems(cast: Cast) -> None:
    ehr, lab, billing = (make.system(cast.org, name) for name in ("EHR", "Lab", "Billing"))
    make.profile(cast.org, "Nurses", job_role="Nurse", grants=[(ehr, "charting", False), (lab, "*", False)])
    dana = make.person(cast.org, "E-1", name="Dana Reyes")
    clerk = make.person(cast.org, "E-2", name="Cole Berg", department="Billing", job_role="Clerk")
    make.snapshot(
        ehr,
        [
            {"username": "dreyes", "person": dana, "roles": ["Charting"]},
            {"username": "dreyes-admin", "person": dana, "roles": ["charting"], "privileged": True},
            {"username": "cberg", "person": clerk, "roles": ["charting"]},
            {"username": "ghost", "roles": ["admin"]},  # an orphan: not anyone's access
        ],
    )
    make.snapshot(
        lab,
        [
            {"username": "dreyes", "person": dana, "roles": ["results", "orders"]},
            {"username": "dreyes-root", "person": dana, "roles": ["root"], "privileged": True},
        ],
    )
    make.snapshot(
        billing,
        [
            {"username": "dreyes", "person": dana, "roles": ["refunds", "invoices"]},
            {"username": "dreyes-old", "person": dana, "roles": ["refunds"], "status": AccountStatus.DISABLED},
            {"username": "shared", "roles": ["x"], "classification": Classification.SHARED},
        ],
    )
    make.exception(cast.org, dana, billing, "Refunds", approver=cast.official, expires_on=TODAY)

    found = {(e.system_id, e.username): e.missing for e in beyond_profile(cast.org, TODAY)}

    assert found == {
        (ehr.pk, "dreyes-admin"): (PRIVILEGED,),
        (ehr.pk, "cberg"): ("charting",),
        (lab.pk, "dreyes-root"): (PRIVILEGED,),
        (billing.pk, "dreyes"): ("invoices",),
    }


def test_beyond_profile_reads_only_each_systems_latest_snapshot_and_valid_exceptions(cast: Cast) -> None:
    ehr = make.system(cast.org, "EHR")
    dana = make.person(cast.org, "E-1")
    now = timezone.now()
    make.snapshot(ehr, [{"username": "dreyes", "person": dana, "roles": ["admin"]}], taken_at=now - timedelta(days=9))
    make.snapshot(ehr, [{"username": "dreyes", "person": dana, "roles": ["billing"]}], taken_at=now)
    make.exception(cast.org, dana, ehr, "billing", approver=cast.official, expires_on=TODAY - timedelta(days=1))

    expired_yesterday = list(beyond_profile(cast.org, TODAY))
    covered_through_yesterday = list(beyond_profile(cast.org, TODAY - timedelta(days=1)))

    assert [(e.username, e.missing) for e in expired_yesterday] == [("dreyes", ("billing",))]
    assert covered_through_yesterday == []
