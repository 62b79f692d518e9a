"""Systems pages over HTTP: the list with each system's latest figures, registering an asset, a system's snapshots
and settings, and importing an account list through the shared import pages; who may do what; flat queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.access.models import Account, AccountSnapshot, System
from safeguard.core.models import AuditEvent, FileImport, User
from safeguard.core.roles import Role
from safeguard.risk.models import Asset, AssetKind
from tests import access_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_accounts_support import Capture, ehr, lines, upload

READERS = [
    ("owner", 200),
    ("official", 200),
    ("privacy", 200),
    ("manager", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
]
WRITERS = [("owner", 200), ("privacy", 200), ("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)]


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"access:{name}", args=[org, *args])


def user_of(cast: Cast, who: str) -> User:
    roles = {"privacy": Role.PRIVACY_OFFICER, "manager": Role.MANAGER, "reviewer": Role.REVIEWER}
    if who in roles:
        return make_member(cast.org, f"{who}@clinic.test", roles[who]).user
    user: User = getattr(cast, who)
    return user


def billing(cast: Cast) -> Asset:
    return Asset.objects.create(organization=cast.org, name="Billing", kind=AssetKind.APPLICATION)


# ---- who may reach what -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READERS)
def test_program_viewers_read_the_system_pages(cast: Cast, who: str, expected: int) -> None:
    system = ehr(cast)
    make.snapshot(system, [{"username": "dreyes"}])
    client = client_for(user_of(cast, who))

    statuses = {
        client.get(url("system_list")).status_code,
        client.get(url("system_detail", system.public_id)).status_code,
    }

    assert statuses == {expected}


@pytest.mark.parametrize(("who", "expected"), WRITERS)
def test_only_program_managers_register_change_and_import(cast: Cast, who: str, expected: int) -> None:
    system = ehr(cast)
    asset = billing(cast)
    client = client_for(user_of(cast, who))
    before = AuditEvent.objects.count()

    page = client.get(url("account_import"))
    registered = client.post(url("system_register"), {"asset": str(asset.public_id)})
    changed = client.post(url("system_settings", system.public_id), {"time_zone": "America/Denver"})
    uploaded = client.post(url("account_import"), {"system": str(system.public_id), "file": upload(lines("a"))})

    assert page.status_code == expected
    if expected == 200:
        assert (registered.status_code, changed.status_code, uploaded.status_code) == (302, 302, 302)
        return
    assert (registered.status_code, changed.status_code, uploaded.status_code) == (expected, expected, expected)
    assert System.objects.count() == 1
    assert System.objects.get().time_zone == "UTC"
    assert not FileImport.objects.exists()
    assert AuditEvent.objects.count() == before


def test_another_organizations_system_is_not_found(cast: Cast) -> None:
    theirs = make.system(cast.other_org, "Their EHR")
    client = client_for(cast.owner)

    assert client.get(url("system_detail", theirs.public_id)).status_code == 404
    assert client.post(url("system_settings", theirs.public_id), {"time_zone": "UTC"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.time_zone == "UTC"


# ---- the list -------------------------------------------------------------------------------------------------------


def test_the_list_shows_each_systems_latest_figures(cast: Cast) -> None:
    system = ehr(cast)
    make.snapshot(
        system,
        [
            {"username": "a", "mfa_enabled": True},
            {"username": "b", "mfa_enabled": False},
            {"username": "c", "classification": "pending"},
        ],
        taken_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
    )
    make.system(cast.org, "Billing")

    page = client_for(cast.auditor).get(url("system_list")).content.decode()

    assert "2026-03-02 09:00" in page and "67%" in page and "none imported" in page
    assert "Register a system" not in page  # auditors read only


def test_registering_an_asset_opens_the_new_system(cast: Cast) -> None:
    asset = billing(cast)

    response = client_for(cast.owner).post(url("system_register"), {"asset": str(asset.public_id)})

    system = System.objects.get()
    assert response["Location"] == url("system_detail", system.public_id)
    assert AuditEvent.objects.filter(action="access.system.registered").count() == 1


def test_a_registered_asset_is_not_offered_again(cast: Cast) -> None:
    system = ehr(cast)

    response = client_for(cast.owner).post(url("system_register"), {"asset": str(system.asset.public_id)})

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert System.objects.count() == 1


def test_bad_settings_are_shown_on_the_form(cast: Cast) -> None:
    system = ehr(cast)

    response = client_for(cast.owner).post(
        url("system_settings", system.public_id), {"time_zone": "Mars/Olympus", "inactive_days": "30"}
    )

    assert response.status_code == 200
    assert "is not a time zone: use a name such as America/New_York." in response.content.decode()
    system.refresh_from_db()
    assert system.inactive_days is None


def _list_queries(cast: Cast, count: int, start: int) -> int:
    for n in range(start, start + count):
        make.snapshot(make.system(cast.org, f"System {n:03}"), [{"username": "a"}, {"username": "b"}])
    client = client_for(cast.owner)
    client.get(url("system_list"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("system_list"))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_list_takes_the_same_queries_for_3_or_30_systems(cast: Cast) -> None:
    assert _list_queries(cast, 3, 0) == _list_queries(cast, 27, 3)


def test_the_system_page_takes_the_same_queries_for_3_or_30_snapshots(cast: Cast) -> None:
    system = ehr(cast)
    client = client_for(cast.owner)

    counts = []
    for extra in (3, 27):
        for _ in range(extra):
            make.snapshot(system, [{"username": "a"}])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("system_detail", system.public_id)).status_code == 200
        counts.append(len(queries.captured_queries))

    assert counts[0] == counts[1]


# ---- importing through the pages ------------------------------------------------------------------------------------


def test_the_import_page_preselects_the_system(cast: Cast) -> None:
    system = ehr(cast)
    billing(cast)

    page = client_for(cast.owner).get(url("account_import") + f"?system={system.public_id}").content.decode()

    assert f'<option value="{system.public_id}" selected>EHR</option>' in page
    assert "Billing (not yet a system)" in page


def test_an_upload_goes_to_the_import_page(cast: Cast) -> None:
    system = ehr(cast)

    response = client_for(cast.owner).post(
        url("account_import"),
        {"system": str(system.public_id), "taken_at": "2026-03-02T09:00", "file": upload(lines("dreyes"))},
    )

    job = FileImport.objects.get()
    assert response["Location"] == reverse("core:file_import_detail", args=["clinic", job.public_id])
    assert (job.kind, job.options["system"], job.options["taken_at"]) == (
        "access.accounts",
        str(system.public_id),
        "2026-03-02T09:00:00+00:00",
    )


def test_a_future_date_is_refused_on_the_form(cast: Cast) -> None:
    system = ehr(cast)

    response = client_for(cast.owner).post(
        url("account_import"),
        {"system": str(system.public_id), "taken_at": "2999-01-01T09:00", "file": upload(lines("dreyes"))},
    )

    assert response.status_code == 200
    assert "The list&#x27;s date is in the future" in response.content.decode()
    assert not FileImport.objects.exists()


def test_upload_map_check_and_commit_through_the_pages(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    make.person(cast.org, "E-1", name="Dana Reyes")
    asset = billing(cast)
    client = client_for(cast.owner)
    text = lines("dreyes,E-1,Clinician", "svc_claims,,Batch", header="User,Employee ID,Groups")

    uploaded = client.post(url("account_import"), {"system": str(asset.public_id), "file": upload(text)})
    job = FileImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("core:file_import_map", args=["clinic", job.public_id]),
            {"username": "User", "employee_id": "Employee ID", "roles": "Groups"},
        )
    page = client.get(uploaded["Location"]).content.decode()
    assert "Matched by employee id: <strong>1</strong>" in page
    assert "svc_claims" in page and "Service account" in page  # the preview with each row's match
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("core:file_import_commit", args=["clinic", job.public_id]))

    job.refresh_from_db()
    assert job.state == FileImport.State.COMMITTED
    system = System.objects.get(asset=asset)
    snapshot = AccountSnapshot.objects.get(system=system)
    assert job.result["snapshot"] == str(snapshot.public_id)
    assert Account.objects.get(username="dreyes").roles == ["Clinician"]
    assert system.account_mapping == {"username": "User", "employee_id": "Employee ID", "roles": "Groups"}
    detail = client.get(url("snapshot_detail", snapshot.public_id)).content.decode()
    assert job.sha256[:16] in detail  # the file's hash, from the import that made the snapshot
