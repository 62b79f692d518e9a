"""Roster pages over HTTP: who may read and change the roster, isolation between organizations, the list's
filters and query count, the hand-entry form, issued items, and the HR file upload through to the commit."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import AuditEvent, FileImport, User
from safeguard.core.roles import Role
from safeguard.workforce.models import IssuedItem, Person, RosterSource, Workflow
from tests.access_factories import person
from tests.conftest import Cast, client_for, make_member
from tests.test_roster_support import csv, source, staff, upload

READ_PAGES = ["person_list", "person_detail", "roster_source_list"]
WRITE_PAGES = ["person_create", "person_edit", "roster_import", "roster_source_edit"]


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"workforce:{name}", args=[org, *args])


def user_of(cast: Cast, who: str) -> User:
    if who == "manager":
        return make_member(cast.org, "manager@clinic.test", Role.MANAGER).user
    user: User = getattr(cast, who)
    return user


def page_args(name: str, someone: Person, roster: RosterSource) -> list[object]:
    if name in ("person_detail", "person_edit"):
        return [someone.public_id]
    if name == "roster_source_edit":
        return [roster.public_id]
    return []


def person_form(**values: object) -> dict[str, object]:
    return {
        "employee_id": "E-7",
        "given_name": "Dana",
        "family_name": "Reyes",
        "email": "dana@clinic.test",
        "user_name": "",
        "department": "ICU",
        "job_role": "Nurse",
        "manager": "",
        "worker_type": "employee",
        "status": "active",
        "hire_date": "2024-02-05",
        "termination_date": "",
        "termination_time": "",
        "time_zone": "America/New_York",
        **values,
    }


# ---- who may reach what -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", READ_PAGES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 200), ("manager", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)],
)
def test_program_viewers_read_the_roster(cast: Cast, page: str, who: str, expected: int) -> None:
    someone, roster = person(cast.org, "E-1", name="Dana Reyes"), source(cast.org)
    response = client_for(user_of(cast, who)).get(url(page, *page_args(page, someone, roster)))
    assert response.status_code == expected
    if expected != 200:
        assert "Dana Reyes" not in response.content.decode()


@pytest.mark.parametrize("page", WRITE_PAGES)
@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("official", 200), ("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)],
)
def test_only_program_managers_open_the_forms(cast: Cast, page: str, who: str, expected: int) -> None:
    someone, roster = person(cast.org, "E-1"), source(cast.org)
    response = client_for(user_of(cast, who)).get(url(page, *page_args(page, someone, roster)))
    assert response.status_code == expected


@pytest.mark.parametrize(("who", "expected"), [("manager", 403), ("auditor", 403), ("outsider", 404)])
def test_denied_writes_change_nothing(cast: Cast, who: str, expected: int) -> None:
    someone, roster = person(cast.org, "E-1", department="ICU"), source(cast.org)
    item = IssuedItem.objects.create(organization=cast.org, person=someone, kind="badge", label="B-1")
    client = client_for(user_of(cast, who))
    before = AuditEvent.objects.count()

    answers = [
        client.post(url("person_create"), person_form()).status_code,
        client.post(url("person_edit", someone.public_id), person_form(employee_id="E-1")).status_code,
        client.post(url("issued_item_create", someone.public_id), {"kind": "key", "label": "K-1"}).status_code,
        client.post(url("issued_item_recover", item.public_id)).status_code,
        client.post(url("roster_source_edit", roster.public_id), {"name": "X", "time_zone": "UTC"}).status_code,
        client.post(
            url("roster_import"), {"file": upload(csv("E-9,A,B,,,,,,,")), "source": str(roster.public_id)}
        ).status_code,
    ]

    assert answers == [expected] * 6
    assert Person.objects.get().department == "ICU"
    assert IssuedItem.objects.get().recovered_at is None
    assert RosterSource.objects.get().name == "Payroll HR"
    assert not FileImport.objects.exists()
    assert AuditEvent.objects.count() == before


def test_another_organizations_records_are_not_found(cast: Cast) -> None:
    theirs = person(cast.other_org, "X-1", name="Their Person")
    item = IssuedItem.objects.create(organization=cast.other_org, person=theirs, kind="badge", label="B-9")
    their_source = RosterSource.objects.create(organization=cast.other_org, name="Theirs")
    client = client_for(cast.owner)

    assert client.get(url("person_detail", theirs.public_id)).status_code == 404
    assert client.get(url("person_edit", theirs.public_id)).status_code == 404
    assert client.post(url("issued_item_create", theirs.public_id), {"kind": "key", "label": "K"}).status_code == 404
    assert client.post(url("issued_item_recover", item.public_id)).status_code == 404
    assert client.get(url("roster_source_edit", their_source.public_id)).status_code == 404
    response = client.post(
        url("roster_import"), {"file": upload(csv("E-1,,,,,,,,,")), "source": their_source.public_id}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert IssuedItem.objects.get().recovered_at is None


# ---- the list and one person ------------------------------------------------------------------------------------


def test_the_list_filters_by_status_department_worker_type_and_words(cast: Cast) -> None:
    people = staff(cast)
    person(cast.org, "E-104", name="Vi Volunteer", worker_type="volunteer", department="Front desk")
    person(cast.org, "E-105", name="Ed Gone", termination_at=people["nurse"].created_at)
    client = client_for(cast.owner)

    def shown(**filters: str) -> list[str]:
        response = client.get(url("person_list"), filters)
        return sorted(p.employee_id for p in response.context["page"].object_list)

    assert shown(department="Billing") == ["E-103"]
    assert shown(worker_type="volunteer") == ["E-104"]
    assert shown(status="terminated") == ["E-105"]
    assert shown(q="nurse") == ["E-101"]
    assert shown(q="E-102") == ["E-102"]
    assert shown(q="e-100@clinic") == ["E-100"]
    assert len(shown()) == 6


def test_the_list_asks_the_same_number_of_queries_for_3_or_30_people(cast: Cast) -> None:
    boss = person(cast.org, "E-0", name="Big Boss")
    client = client_for(cast.owner)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url("person_list")).status_code == 200
        return len(captured)

    for number in range(1, 4):
        person(cast.org, f"E-{number}", manager=boss, department=f"Dept {number}")
    few = count()
    for number in range(4, 31):
        person(cast.org, f"E-{number}", manager=boss, department=f"Dept {number}")
    assert count() == few


def test_one_person_shows_manager_reports_workflows_and_items(cast: Cast) -> None:
    people = staff(cast)
    director = people["director"]
    Workflow.objects.create(organization=cast.org, person=director, kind="joiner", trigger="Roster import hr.csv")
    IssuedItem.objects.create(organization=cast.org, person=director, kind="badge", label="B-42")

    response = client_for(cast.auditor).get(url("person_detail", director.public_id))

    page = response.content.decode()
    assert response.context["reports"] == 2
    assert "Roster import hr.csv" in page
    assert "Badge B-42" in page
    assert "Record an issued item" not in page  # an auditor reads only
    nurse_page = client_for(cast.owner).get(url("person_detail", people["nurse"].public_id)).content.decode()
    assert "Ana Director" in nurse_page
    assert "Record an issued item" in nurse_page


# ---- writing by hand --------------------------------------------------------------------------------------------


def test_adding_a_person_by_hand_opens_a_joiner_workflow(cast: Cast) -> None:
    boss = person(cast.org, "E-1", name="Big Boss")
    response = client_for(cast.owner).post(url("person_create"), person_form(manager="E-1"))

    added = Person.objects.get(employee_id="E-7")
    assert response.status_code == 302
    assert response["Location"] == url("person_detail", added.public_id)
    assert (added.manager, added.source) == (boss, Person.Source.MANUAL)
    assert [w.kind for w in Workflow.objects.filter(person=added)] == ["joiner"]
    event = AuditEvent.objects.get(action="workforce.person.created")
    assert event.actor == cast.owner
    assert event.changes["department"] == [None, "ICU"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"manager": "E-404"}, "manager", "No one on the roster has the employee ID E-404."),
        ({"termination_date": "2024-01-31"}, "termination_date", "The termination (2024-01-31) is before the hire"),
        (
            {"termination_date": "2024-11-03", "termination_time": "01:30"},
            "termination_time",
            "2024-11-03 01:30 happens twice in America/New_York",
        ),
        ({"termination_time": "10:00"}, "termination_date", "A termination time needs its date."),
        ({"email": "nope"}, "email", "Enter a valid email address."),
    ],
)
def test_bad_input_by_hand_is_shown_on_its_field(cast: Cast, values: dict, field: str, message: str) -> None:
    response = client_for(cast.owner).post(url("person_create"), person_form(**values))
    assert response.status_code == 200
    assert response.context["form"].errors[field][0].startswith(message)
    assert not Person.objects.exists()


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"employee_id": "E-1"}, "employee_id", "Employee ID E-1 already belongs to Big Boss."),
        ({"user_name": "BBOSS"}, "user_name", "The user name 'BBOSS' already belongs to Big Boss (E-1)"),
    ],
)
def test_an_employee_id_or_user_name_already_taken_is_shown_on_its_field(
    cast: Cast, values: dict, field: str, message: str
) -> None:
    person(cast.org, "E-1", name="Big Boss", user_name="bboss")

    response = client_for(cast.owner).post(url("person_create"), person_form(**values))

    assert response.status_code == 200
    assert response.context["form"].errors[field][0].startswith(message)
    assert Person.objects.count() == 1
    assert not AuditEvent.objects.filter(action="workforce.person.created").exists()


def test_editing_a_department_opens_a_mover_and_leaves_the_termination_alone(cast: Cast) -> None:
    boss = person(cast.org, "E-1", name="Big Boss")
    someone = person(cast.org, "E-7", name="Dana Reyes", manager=boss, hire_date=date(2024, 2, 5))
    client = client_for(cast.owner)

    form = client.get(url("person_edit", someone.public_id)).context["form"]
    posted = {name: form.initial.get(name, "") or "" for name in person_form()}
    posted.update(department="Billing", hire_date="2024-02-05", manager="E-1", time_zone="UTC")
    response = client.post(url("person_edit", someone.public_id), posted)

    assert response.status_code == 302, response.context["form"].errors
    someone.refresh_from_db()
    assert (someone.department, someone.termination_at) == ("Billing", None)
    assert [w.kind for w in Workflow.objects.filter(person=someone)] == ["mover"]


def test_a_termination_by_hand_opens_a_leaver_workflow_timed_in_the_chosen_zone(cast: Cast) -> None:
    someone = person(cast.org, "E-7", hire_date=date(2024, 2, 5))
    values = {"termination_date": "2025-06-30", "termination_time": "17:00", "time_zone": "America/Chicago"}
    response = client_for(cast.owner).post(url("person_edit", someone.public_id), person_form(**values))
    assert response.status_code == 302
    someone.refresh_from_db()
    assert someone.termination_at.isoformat() == "2025-06-30T22:00:00+00:00"  # type: ignore[union-attr]
    assert [w.kind for w in Workflow.objects.filter(person=someone)] == ["leaver"]


def test_items_are_issued_and_recovered_once_with_audit(cast: Cast) -> None:
    someone = person(cast.org, "E-7")
    client = client_for(cast.owner)

    issued = client.post(
        url("issued_item_create", someone.public_id), {"kind": "device", "label": "Laptop SN-4411", "issued_on": ""}
    )
    item = IssuedItem.objects.get()
    recovered = client.post(url("issued_item_recover", item.public_id), {"note": "Returned at the desk"})
    again = client.post(url("issued_item_recover", item.public_id), follow=True)

    assert issued.status_code == recovered.status_code == 302
    item.refresh_from_db()
    assert item.recovered_by == cast.owner
    assert item.note == "Returned at the desk"
    assert "was already recovered" in again.content.decode()
    events = AuditEvent.objects.filter(action__startswith="workforce.issued_item").order_by("sequence")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["workforce.issued_item.issued", "workforce.issued_item.recovered"]


def test_an_item_without_a_label_is_refused_on_the_persons_page(cast: Cast) -> None:
    someone = person(cast.org, "E-7")
    response = client_for(cast.owner).post(url("issued_item_create", someone.public_id), {"kind": "key", "label": " "})
    assert response.status_code == 200
    assert response.context["item_form"].errors["label"]
    assert not IssuedItem.objects.exists()


# ---- the HR file ------------------------------------------------------------------------------------------------


def test_uploading_with_a_new_source_then_mapping_and_committing(cast: Cast) -> None:
    staff(cast)
    client = client_for(cast.owner)
    text = csv("E-101,Ben,Nurse,e-101@clinic.test,Billing,Nurse,E-100,Full-time,2021-04-01,")

    response = client.post(
        url("roster_import"),
        {"file": upload(text), "new_source_name": "Workday", "time_zone": "America/Denver", "initial_load": ""},
    )

    job = FileImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("core:file_import_detail", args=["clinic", job.public_id])
    roster = RosterSource.objects.get()
    assert (roster.name, roster.time_zone) == ("Workday", "America/Denver")
    assert job.options == {"source": str(roster.public_id), "initial_load": False}
    detail = client.get(response["Location"])
    assert "Roster from Workday" in detail.content.decode()

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("core:file_import_map", args=["clinic", job.public_id]), job.mapping)
    preview = client.get(response["Location"]).content.decode()
    assert "department: Nursing → Billing" in preview
    assert "Movers (department, job role or manager changed): <strong>1</strong>" in preview

    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("core:file_import_commit", args=["clinic", job.public_id]))
    job.refresh_from_db()
    assert job.state == FileImport.State.COMMITTED
    assert Person.objects.get(employee_id="E-101").department == "Billing"
    assert [w.kind for w in Workflow.objects.all()] == ["mover"]


def test_the_first_upload_is_ticked_as_the_initial_load(cast: Cast) -> None:
    response = client_for(cast.owner).get(url("roster_import"))
    assert response.context["form"]["initial_load"].value() is True
    person(cast.org, "E-1")
    response = client_for(cast.owner).get(url("roster_import"))
    assert response.context["form"]["initial_load"].value() is False


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"new_source_name": ""}, "new_source_name", "Choose a source, or name a new one."),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Select a valid choice."),
        ({"new_source_name": "payroll hr"}, "new_source_name", "There is already a roster source named 'payroll hr'."),
    ],
)
def test_upload_problems_are_shown_and_nothing_is_kept(cast: Cast, values: dict, field: str, message: str) -> None:
    source(cast.org)
    posted = {"file": upload(csv("E-1,,,,,,,,,")), "new_source_name": "Workday", "time_zone": "UTC", **values}
    response = client_for(cast.owner).post(url("roster_import"), posted)
    assert response.status_code == 200
    assert response.context["form"].errors[field][0].startswith(message)
    assert RosterSource.objects.count() == 1
    assert not FileImport.objects.exists()


def test_an_unreadable_file_keeps_no_new_source(cast: Cast) -> None:
    posted = {"file": upload("x", name="roster.pdf"), "new_source_name": "Workday", "time_zone": "UTC"}
    response = client_for(cast.owner).post(url("roster_import"), posted)
    assert response.context["form"].errors["file"] == ["Upload a .csv or .xlsx file."]
    assert not RosterSource.objects.exists()


def test_a_source_is_renamed_and_its_saved_mapping_shown(cast: Cast) -> None:
    roster = source(cast.org)
    roster.mapping = {"employee_id": "Emp #"}
    roster.save()
    client = client_for(cast.owner)

    assert "Emp #" in client.get(url("roster_source_edit", roster.public_id)).content.decode()
    response = client.post(url("roster_source_edit", roster.public_id), {"name": "ADP", "time_zone": "America/Denver"})

    assert response.status_code == 302
    roster.refresh_from_db()
    assert (roster.name, roster.time_zone) == ("ADP", "America/Denver")
    event = AuditEvent.objects.get(action="workforce.roster_source.updated")
    assert event.changes == {"name": ["Payroll HR", "ADP"], "time_zone": ["America/New_York", "America/Denver"]}
