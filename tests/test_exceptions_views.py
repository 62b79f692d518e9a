"""Access exception pages over HTTP: requesting (prefilled from access beyond profile), deciding as the manager or
the security official, revoking, the expired-exception findings, the awaiting-me page, isolation and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from safeguard.access.models import AccessException
from safeguard.core.models import AuditEvent
from tests import access_factories as make
from tests.conftest import Cast, client_for
from tests.test_profiles_support import TODAY, Team, events, requested, team, who

Status = AccessException.Status


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"access:{name}", args=[org, *args])


@pytest.fixture
def crew(cast: Cast) -> Team:
    return team(cast)


def form(crew: Team, **values: object) -> dict[str, object]:
    return {
        "person": "E-200",
        "system": str(crew.ehr.public_id),
        "role": "billing",
        "justification": "Month-end close.",
        "expires_on": (TODAY + timedelta(days=10)).isoformat(),
        **values,
    }


# ---- who reaches what ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["exception_list", "exception_expired", "exception_detail"])
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("owner", 200),
        ("official", 200),
        ("privacy", 200),
        ("maria", 200),
        ("reviewer", 200),
        ("auditor", 200),
        ("workforce", 403),
        ("outsider", 404),
    ],
)
def test_program_viewers_read_exceptions(cast: Cast, crew: Team, page: str, name: str, expected: int) -> None:
    exception = requested(cast, crew)
    args = [exception.public_id] if page == "exception_detail" else []
    assert client_for(who(cast, crew, name)).get(url(page, *args)).status_code == expected


REQUESTERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("maria", 200),
    ("reviewer", 200),
    ("auditor", 403),
    ("workforce", 403),
    ("outsider", 404),
]


@pytest.mark.parametrize(("name", "expected"), REQUESTERS)
def test_managers_reviewers_and_program_managers_open_the_request_form(
    cast: Cast, crew: Team, name: str, expected: int
) -> None:
    assert client_for(who(cast, crew, name)).get(url("exception_request")).status_code == expected


@pytest.mark.parametrize(("name", "expected"), [row for row in REQUESTERS if row[1] != 200])
def test_denied_requests_write_nothing(cast: Cast, crew: Team, name: str, expected: int) -> None:
    before = AuditEvent.objects.count()
    assert client_for(who(cast, crew, name)).post(url("exception_request"), form(crew)).status_code == expected
    assert not AccessException.objects.exists()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("maria", 302),
        ("official", 302),
        ("owner", 302),
        ("omar", 403),
        ("reviewer", 403),
        ("privacy", 403),
        ("auditor", 403),
        ("workforce", 403),
        ("outsider", 404),
    ],
)
def test_who_may_approve_from_the_page(cast: Cast, crew: Team, name: str, expected: int) -> None:
    exception = requested(cast, crew, by=crew.reviewer)
    before = AuditEvent.objects.count()

    response = client_for(who(cast, crew, name)).post(url("exception_approve", exception.public_id), {"note": "ok"})

    assert response.status_code == expected
    exception.refresh_from_db()
    assert (exception.status == Status.APPROVED) is (expected == 302)
    if expected != 302:
        assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("name", "expected"), [("maria", 302), ("official", 302), ("omar", 403), ("auditor", 403)])
def test_who_may_reject_from_the_page(cast: Cast, crew: Team, name: str, expected: int) -> None:
    exception = requested(cast, crew, by=cast.owner)
    response = client_for(who(cast, crew, name)).post(url("exception_reject", exception.public_id), {"note": "No."})
    assert response.status_code == expected
    exception.refresh_from_db()
    assert (exception.status == Status.REJECTED) is (expected == 302)


@pytest.mark.parametrize(
    ("name", "expected"), [("owner", 302), ("privacy", 302), ("maria", 403), ("auditor", 403), ("outsider", 404)]
)
def test_only_program_managers_revoke(cast: Cast, crew: Team, name: str, expected: int) -> None:
    exception = make.exception(cast.org, crew.dana, crew.ehr, "billing", approver=crew.maria, expires_on=TODAY)
    response = client_for(who(cast, crew, name)).post(url("exception_revoke", exception.public_id), {"note": "Done."})
    assert response.status_code == expected
    exception.refresh_from_db()
    assert (exception.status == Status.REVOKED) is (expected == 302)


@pytest.mark.parametrize(
    ("name", "expected"), [("maria", 200), ("official", 200), ("auditor", 403), ("workforce", 403)]
)
def test_the_awaiting_page_is_for_those_who_decide(cast: Cast, crew: Team, name: str, expected: int) -> None:
    assert client_for(who(cast, crew, name)).get(url("my_approvals")).status_code == expected


def test_another_organizations_exception_is_not_found(cast: Cast, crew: Team) -> None:
    stranger = make.person(cast.other_org, "X-1")
    theirs = make.exception(
        cast.other_org, stranger, make.system(cast.other_org, "Theirs"), "x", approver=cast.outsider, expires_on=TODAY
    )
    client = client_for(cast.owner)

    assert client.get(url("exception_detail", theirs.public_id)).status_code == 404
    assert client.post(url("exception_revoke", theirs.public_id), {}).status_code == 404
    assert client.post(url("exception_approve", theirs.public_id), {}).status_code == 404
    assert (
        client_for(cast.outsider).get(url("exception_detail", requested(cast, crew).public_id, org="other")).status_code
        == 404
    )
    theirs.refresh_from_db()
    assert theirs.status == Status.APPROVED


# ---- requesting -----------------------------------------------------------------------------------------------


def test_the_request_form_is_prefilled_from_a_beyond_profile_link(cast: Cast, crew: Team) -> None:
    query = {
        "person": str(crew.dana.public_id),
        "system": str(crew.ehr.public_id),
        "role": "billing",
        "privileged": "1",
    }

    response = client_for(crew.maria).get(url("exception_request"), query)

    initial = response.context["form"].initial
    assert (initial["person"], initial["system"], initial["role"], initial["privileged"]) == (
        "E-200",
        str(crew.ehr.public_id),
        "billing",
        True,
    )


def test_a_person_of_another_organization_is_not_prefilled(cast: Cast, crew: Team) -> None:
    stranger = make.person(cast.other_org, "X-1")
    response = client_for(cast.owner).get(url("exception_request"), {"person": str(stranger.public_id)})
    assert response.context["form"].initial["person"] == ""


def test_request_then_approve_as_the_manager(cast: Cast, crew: Team) -> None:
    requested_page = client_for(crew.reviewer).post(url("exception_request"), form(crew, person="e-200"))
    exception = AccessException.objects.get()
    detail = client_for(crew.maria).get(url("exception_detail", exception.public_id)).content.decode()
    approved = client_for(crew.maria).post(url("exception_approve", exception.public_id), {"note": "Fine."})

    assert requested_page["Location"] == url("exception_detail", exception.public_id)
    assert 'action="' + url("exception_approve", exception.public_id) in detail
    assert approved.status_code == 302
    exception.refresh_from_db()
    assert (exception.status, exception.approver, exception.requested_by) == (
        Status.APPROVED,
        crew.maria,
        crew.reviewer,
    )
    assert [e.action for e in AuditEvent.objects.filter(object_id=str(exception.public_id)).order_by("sequence")] == [
        "access.exception.requested",
        "access.exception.approved",
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"expires_on": (TODAY + timedelta(days=400)).isoformat()}, "An exception may last at most 365 days"),
        ({"expires_on": TODAY.isoformat()}, "An exception must expire after today"),
        (
            {"person": "nobody@clinic.test"},
            "No one on the roster has the employee id or work email “nobody@clinic.test”.",
        ),
        ({"role": "*"}, "Name one role: “*” (any role) belongs in a role profile"),
    ],
)
def test_bad_requests_show_the_reason(cast: Cast, crew: Team, values: dict[str, object], message: str) -> None:
    response = client_for(cast.owner).post(url("exception_request"), form(crew, **values))

    assert response.status_code == 200
    assert escape(message) in response.content.decode()
    assert not AccessException.objects.exists()


def test_the_requester_sees_why_they_cannot_approve(cast: Cast, crew: Team) -> None:
    exception = requested(cast, crew, by=cast.official)

    body = client_for(cast.official).get(url("exception_detail", exception.public_id)).content.decode()

    assert url("exception_approve", exception.public_id) not in body
    assert "You requested this exception" in body
    assert url("exception_reject", exception.public_id) in body  # turning it down stays open


def test_rejecting_without_a_note_shows_the_reason(cast: Cast, crew: Team) -> None:
    exception = requested(cast, crew, by=cast.owner)

    response = client_for(crew.maria).post(url("exception_reject", exception.public_id), {"note": ""})

    assert response.status_code == 200
    assert response.context["reject_form"].errors["note"]
    exception.refresh_from_db()
    assert exception.status == Status.REQUESTED


def test_revoke_from_the_page_is_audited(cast: Cast, crew: Team) -> None:
    exception = make.exception(cast.org, crew.dana, crew.ehr, "billing", approver=crew.maria, expires_on=TODAY)

    client_for(crew.privacy).post(url("exception_revoke", exception.public_id), {"note": "Access removed."})

    event = events("access.exception.revoked")[0]
    assert event.actor == crew.privacy
    assert event.changes["status"] == [Status.APPROVED, Status.REVOKED]


# ---- lists ----------------------------------------------------------------------------------------------------


def test_the_list_filters_and_counts_expired_exceptions(cast: Cast, crew: Team) -> None:
    lab = make.system(cast.org, "Lab")
    pending = requested(cast, crew, by=cast.owner)
    current = make.exception(cast.org, crew.dana, lab, "results", approver=crew.maria, expires_on=TODAY)
    lapsed = make.exception(cast.org, crew.sam, crew.ehr, "old", approver=crew.omar, expires_on=TODAY - timedelta(1))
    client = client_for(cast.official)

    def shown(**query: str) -> set[int]:
        response = client.get(url("exception_list"), query)
        return {e.pk for e in response.context["page"].object_list}

    assert shown() == {pending.pk, current.pk, lapsed.pk}
    assert shown(status="requested") == {pending.pk}
    assert shown(expired="yes") == {lapsed.pk}
    assert shown(expired="no") == {pending.pk, current.pk}
    assert shown(system=str(lab.public_id)) == {current.pk}
    assert shown(person="E-201") == {lapsed.pk}
    assert shown(status="bogus") == {pending.pk, current.pk, lapsed.pk}  # a bad filter is dropped
    body = client.get(url("exception_list")).content.decode()
    assert "1 approved exception expired" in body
    assert "1 awaiting your decision" in body


def test_the_expired_page_lists_findings_with_what_is_still_held(cast: Cast, crew: Team) -> None:
    make.snapshot(crew.ehr, [{"username": "dreyes", "person": crew.dana, "roles": ["billing"]}])
    make.exception(cast.org, crew.dana, crew.ehr, "billing", approver=crew.maria, expires_on=TODAY - timedelta(3))
    make.exception(cast.org, crew.dana, crew.ehr, "today", approver=crew.maria, expires_on=TODAY)

    response = client_for(crew.maria).get(url("exception_expired"))

    body = response.content.decode()
    assert [e.role for e, _ in response.context["rows"]] == ["billing"]
    assert escape("Still holds “billing”") in body
    assert "Request a new one" in body


def test_the_awaiting_page_shows_a_manager_her_reports_only(cast: Cast, crew: Team) -> None:
    mine = requested(cast, crew, by=cast.owner)
    requested(cast, crew, by=cast.owner, person=crew.sam)

    response = client_for(crew.maria).get(url("my_approvals"))

    assert [e.pk for e in response.context["page"].object_list] == [mine.pk]


def _queries(client: object, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200  # type: ignore[attr-defined]
    return len(captured)


@pytest.mark.parametrize("page", ["exception_list", "exception_expired", "my_approvals"])
def test_exception_lists_make_the_same_queries_for_3_or_30_rows(cast: Cast, crew: Team, page: str) -> None:
    lab = make.system(cast.org, "Lab")
    client = client_for(cast.official)

    def add(start: int, end: int) -> None:
        for n in range(start, end):
            person = make.person(cast.org, f"P-{n}", manager=crew.maria_person)
            system = lab if n % 2 else crew.ehr
            make.exception(cast.org, person, system, "r", approver=cast.owner, expires_on=TODAY - timedelta(2))
            requested(cast, crew, by=cast.owner, person=person)

    add(0, 3)
    few = _queries(client, url(page))
    add(3, 30)
    assert _queries(client, url(page)) == few
