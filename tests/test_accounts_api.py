"""Systems and accounts over the API: systems (list, register, settings), snapshots, accounts with filters, the
decision about an account, and an account list's upload → mapping → commit through the shared import endpoints;
who may reach what, isolation, error envelopes and flat query counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from safeguard.access.models import Account, AccountDesignation, AccountSnapshot, Classification, MatchMethod, System
from safeguard.core.models import FileImport
from safeguard.risk.models import Asset, AssetKind
from safeguard.workforce.models import Person
from tests import access_factories as make
from tests.conftest import Cast
from tests.test_accounts_support import Capture, ehr, lines, upload
from tests.test_api_support import api_client, audit_count, client_as, error_of

BASE = "/api/v1/orgs/clinic/"


@pytest.fixture
def dana(cast: Cast) -> Person:
    return make.person(cast.org, "E-1", name="Dana Reyes")


@pytest.fixture
def system(cast: Cast, dana: Person) -> System:
    found = ehr(cast)
    make.snapshot(
        found,
        [
            {"username": "dreyes", "person": dana, "roles": ["Clinician"]},
            {"username": "reyesd", "person": dana, "match_method": MatchMethod.NAME, "classification": "pending"},
            {"username": "admin", "privileged": True, "mfa_enabled": False},
        ],
        taken_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )
    return found


def snapshot_of(system: System) -> AccountSnapshot:
    return system.snapshots.get()


def account(username: str) -> Account:
    return Account.objects.get(username=username)


# ---- who may reach what ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)],
)
def test_program_viewers_read(cast: Cast, system: System, who: str, expected: int) -> None:
    client = client_as(cast, who)
    snapshot = snapshot_of(system)

    paths = [
        "systems/",
        f"systems/{system.public_id}/",
        f"systems/{system.public_id}/snapshots/",
        f"snapshots/{snapshot.public_id}/",
        f"snapshots/{snapshot.public_id}/accounts/",
        f"accounts/{account('dreyes').public_id}/",
    ]

    assert {client.get(BASE + path).status_code for path in paths} == {expected}


@pytest.mark.parametrize(("who", "expected"), [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_denied_writes_change_nothing(cast: Cast, system: System, who: str, expected: int) -> None:
    client = client_as(cast, who)
    asset = Asset.objects.create(organization=cast.org, name="Billing", kind=AssetKind.APPLICATION)
    before = audit_count()

    statuses = [
        client.post(BASE + "systems/", {"asset": "Billing"}, format="json").status_code,
        client.patch(BASE + f"systems/{system.public_id}/", {"time_zone": "Asia/Tokyo"}, format="json").status_code,
        client.post(
            BASE + f"accounts/{account('reyesd').public_id}/designation/", {"classification": "orphan"}, format="json"
        ).status_code,
        client.post(
            BASE + f"systems/{system.public_id}/account-imports/", {"file": upload(lines("a"))}, format="multipart"
        ).status_code,
    ]

    assert statuses == [expected] * 4
    assert audit_count() == before
    assert not System.objects.filter(asset=asset).exists()
    assert System.objects.get(pk=system.pk).time_zone == "UTC"
    assert not AccountDesignation.objects.exists() and not FileImport.objects.exists()


def test_another_organizations_records_are_not_found(cast: Cast) -> None:
    theirs = make.system(cast.other_org, "Theirs")
    snapshot = make.snapshot(theirs, [{"username": "x"}])
    client = client_as(cast, "owner")

    paths = [
        f"systems/{theirs.public_id}/",
        f"systems/{theirs.public_id}/snapshots/",
        f"snapshots/{snapshot.public_id}/",
        f"snapshots/{snapshot.public_id}/accounts/",
        f"accounts/{snapshot.accounts.get().public_id}/",
    ]

    assert {client.get(BASE + path).status_code for path in paths} == {404}
    response = client.post(
        BASE + f"systems/{theirs.public_id}/account-imports/", {"file": upload(lines("a"))}, format="multipart"
    )
    assert response.status_code == 404
    assert client.get(BASE + "systems/").json()["count"] == 0


# ---- systems ------------------------------------------------------------------------------------------------------


def test_the_list_gives_each_systems_latest_figures(cast: Cast, system: System) -> None:
    body = client_as(cast, "auditor").get(BASE + "systems/").json()

    assert body["count"] == 1
    row = body["results"][0]
    assert (row["name"], row["accounts"], row["enabled"], row["mfa_percent"]) == ("EHR", 3, 3, 67)
    assert (row["privileged_no_mfa"], row["orphans"], row["pending"]) == (1, 1, 1)
    assert row["latest_taken_at"] == "2026-03-02T09:00:00Z"


def test_registering_an_asset_by_name(cast: Cast) -> None:
    Asset.objects.create(organization=cast.org, name="Billing", kind=AssetKind.APPLICATION)

    response = client_as(cast, "owner").post(BASE + "systems/", {"asset": "billing"}, format="json")

    assert response.status_code == 201
    assert response.json()["name"] == "Billing" and response.json()["latest_snapshot_id"] is None
    assert System.objects.get().asset.name == "Billing"


def test_registering_an_unknown_asset_says_why(cast: Cast) -> None:
    response = client_as(cast, "owner").post(BASE + "systems/", {"asset": "Payroll"}, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"asset": ["No asset 'Payroll' in the inventory: add it first."]}


def test_settings_change_and_their_errors(cast: Cast, system: System) -> None:
    client = client_as(cast, "owner")
    path = BASE + f"systems/{system.public_id}/"

    changed = client.patch(path, {"inactive_days": 30}, format="json")
    refused = client.patch(path, {"time_zone": "Mars/Olympus"}, format="json")

    assert changed.status_code == 200 and changed.json()["inactive_days"] == 30
    assert refused.status_code == 400
    assert error_of(refused)["fields"]["time_zone"][0].startswith("'Mars/Olympus' is not a time zone")
    system.refresh_from_db()
    assert (system.time_zone, system.inactive_days) == ("UTC", 30)


# ---- snapshots and accounts -----------------------------------------------------------------------------------


def test_accounts_are_filtered(cast: Cast, system: System) -> None:
    path = BASE + f"snapshots/{snapshot_of(system).public_id}/accounts/"
    client = client_as(cast, "owner")

    def shown(**filters: str) -> list[str]:
        return [row["username"] for row in client.get(path, filters).json()["results"]]

    assert shown() == ["admin", "dreyes", "reyesd"]
    assert shown(classification="pending") == ["reyesd"]
    assert shown(privileged="true") == ["admin"]
    assert shown(privileged="false") == ["dreyes", "reyesd"]
    assert shown(no_mfa="true") == ["admin"]
    assert shown(q="REYES") == ["dreyes", "reyesd"]
    bad = client.get(path, {"classification": "robot"})
    assert bad.status_code == 400 and "classification" in error_of(bad)["fields"]


def test_an_account_shows_whose_it_is(cast: Cast, system: System, dana: Person) -> None:
    body = client_as(cast, "owner").get(BASE + f"accounts/{account('dreyes').public_id}/").json()

    assert body["person"] == {
        "public_id": str(dana.public_id),
        "employee_id": "E-1",
        "name": "Dana Reyes",
        "email": "e-1@clinic.test",
    }
    assert (body["classification"], body["match_method"], body["roles"]) == ("person", "employee_id", ["Clinician"])
    assert body["designation"] is None


def _list_queries(cast: Cast, count: int, start: int) -> tuple[int, int]:
    found = ehr(cast, f"System {start}")
    snapshot = make.snapshot(found, [{"username": f"user{n}"} for n in range(start, start + count)])
    client = client_as(cast, "owner")
    with CaptureQueriesContext(connection) as accounts_queries:
        assert client.get(BASE + f"snapshots/{snapshot.public_id}/accounts/").status_code == 200
    with CaptureQueriesContext(connection) as systems_queries:
        assert client.get(BASE + "systems/").status_code == 200
    return len(accounts_queries.captured_queries), len(systems_queries.captured_queries)


def test_lists_take_the_same_queries_for_3_or_30_rows(cast: Cast) -> None:
    assert _list_queries(cast, 3, 0) == _list_queries(cast, 30, 100)


# ---- designations -----------------------------------------------------------------------------------------------


def test_confirming_a_name_match(cast: Cast, system: System, dana: Person) -> None:
    response = client_as(cast, "official").post(
        BASE + f"accounts/{account('reyesd').public_id}/designation/",
        {"classification": "person", "person": str(dana.public_id)},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["classification"], body["match_method"], body["person"]["employee_id"]) == ("person", "manual", "E-1")
    assert body["designation"]["decided_by"]["email"] == "so@clinic.test"


def test_a_shared_account_with_an_owner(cast: Cast, system: System) -> None:
    response = client_as(cast, "owner").post(
        BASE + f"accounts/{account('admin').public_id}/designation/",
        {"classification": "shared", "owner": "e-1@clinic.test", "note": "IT's admin login"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["owner"]["employee_id"] == "E-1"
    assert account("admin").classification == Classification.SHARED


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        (
            {"classification": "person", "person": "E-404"},
            "person",
            "Nobody on the roster has the id or email 'E-404'.",
        ),
        ({"classification": "person"}, "person", "Name the person the account belongs to."),
        ({"classification": "pending"}, "classification", "Choose one of person, service, shared, orphan."),
        ({"classification": "orphan", "owner": "E-1"}, "owner", "Only a service or shared account has an owner."),
    ],
)
def test_bad_designations_say_why(
    cast: Cast, system: System, payload: dict[str, str], field: str, message: str
) -> None:
    response = client_as(cast, "owner").post(
        BASE + f"accounts/{account('admin').public_id}/designation/", payload, format="json"
    )

    assert response.status_code == 400
    assert error_of(response)["fields"] == {field: [message]}
    assert not AccountDesignation.objects.exists()


# ---- importing --------------------------------------------------------------------------------------------------


def test_upload_map_and_commit_an_account_list(
    cast: Cast, system: System, django_capture_on_commit_callbacks: Capture
) -> None:
    client = api_client(cast.owner)
    text = lines("dreyes,E-1,active", "newhire,,active", header="Login,Employee ID,Status")

    uploaded = client.post(
        BASE + f"systems/{system.public_id}/account-imports/",
        {"file": upload(text), "taken_at": "2026-04-01T08:00:00-04:00"},
        format="multipart",
    )
    assert uploaded.status_code == 201
    job = uploaded.json()
    assert (job["kind"], job["state"], job["options"]["taken_at"]) == (
        "access.accounts",
        "uploaded",
        "2026-04-01T12:00:00+00:00",
    )
    assert job["mapping"] == {"username": "Login", "employee_id": "Employee ID", "status": "Status"}
    job_path = BASE + f"file-imports/{job['public_id']}/"
    with django_capture_on_commit_callbacks(execute=True):
        mapped = client.post(job_path + "mapping/", {"mapping": job["mapping"]}, format="json")
    assert mapped.status_code == 202
    checked = client.get(job_path).json()
    assert checked["state"] == "ready"
    assert {line["key"]: line["count"] for line in checked["summary"]}["orphan"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(job_path + "commit/").status_code == 202

    done = client.get(job_path).json()
    assert done["state"] == "committed"
    snapshot = AccountSnapshot.objects.get(public_id=done["result"]["snapshot"])
    assert (snapshot.system, snapshot.account_count) == (system, 2)
    assert snapshot.taken_at == datetime(2026, 4, 1, 12, tzinfo=UTC)


def test_an_upload_dated_in_the_future_is_refused(cast: Cast, system: System) -> None:
    response = client_as(cast, "owner").post(
        BASE + f"systems/{system.public_id}/account-imports/",
        {"file": upload(lines("a")), "taken_at": "2999-01-01T00:00"},
        format="multipart",
    )

    assert response.status_code == 400
    assert error_of(response)["message"] == "The list's date is in the future: give the moment it was exported."
    assert not FileImport.objects.exists()


def test_the_endpoints_are_described_under_the_access_tag() -> None:
    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    org = "/api/v1/orgs/{org_slug}"
    expected = {
        f"{org}/systems/": {"get", "post"},
        f"{org}/systems/{{system_id}}/": {"get", "patch"},
        f"{org}/systems/{{system_id}}/snapshots/": {"get"},
        f"{org}/systems/{{system_id}}/account-imports/": {"post"},
        f"{org}/snapshots/{{snapshot_id}}/": {"get"},
        f"{org}/snapshots/{{snapshot_id}}/accounts/": {"get"},
        f"{org}/accounts/{{account_id}}/": {"get"},
        f"{org}/accounts/{{account_id}}/designation/": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
        assert all(paths[path][method]["tags"] == ["access"] for method in methods), path
