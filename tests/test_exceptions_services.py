"""Access exception services: who may request and decide, the expiry window, validity boundaries, findings for
expired exceptions, and the audit trail."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from pytest_django.fixtures import DjangoCaptureOnCommitCallbacks

from safeguard.access.models import AccessException
from safeguard.access.queries import valid_exceptions
from safeguard.access.services import exceptions as services
from safeguard.core.models import AuditEvent, Membership, User
from safeguard.core.services.errors import ServiceError
from safeguard.tracker.models import EvaluationRun
from safeguard.workforce.models import Person
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_profiles_support import TODAY, Team, actor, events, requested, team, who

Status = AccessException.Status


@pytest.fixture
def crew(cast: Cast) -> Team:
    return team(cast)


def ask(cast: Cast, crew: Team, by: str = "maria", **values: Any) -> AccessException:
    fields: dict[str, object] = {
        "person": crew.dana,
        "system": crew.ehr,
        "role": "billing",
        "justification": "Covers the front desk in March.",
        "expires_on": TODAY + timedelta(days=30),
        **values,
    }
    return services.exception_request(
        organization=cast.org,
        actor=actor(who(cast, crew, by)),
        today=TODAY,
        **fields,  # type: ignore[arg-type]
    )


# ---- requesting -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["maria", "reviewer", "privacy", "official", "owner"])
def test_managers_reviewers_and_program_managers_may_request(cast: Cast, crew: Team, by: str) -> None:
    exception = ask(cast, crew, by=by, role=" Billing ")

    assert (exception.status, exception.role, exception.requested_by) == (
        Status.REQUESTED,
        "Billing",
        who(cast, crew, by),
    )
    event = events("access.exception.requested")[0]
    assert event.changes["role"] == [None, "Billing"]
    assert event.changes["status"] == [None, Status.REQUESTED]
    assert event.changes["person"] == [None, str(crew.dana.public_id)]


@pytest.mark.parametrize("by", ["auditor", "workforce"])
def test_others_may_not_request(cast: Cast, crew: Team, by: str) -> None:
    with pytest.raises(ServiceError, match="Only those who manage the program, and managers or reviewers"):
        ask(cast, crew, by=by)
    assert not AccessException.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"expires_on": TODAY}, "expires_on", f"An exception must expire after today ({TODAY:%Y-%m-%d})."),
        (
            {"expires_on": TODAY + timedelta(days=366)},
            "expires_on",
            f"An exception may last at most 365 days: pick a date on or before {TODAY + timedelta(days=365):%Y-%m-%d}"
            ", and request a new one when it runs out.",
        ),
        ({"role": "*"}, "role", "Name one role: “*” (any role) belongs in a role profile, not in an exception."),
        ({"role": " "}, "role", "Name the role the exception allows, as the system names it."),
        ({"justification": " "}, "justification", "Say why this person needs access beyond their profile."),
    ],
)
def test_bad_requests_are_refused_with_the_reason(
    cast: Cast, crew: Team, values: dict[str, Any], field: str, message: str
) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        ask(cast, crew, **values)
    assert (refused.value.field, refused.value.message) == (field, message)
    assert AuditEvent.objects.count() == before


def test_an_expiry_exactly_365_days_ahead_is_accepted(cast: Cast, crew: Team) -> None:
    assert ask(cast, crew, expires_on=TODAY + timedelta(days=365)).expires_on == TODAY + timedelta(days=365)


def test_a_leaver_cannot_get_an_exception(cast: Cast, crew: Team) -> None:
    Person.objects.filter(pk=crew.dana.pk).update(status=Person.Status.TERMINATED)
    crew.dana.refresh_from_db()
    with pytest.raises(ServiceError, match="Dana Reyes has left"):
        ask(cast, crew)


def test_records_of_another_organization_are_refused(cast: Cast, crew: Team) -> None:
    theirs = make.system(cast.other_org, "Their EHR")
    stranger = make.person(cast.other_org, "X-1")
    with pytest.raises(ServiceError) as system_refused:
        ask(cast, crew, system=theirs)
    with pytest.raises(ServiceError) as person_refused:
        ask(cast, crew, person=stranger)
    assert (system_refused.value.field, person_refused.value.field) == ("system", "person")


def test_one_open_exception_per_person_system_and_role(cast: Cast, crew: Team) -> None:
    ask(cast, crew, role="billing")
    with pytest.raises(ServiceError, match="An exception for “billing” on EHR for Dana Reyes already awaits approval"):
        ask(cast, crew, role="BILLING")
    AccessException.objects.update(status=Status.APPROVED)
    with pytest.raises(ServiceError, match="already is approved"):
        ask(cast, crew, role="billing")
    AccessException.objects.update(expires_on=TODAY - timedelta(days=1))
    assert ask(cast, crew, role="billing").status == Status.REQUESTED  # the old one expired: renewing is fine


# ---- deciding ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["maria", "official", "owner"])
def test_the_manager_the_security_official_and_owners_approve(
    cast: Cast, crew: Team, by: str, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    exception = ask(cast, crew, by="reviewer")

    with django_capture_on_commit_callbacks(execute=True):
        services.exception_approve(
            organization=cast.org, actor=actor(who(cast, crew, by)), exception=exception, note="OK", today=TODAY
        )

    exception.refresh_from_db()
    assert (exception.status, exception.approver, exception.decision_note) == (
        Status.APPROVED,
        who(cast, crew, by),
        "OK",
    )
    assert exception.decided_at is not None
    event = events("access.exception.approved")[0]
    assert event.changes["status"] == [Status.REQUESTED, Status.APPROVED]
    assert event.changes["approver"] == [None, str(who(cast, crew, by).public_id)]
    assert EvaluationRun.objects.filter(organization=cast.org, trigger="access.exception_approved").exists()
    assert list(valid_exceptions(cast.org, TODAY)) == [exception]


@pytest.mark.parametrize(
    ("by", "message"),
    [
        ("omar", "Only Dana Reyes's manager (Maria Lopez) or the security official can approve or reject"),
        ("reviewer", "Only Dana Reyes's manager (Maria Lopez) or the security official"),
        ("privacy", "Only Dana Reyes's manager (Maria Lopez) or the security official"),
        ("auditor", "Only Dana Reyes's manager"),
    ],
)
def test_anyone_else_may_not_decide(cast: Cast, crew: Team, by: str, message: str) -> None:
    exception = ask(cast, crew, by="owner")
    before = AuditEvent.objects.count()

    deciding = actor(who(cast, crew, by))
    pattern = re.escape(message)
    with pytest.raises(ServiceError, match=pattern):
        services.exception_approve(organization=cast.org, actor=deciding, exception=exception)
    with pytest.raises(ServiceError, match=pattern):
        services.exception_reject(organization=cast.org, actor=deciding, exception=exception, note="No.")

    exception.refresh_from_db()
    assert exception.status == Status.REQUESTED
    assert AuditEvent.objects.count() == before


def test_the_requester_cannot_approve_their_own_request_even_as_security_official(cast: Cast, crew: Team) -> None:
    exception = ask(cast, crew, by="official")

    with pytest.raises(ServiceError, match="You requested this exception"):
        services.exception_approve(organization=cast.org, actor=actor(cast.official), exception=exception)
    # Someone else still can.
    services.exception_approve(organization=cast.org, actor=actor(crew.maria), exception=exception)
    exception.refresh_from_db()
    assert exception.approver == crew.maria


def test_the_manager_cannot_approve_what_she_requested_for_her_report(cast: Cast, crew: Team) -> None:
    exception = ask(cast, crew, by="maria")
    with pytest.raises(ServiceError, match="You requested this exception"):
        services.exception_approve(organization=cast.org, actor=actor(crew.maria), exception=exception)


def test_nobody_approves_an_exception_for_themselves(cast: Cast, crew: Team) -> None:
    official_person = make.person(
        cast.org, "E-300", name="Sue Official", email="SO@clinic.test", manager=crew.maria_person
    )
    exception = ask(cast, crew, by="maria", person=official_person)

    with pytest.raises(ServiceError, match="This exception is for you"):
        services.exception_approve(organization=cast.org, actor=actor(cast.official), exception=exception)


def test_a_manager_who_is_no_longer_a_member_cannot_decide(cast: Cast, crew: Team) -> None:
    exception = ask(cast, crew, by="owner")
    Membership.objects.filter(user=crew.maria).update(access_ends_on=TODAY - timedelta(days=1))
    with pytest.raises(ServiceError, match="Only a current member"):
        services.exception_approve(organization=cast.org, actor=actor(crew.maria), exception=exception)


def test_a_person_with_no_manager_is_decided_by_the_security_official(cast: Cast, crew: Team) -> None:
    loner = make.person(cast.org, "E-400", name="Lee Solo")
    exception = ask(cast, crew, by="maria", person=loner)
    with pytest.raises(ServiceError, match=r"Only Lee Solo's manager \(no manager is on the roster\)"):
        services.exception_approve(organization=cast.org, actor=actor(crew.omar), exception=exception)
    services.exception_approve(organization=cast.org, actor=actor(cast.official), exception=exception)


def test_a_decided_exception_cannot_be_decided_again(cast: Cast, crew: Team) -> None:
    exception = ask(cast, crew, by="owner")
    services.exception_reject(organization=cast.org, actor=actor(crew.maria), exception=exception, note="Not needed.")

    with pytest.raises(ServiceError, match="This exception is already rejected: nothing to decide."):
        services.exception_approve(organization=cast.org, actor=actor(cast.official), exception=exception)


def test_a_request_whose_expiry_passed_cannot_be_approved(cast: Cast, crew: Team) -> None:
    exception = requested(cast, crew, by=cast.owner, expires_on=TODAY - timedelta(days=1))
    with pytest.raises(ServiceError, match=r"The expiry date asked for \(.*\) has passed"):
        services.exception_approve(organization=cast.org, actor=actor(crew.maria), exception=exception, today=TODAY)


def test_reject_needs_a_note_and_is_audited(cast: Cast, crew: Team) -> None:
    exception = ask(cast, crew, by="owner")
    with pytest.raises(ServiceError) as refused:
        services.exception_reject(organization=cast.org, actor=actor(crew.maria), exception=exception, note=" ")
    assert (refused.value.field, refused.value.message) == (
        "note",
        "Say why you reject the request: the requester will read it.",
    )

    services.exception_reject(
        organization=cast.org, actor=actor(crew.maria), exception=exception, note="Use the shared desk."
    )

    exception.refresh_from_db()
    assert (exception.status, exception.approver, exception.decision_note) == (
        Status.REJECTED,
        crew.maria,
        "Use the shared desk.",
    )
    assert events("access.exception.rejected")[0].changes["decision_note"] == ["", "Use the shared desk."]


def test_the_manager_may_reject_what_she_requested(cast: Cast, crew: Team) -> None:
    exception = ask(cast, crew, by="maria")
    services.exception_reject(organization=cast.org, actor=actor(crew.maria), exception=exception, note="Withdrawn.")
    exception.refresh_from_db()
    assert exception.status == Status.REJECTED


# ---- revoking and expiry ------------------------------------------------------------------------------------------


def test_revoke_ends_an_approved_exception_and_is_audited(
    cast: Cast, crew: Team, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    exception = make.exception(cast.org, crew.dana, crew.ehr, "billing", approver=crew.maria, expires_on=TODAY)

    with django_capture_on_commit_callbacks(execute=True):
        services.exception_revoke(
            organization=cast.org, actor=actor(cast.owner), exception=exception, note="Shift ended.", today=TODAY
        )

    exception.refresh_from_db()
    assert exception.status == Status.REVOKED
    assert exception.approver == crew.maria  # who approved it stays on record
    assert exception.revoked_by == cast.owner and exception.revoked_at is not None
    assert exception.decision_note == f"Revoked {TODAY:%Y-%m-%d} by owner@clinic.test: Shift ended."
    assert events("access.exception.revoked")[0].changes["status"] == [Status.APPROVED, Status.REVOKED]
    assert EvaluationRun.objects.filter(organization=cast.org, trigger="access.exception_revoked").exists()
    assert not valid_exceptions(cast.org, TODAY).exists()


def test_revoke_withdraws_a_request_but_not_a_rejected_one(cast: Cast, crew: Team) -> None:
    pending = ask(cast, crew, by="owner")
    services.exception_revoke(organization=cast.org, actor=actor(cast.owner), exception=pending)
    pending.refresh_from_db()
    assert pending.status == Status.REVOKED
    rejected = ask(cast, crew, by="owner", role="other")
    services.exception_reject(organization=cast.org, actor=actor(crew.maria), exception=rejected, note="No.")

    with pytest.raises(ServiceError, match="This exception is already rejected."):
        services.exception_revoke(organization=cast.org, actor=actor(cast.owner), exception=rejected)


def test_an_exception_expiring_today_is_valid_and_yesterday_is_a_finding(cast: Cast, crew: Team) -> None:
    today_ = make.exception(cast.org, crew.dana, crew.ehr, "a", approver=crew.maria, expires_on=TODAY)
    yesterday = make.exception(cast.org, crew.dana, crew.ehr, "b", approver=crew.maria, expires_on=TODAY - timedelta(1))
    make.exception(
        cast.org, crew.dana, crew.ehr, "c", approver=crew.maria, expires_on=TODAY - timedelta(1), status=Status.REVOKED
    )

    assert not services.is_expired(today_, TODAY)
    assert services.is_expired(yesterday, TODAY)
    assert list(services.expired(cast.org, TODAY)) == [yesterday]
    assert list(valid_exceptions(cast.org, TODAY)) == [today_]


def test_holdings_says_whether_expired_access_is_still_held(cast: Cast, crew: Team) -> None:
    lab = make.system(cast.org, "Lab")
    make.snapshot(crew.ehr, [{"username": "dreyes", "person": crew.dana, "roles": ["Billing"]}])
    make.snapshot(lab, [{"username": "dreyes", "person": crew.dana, "roles": ["results"]}])
    gone = make.system(cast.org, "Fax")
    still = make.exception(cast.org, crew.dana, crew.ehr, "billing", approver=crew.maria, expires_on=TODAY)
    other_role = make.exception(cast.org, crew.dana, lab, "orders", approver=crew.maria, expires_on=TODAY)
    no_account = make.exception(cast.org, crew.dana, gone, "send", approver=crew.maria, expires_on=TODAY)

    found = services.holdings(cast.org, [still, other_role, no_account])

    assert found == {
        still.pk: "Still holds “billing”: remove it or approve a new exception.",
        other_role.pk: "Has an account, without “orders”.",
        no_account.pk: "No enabled account on the system any more.",
    }


# ---- what awaits whom -------------------------------------------------------------------------------------------


def test_awaiting_shows_a_manager_her_reports_and_the_official_everything_else(cast: Cast, crew: Team) -> None:
    for_dana = requested(cast, crew, by=cast.owner)
    for_sam = requested(cast, crew, by=cast.owner, person=crew.sam)
    by_official = requested(cast, crew, by=cast.official, role="other")

    def seen(user: User) -> set[int]:
        membership = Membership.objects.get(organization=cast.org, user=user)
        return set(services.awaiting(membership).values_list("pk", flat=True))

    assert seen(crew.maria) == {for_dana.pk, by_official.pk}
    assert seen(crew.omar) == {for_sam.pk}
    assert seen(cast.official) == {for_dana.pk, for_sam.pk}
    assert seen(crew.reviewer) == set()
    assert seen(cast.auditor) == set()
