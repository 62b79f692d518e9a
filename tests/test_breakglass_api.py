"""The break-glass register over the API: who reaches what, accounts, uses and their filters, reviews, the link to
a sanction (and who sees its id), isolation, bad input and flat query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, error_of
from tests.test_breakglass_support import account, member, orm_use, reviewed, sanction, system, use

BASE = "/api/v1/orgs/clinic/break-glass/"
ACCOUNTS = f"{BASE}accounts/"
USES = f"{BASE}activations/"


def client(cast: Cast, who: str) -> APIClient:
    return api_client(None if who == "anonymous" else member(cast, who))


READ = [
    ("owner", 200),
    ("official", 200),
    ("manager", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
    ("anonymous", 401),
]
DENIED = [("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


def account_body(cast: Cast, **values: object) -> dict[str, object]:
    return {
        "system": str(system(cast).public_id),
        "username": "bg-ehr-1",
        "purpose": "EHR downtime",
        "custodians": [cast.official.email, str(cast.owner.public_id)],
        **values,
    }


def use_body(bg: BreakGlassAccount, **values: object) -> dict[str, object]:
    return {
        "account": str(bg.public_id),
        "started_at": (timezone.now() - timedelta(hours=2)).isoformat(),
        "used_by_name": "Dr Robin Lee",
        "reason": "SSO outage during a code blue",
        **values,
    }


# ---- authorization ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READ)
def test_reads_matrix(cast: Cast, who: str, expected: int) -> None:
    bg = account(cast)
    activation = use(cast, bg)
    api = client(cast, who)
    before = audit_count()

    codes = [
        api.get(ACCOUNTS).status_code,
        api.get(f"{ACCOUNTS}{bg.public_id}/").status_code,
        api.get(USES).status_code,
        api.get(f"{USES}{activation.public_id}/").status_code,
    ]

    assert codes == [expected] * 4
    assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), ("official", 201), ("privacy", 201), *DENIED])
def test_register_matrix(cast: Cast, who: str, expected: int) -> None:
    body = account_body(cast)
    before = audit_count()

    response = client(cast, who).post(ACCOUNTS, body, format="json")

    assert response.status_code == expected
    if expected == 201:
        bg = BreakGlassAccount.objects.get()
        assert response.json()["public_id"] == str(bg.public_id)
        assert response.json()["review_hours"] == 24
        assert sorted(c["email"] for c in response.json()["custodians"]) == ["owner@clinic.test", "so@clinic.test"]
        assert audit_count() == before + 1
    else:
        assert not BreakGlassAccount.objects.exists()
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED])
def test_write_matrix_for_uses_and_accounts(cast: Cast, who: str, expected: int) -> None:
    bg = account(cast)
    activation = use(cast, bg)
    api = client(cast, who)
    before = audit_count()

    changed = api.patch(f"{ACCOUNTS}{bg.public_id}/", {"username": "renamed"}, format="json")
    recorded = api.post(USES, use_body(bg), format="json")
    decided = api.post(f"{USES}{activation.public_id}/review/", {"justified": True, "notes": "Ok."}, format="json")

    assert (changed.status_code, decided.status_code) == (expected, expected)
    assert recorded.status_code == (201 if expected == 200 else expected)
    if expected != 200:
        bg.refresh_from_db()
        activation.refresh_from_db()
        assert (bg.username, BreakGlassActivation.objects.count(), activation.reviewed_at) == ("bg-ehr-1", 1, None)
        assert audit_count() == before


@pytest.mark.parametrize(
    ("who", "expected"),
    [("official", 200), ("privacy", 200), ("owner", 200), ("manager", 403), ("auditor", 403), ("outsider", 404)],
)
def test_only_sanction_managers_link_a_sanction(cast: Cast, who: str, expected: int) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)
    record = sanction(cast)
    before = audit_count()

    response = client(cast, who).post(
        f"{USES}{activation.public_id}/sanction/", {"sanction": str(record.public_id)}, format="json"
    )

    assert response.status_code == expected
    activation.refresh_from_db()
    if expected == 200:
        assert activation.sanction == record
        assert response.json()["sanction_id"] == str(record.public_id)
        assert response.json()["sanction_linked"] is True
    else:
        assert activation.sanction is None
        assert audit_count() == before


def test_records_of_another_organization_are_not_found(cast: Cast) -> None:
    theirs = account(cast, target=system(cast, "Their EHR", org=cast.other_org))
    their_use = use(cast, theirs)
    api = client(cast, "owner")

    codes = [
        api.get(f"{ACCOUNTS}{theirs.public_id}/").status_code,
        api.patch(f"{ACCOUNTS}{theirs.public_id}/", {"username": "x"}, format="json").status_code,
        api.get(f"{USES}{their_use.public_id}/").status_code,
        api.post(f"{USES}{their_use.public_id}/review/", {"justified": True, "notes": "x"}, format="json").status_code,
        api.post(
            f"{USES}{their_use.public_id}/sanction/", {"sanction": str(sanction(cast).public_id)}, format="json"
        ).status_code,
    ]

    assert codes == [404] * 5
    assert api.get(USES).json()["count"] == 0
    recorded = api.post(USES, use_body(theirs), format="json")
    assert recorded.status_code == 400
    assert error_of(recorded)["fields"] == {"account": ["No such break-glass account in this organization."]}


# ---- accounts ---------------------------------------------------------------------------------------------------


def test_changing_custodians_and_retiring_in_one_request(cast: Cast) -> None:
    bg = account(cast)

    response = client(cast, "owner").patch(
        f"{ACCOUNTS}{bg.public_id}/", {"custodians": [cast.owner.email], "is_active": False}, format="json"
    )

    assert response.status_code == 200
    assert [c["email"] for c in response.json()["custodians"]] == ["owner@clinic.test"]
    assert response.json()["is_active"] is False
    bg.refresh_from_db()
    assert not bg.is_active and list(bg.custodians.all()) == [cast.owner]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"custodians": ["nobody@nowhere.test"]}, "custodians", "No member of this organization matches"),
        ({"custodians": ["auditor@firm.test"]}, "custodians", "Custodians must be current members"),
        ({"system": "00000000-0000-0000-0000-000000000000"}, "system", "No such system in this organization."),
        ({"review_hours": 0}, "review_hours", "Ensure this value is greater than or equal to 1."),
    ],
)
def test_bad_accounts_are_refused_with_the_reason(
    cast: Cast, values: dict[str, object], field: str, message: str
) -> None:
    response = client(cast, "owner").post(ACCOUNTS, account_body(cast, **values), format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"][field][0].startswith(message)
    assert not BreakGlassAccount.objects.exists()


# ---- uses -------------------------------------------------------------------------------------------------------


def test_recording_a_use_by_employee_id(cast: Cast) -> None:
    bg = account(cast, review_hours=6)
    nurse = make.person(cast.org, "E300", name="Ada Nurse")

    response = client(cast, "official").post(USES, use_body(bg, used_by="E300", used_by_name=""), format="json")

    assert response.status_code == 201
    body = response.json()
    activation = BreakGlassActivation.objects.get()
    assert body["used_by"] == {"public_id": str(nurse.public_id), "employee_id": "E300", "name": "Ada Nurse"}
    assert body["review_state"] == "due"
    assert body["review_due_at"] == (activation.started_at + timedelta(hours=6)).isoformat().replace("+00:00", "Z")
    assert body["source"] == "manual"


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"started_at": "2999-01-01T00:00:00Z"}, "started_at", "A use cannot start in the future."),
        ({"used_by": "E404", "used_by_name": ""}, "used_by", "No one on the roster matches 'E404'."),
        ({"used_by_name": ""}, "used_by", "Say who used the account: a person on the roster or their name."),
    ],
)
def test_bad_uses_are_refused_with_the_reason(cast: Cast, values: dict[str, object], field: str, message: str) -> None:
    response = client(cast, "owner").post(USES, use_body(account(cast), **values), format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {field: [message]}
    assert not BreakGlassActivation.objects.exists()


def test_the_filters_find_overdue_and_unreviewed_uses(cast: Cast) -> None:
    bg = account(cast)
    now = timezone.now()
    overdue = orm_use(bg, now - timedelta(hours=30))
    due = orm_use(bg, now - timedelta(hours=2))
    orm_use(bg, now - timedelta(hours=10), reviewed_at=now - timedelta(hours=1), justified=True)
    api = client(cast, "auditor")

    def ids(query: str) -> list[str]:
        return [row["public_id"] for row in api.get(f"{USES}?{query}").json()["results"]]

    assert ids("overdue=true") == [str(overdue.public_id)]
    assert ids("unreviewed=true") == [str(due.public_id), str(overdue.public_id)]
    assert len(ids("")) == 3
    assert ids(f"account={bg.public_id}&state=reviewed") != []
    assert error_of(api.get(f"{USES}?state=sideways"))["fields"]["state"]


def test_reviewing_and_the_self_review_refusal(cast: Cast) -> None:
    me = make.person(cast.org, "E7", name="Sam Official", email="so@clinic.test")
    activation = use(cast, account(cast), used_by=me, used_by_name="")

    mine = client(cast, "official").post(
        f"{USES}{activation.public_id}/review/", {"justified": True, "notes": "Fine."}, format="json"
    )
    theirs = client(cast, "owner").post(
        f"{USES}{activation.public_id}/review/", {"justified": False, "notes": "No emergency."}, format="json"
    )

    assert mine.status_code == 400
    assert error_of(mine)["message"] == "You used this account: someone else must review the use."
    assert theirs.status_code == 200
    assert theirs.json()["review_state"] == "reviewed"
    assert theirs.json()["justified"] is False
    assert theirs.json()["reviewed_by"]["email"] == "owner@clinic.test"


def test_the_sanction_id_is_shown_only_to_readers_of_the_log(cast: Cast) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)
    record = sanction(cast)
    BreakGlassActivation.objects.filter(pk=activation.pk).update(sanction=record)

    for who, shown in [("official", str(record.public_id)), ("auditor", None), ("manager", None)]:
        body = client(cast, who).get(f"{USES}{activation.public_id}/").json()
        assert (body["sanction_linked"], body["sanction_id"]) == (True, shown), who


def test_linking_refuses_a_sanction_of_another_organization(cast: Cast) -> None:
    activation = reviewed(cast, use(cast, account(cast)), justified=False)
    theirs = sanction(cast, org=cast.other_org)

    response = client(cast, "official").post(
        f"{USES}{activation.public_id}/sanction/", {"sanction": str(theirs.public_id)}, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"sanction": ["No such sanction in this organization."]}


# ---- query counts -----------------------------------------------------------------------------------------------


def fill(cast: Cast, accounts: int, uses: int) -> None:
    for n in range(BreakGlassAccount.objects.count(), accounts):
        bg = account(
            cast, username=f"bg-{n}", target=system(cast, f"System {n}"), custodians=(cast.official, cast.owner)
        )
        nurse = make.person(cast.org, f"E{n}")
        for hours in range(uses):
            orm_use(bg, timezone.now() - timedelta(hours=hours + 1), used_by=nurse, used_by_name="", reviewed_at=None)


@pytest.mark.parametrize("path", [ACCOUNTS, USES])
def test_list_queries_do_not_grow_with_rows(cast: Cast, path: str) -> None:
    api = client(cast, "official")
    fill(cast, 3, 1)
    with CaptureQueriesContext(connection) as few:
        assert api.get(path).status_code == 200
    fill(cast, 30, 2)
    with CaptureQueriesContext(connection) as many:
        assert api.get(path).json()["count"] >= 30

    assert len(many) == len(few)
