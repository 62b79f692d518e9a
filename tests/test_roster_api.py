"""The roster over the API: people, roster sources, issued items, and a roster file from upload through the
shared file-import endpoints to the commit; who may do what, isolation, and flat query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from safeguard.core.models import AuditEvent, FileImport
from safeguard.core.roles import Role
from safeguard.workforce.models import IssuedItem, Person, RosterSource, Workflow
from tests.access_factories import person
from tests.conftest import Cast, make_member
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_roster_support import csv, source, staff, upload

BASE = "/api/v1/orgs/clinic/"
PEOPLE = f"{BASE}people/"
SOURCES = f"{BASE}roster-sources/"
IMPORTS = f"{BASE}roster-imports/"


def client_for_role(cast: Cast, who: str) -> APIClient:
    if who == "manager":
        return api_client(make_member(cast.org, "manager@clinic.test", Role.MANAGER).user)
    return client_as(cast, who)


READERS = [("owner", 200), ("manager", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)]
DENIED = [("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


# ---- authorization ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), [*READERS, ("anonymous", 401)])
def test_reads_matrix(cast: Cast, who: str, expected: int) -> None:
    someone = person(cast.org, "E-1", name="Dana Reyes")
    IssuedItem.objects.create(organization=cast.org, person=someone, kind="badge", label="B-1")
    source(cast.org)
    client = client_for_role(cast, who)

    answers = [
        client.get(PEOPLE),
        client.get(f"{PEOPLE}{someone.public_id}/"),
        client.get(f"{PEOPLE}{someone.public_id}/issued-items/"),
        client.get(SOURCES),
    ]

    assert [answer.status_code for answer in answers] == [expected] * 4
    if expected == 200:
        assert answers[0].json()["results"][0]["name"] == "Dana Reyes"
        assert answers[2].json()["results"][0]["label"] == "B-1"
        assert answers[3].json()["results"][0]["time_zone"] == "America/New_York"
    else:
        assert "Dana Reyes" not in answers[0].content.decode()


@pytest.mark.parametrize(("who", "expected"), [("owner", None), *DENIED])
def test_writes_matrix(cast: Cast, who: str, expected: int | None) -> None:
    someone = person(cast.org, "E-1", department="ICU")
    item = IssuedItem.objects.create(organization=cast.org, person=someone, kind="badge", label="B-1")
    roster = source(cast.org)
    client = client_for_role(cast, who)
    before = audit_count()

    answers = [
        client.post(PEOPLE, {"employee_id": "E-2"}, format="json").status_code,
        client.patch(f"{PEOPLE}{someone.public_id}/", {"department": "Billing"}, format="json").status_code,
        client.post(
            f"{PEOPLE}{someone.public_id}/issued-items/", {"kind": "key", "label": "K"}, format="json"
        ).status_code,
        client.post(f"{BASE}issued-items/{item.public_id}/recover/", {}, format="json").status_code,
        client.post(SOURCES, {"name": "ADP", "time_zone": "UTC"}, format="json").status_code,
        client.post(IMPORTS, {"file": upload(csv("E-3,,,,,,,,,")), "source": str(roster.public_id)}).status_code,
    ]

    if expected is None:
        assert answers == [201, 200, 201, 200, 201, 201]
        assert Person.objects.count() == 2
        assert audit_count() > before
    else:
        assert answers == [expected] * 6
        assert Person.objects.count() == 1
        assert Person.objects.get().department == "ICU"
        assert IssuedItem.objects.count() == 1
        assert IssuedItem.objects.get().recovered_at is None
        assert RosterSource.objects.count() == 1
        assert not FileImport.objects.exists()
        assert audit_count() == before


def test_another_organizations_records_are_not_found(cast: Cast) -> None:
    theirs = person(cast.other_org, "X-1")
    item = IssuedItem.objects.create(organization=cast.other_org, person=theirs, kind="badge", label="B-9")
    their_source = RosterSource.objects.create(organization=cast.other_org, name="Theirs")
    client = client_as(cast, "owner")

    assert client.get(f"{PEOPLE}{theirs.public_id}/").status_code == 404
    assert client.patch(f"{PEOPLE}{theirs.public_id}/", {"department": "X"}, format="json").status_code == 404
    assert client.get(f"{PEOPLE}{theirs.public_id}/issued-items/").status_code == 404
    assert client.post(f"{BASE}issued-items/{item.public_id}/recover/", {}, format="json").status_code == 404
    refused = client.post(IMPORTS, {"file": upload(csv("E-1,,,,,,,,,")), "source": str(their_source.public_id)})
    assert refused.status_code == 400
    assert error_of(refused)["message"] == "No such roster source in this organization."
    assert client.get(PEOPLE).json()["count"] == 0
    assert [s["name"] for s in client.get(SOURCES).json()["results"]] == []


# ---- people -----------------------------------------------------------------------------------------------------


def test_a_person_is_created_with_a_manager_and_opens_a_joiner_workflow(cast: Cast) -> None:
    boss = person(cast.org, "E-1", name="Big Boss")
    response = client_as(cast, "owner").post(
        PEOPLE,
        {"employee_id": "E-7", "given_name": "Dana", "family_name": "Reyes", "manager": "E-1", "department": "ICU"},
        format="json",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["manager"] == {"public_id": str(boss.public_id), "employee_id": "E-1", "name": "Big Boss"}
    assert (body["status"], body["source"]) == ("active", "manual")
    added = Person.objects.get(employee_id="E-7")
    assert [w.kind for w in Workflow.objects.filter(person=added)] == ["joiner"]
    assert AuditEvent.objects.get(action="workforce.person.created").actor == cast.owner


def test_a_patch_terminating_someone_opens_a_leaver_workflow(cast: Cast) -> None:
    someone = person(cast.org, "E-7")
    response = client_as(cast, "owner").patch(
        f"{PEOPLE}{someone.public_id}/", {"termination_at": "2025-06-30T17:00:00-05:00"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["termination_at"] == "2025-06-30T22:00:00Z"
    assert response.json()["status"] == "terminated"
    assert [w.kind for w in Workflow.objects.filter(person=someone)] == ["leaver"]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"employee_id": "E-9", "manager": "E-404"}, "manager", "No one on the roster has the employee ID E-404."),
        ({"employee_id": "E-9", "email": "nope"}, "email", "'nope' is not an email address."),
        ({"employee_id": "E-9", "termination_at": "2025-06-30T17:00:00"}, "termination_at", "Give the time with its"),
        ({"employee_id": "E-9", "status": "terminated"}, "status", "Give termination_at instead"),
        ({"employee_id": "E-9", "status": "gone"}, "status", '"gone" is not a valid choice.'),
        ({"employee_id": "  "}, "employee_id", "This field may not be blank."),
    ],
)
def test_bad_people_are_refused_with_the_field_and_reason(cast: Cast, body: dict, field: str, message: str) -> None:
    response = client_as(cast, "owner").post(PEOPLE, body, format="json")
    assert response.status_code == 400
    assert error_of(response)["fields"][field][0].startswith(message)
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"employee_id": "E-1"}, "employee_id", "Employee ID E-1 already belongs to Big Boss."),
        (
            {"employee_id": "E-9", "user_name": "BBoss"},
            "user_name",
            "The user name 'BBoss' already belongs to Big Boss (E-1)",
        ),
    ],
)
def test_an_employee_id_or_user_name_already_taken_is_a_400_on_its_field(
    cast: Cast, body: dict, field: str, message: str
) -> None:
    person(cast.org, "E-1", name="Big Boss", user_name="bboss")

    response = client_as(cast, "owner").post(PEOPLE, body, format="json")

    assert response.status_code == 400
    assert error_of(response)["fields"][field][0].startswith(message)
    assert Person.objects.count() == 1


def test_patching_a_user_name_onto_someone_else_is_a_400(cast: Cast) -> None:
    person(cast.org, "E-1", name="Big Boss", user_name="bboss")
    other = person(cast.org, "E-2")

    response = client_as(cast, "owner").patch(f"{PEOPLE}{other.public_id}/", {"user_name": "BBOSS"}, format="json")

    assert response.status_code == 400
    assert list(error_of(response)["fields"]) == ["user_name"]
    other.refresh_from_db()
    assert other.user_name == ""


def test_the_people_list_filters(cast: Cast) -> None:
    staff(cast)
    client = client_as(cast, "owner")
    assert [p["employee_id"] for p in client.get(PEOPLE, {"department": "Billing"}).json()["results"]] == ["E-103"]
    assert client.get(PEOPLE, {"q": "ben"}).json()["count"] == 1
    assert client.get(PEOPLE, {"status": "terminated"}).json()["count"] == 0
    assert error_of(client.get(PEOPLE, {"worker_type": "robot"}))["fields"]["worker_type"]


def test_the_people_list_asks_the_same_number_of_queries_for_3_or_30(cast: Cast) -> None:
    boss = person(cast.org, "E-0", name="Big Boss")
    client = client_as(cast, "owner")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PEOPLE).status_code == 200
        return len(captured)

    for number in range(1, 4):
        person(cast.org, f"E-{number}", manager=boss)
    few = count()
    for number in range(4, 31):
        person(cast.org, f"E-{number}", manager=boss)
    assert count() == few


# ---- sources and items ------------------------------------------------------------------------------------------


def test_a_source_needs_a_real_time_zone_and_its_own_name(cast: Cast) -> None:
    source(cast.org)
    client = client_as(cast, "owner")
    bad_zone = client.post(SOURCES, {"name": "ADP", "time_zone": "Mars/Olympus"}, format="json")
    taken = client.post(SOURCES, {"name": "payroll HR", "time_zone": "UTC"}, format="json")
    assert error_of(bad_zone)["fields"] == {
        "time_zone": ["'Mars/Olympus' is not a time zone: use an Area/City name such as America/New_York."]
    }
    assert error_of(taken)["fields"] == {"name": ["There is already a roster source named 'payroll HR'."]}
    assert RosterSource.objects.count() == 1


def test_items_are_issued_and_recovered_once(cast: Cast) -> None:
    someone = person(cast.org, "E-7")
    client = client_as(cast, "owner")
    issued = client.post(
        f"{PEOPLE}{someone.public_id}/issued-items/", {"kind": "token", "label": "YubiKey 5"}, format="json"
    )
    item_id = issued.json()["public_id"]
    recovered = client.post(
        f"{BASE}issued-items/{item_id}/recover/", {"recovered_at": "2025-01-02T09:00:00+00:00"}, format="json"
    )
    again = client.post(f"{BASE}issued-items/{item_id}/recover/", {}, format="json")

    assert issued.status_code == 201
    assert recovered.json()["recovered_at"] == "2025-01-02T09:00:00Z"
    assert recovered.json()["recovered_by"]["email"] == cast.owner.email
    assert again.status_code == 400
    assert error_of(again)["message"] == "Security token YubiKey 5 was already recovered on 2025-01-02."


# ---- the roster file through the shared import endpoints --------------------------------------------------------


def test_upload_map_and_commit_a_roster_file(cast: Cast) -> None:
    staff(cast)
    roster = source(cast.org)
    client = client_as(cast, "owner")
    text = csv(
        "E-101,Ben,Nurse,e-101@clinic.test,Billing,Nurse,E-100,Full-time,2021-04-01,",
        "E-200,Eve,New,e-200@clinic.test,Nursing,Charge nurse,E-100,Full-time,2026-01-05,",
    )

    started = client.post(IMPORTS, {"file": upload(text), "source": str(roster.public_id), "initial_load": "false"})

    assert started.status_code == 201, started.content
    job = started.json()
    assert (job["kind"], job["state"]) == ("workforce.roster", "uploaded")
    assert job["options"] == {"source": str(roster.public_id), "initial_load": False}
    assert job["mapping"]["manager"] == "Supervisor ID"
    one = f"{BASE}file-imports/{job['public_id']}/"

    with TestCase.captureOnCommitCallbacks(execute=True):
        mapped = client.post(f"{one}mapping/", {"mapping": job["mapping"]}, format="json")
    assert mapped.status_code == 202
    ready = client.get(one).json()
    assert ready["state"] == "ready"
    counts = {line["key"]: line["count"] for line in ready["summary"]}
    assert (counts["joiners"], counts["movers"], counts["workflows"]) == (1, 1, 2)
    assert ready["preview"][0]["action"] == "Joiner"

    with TestCase.captureOnCommitCallbacks(execute=True):
        committed = client.post(f"{one}commit/")
    assert committed.status_code == 202
    done = client.get(one).json()
    assert (done["state"], done["created_count"], done["updated_count"]) == ("committed", 1, 1)
    assert sorted(w.kind for w in Workflow.objects.all()) == ["joiner", "mover"]


def test_an_upload_with_bad_rows_lists_them_and_commits_nothing(cast: Cast) -> None:
    roster = source(cast.org)
    client = client_as(cast, "owner")
    started = client.post(
        IMPORTS, {"file": upload(csv("E-1,A,B,,,,E-9,,,", "E-1,A,C,,,,,,,")), "source": str(roster.public_id)}
    ).json()
    one = f"{BASE}file-imports/{started['public_id']}/"
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"{one}mapping/", {"mapping": started["mapping"]}, format="json")
    invalid = client.get(one).json()
    assert invalid["state"] == "invalid"
    assert [(e["row"], e["column"]) for e in invalid["errors"]] == [(2, "Supervisor ID"), (3, "Employee ID")]
    refused = client.post(f"{one}commit/")
    assert refused.status_code == 400
    assert not Person.objects.exists()


def test_an_upload_without_a_source_is_refused(cast: Cast) -> None:
    response = client_as(cast, "owner").post(IMPORTS, {"file": upload(csv("E-1,,,,,,,,,"))})
    assert response.status_code == 400
    assert error_of(response)["message"] == "Choose the roster source the file comes from."
    assert not FileImport.objects.exists()


def test_an_auditor_reads_a_roster_import_but_cannot_map_it(cast: Cast) -> None:
    roster = source(cast.org)
    started = client_as(cast, "owner").post(IMPORTS, {"file": upload(csv("E-1,,,,,,,,,")), "source": roster.public_id})
    one = f"{BASE}file-imports/{started.json()['public_id']}/"
    auditor = client_as(cast, "auditor")
    assert auditor.get(one).status_code == 403  # the importer's permission guards the job: manage-program
    assert client_as(cast, "outsider").get(one).status_code == 404
