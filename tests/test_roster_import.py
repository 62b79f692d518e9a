"""The roster importer: the change preview, every bad-input case listed by row and column with nothing committed,
termination times across time zones and daylight-saving changes, and what the commit writes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.imports import importer_for
from safeguard.core.models import AuditEvent, FileImport
from safeguard.core.services import file_imports
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person, RosterSource, WorkerType, Workflow
from safeguard.workforce.roster_import import KIND
from safeguard.workforce.roster_rows import split_full_name
from tests.access_factories import person
from tests.conftest import Cast
from tests.test_roster_support import (
    check,
    commit,
    csv,
    errors,
    recent,
    source,
    staff,
    summary,
    upload,
    utc,
    workflows,
)

State = FileImport.State


def realistic(term: str) -> str:
    """The clinic's HR export: one unchanged, a mover, a leaver, a corrected email, two joiners (the report's
    row before their new manager's)."""
    return csv(
        "E-100,Ana,Director,e-100@clinic.test,Administration,Director,,Full-time,2020-01-06,",
        "E-101,Ben,Nurse,e-101@clinic.test,Billing,Nurse,E-100,Full-time,2021-04-01,",
        f"E-102,Cy,Night,e-102@clinic.test,Nursing,Nurse,E-100,Part-time,2021-04-01,{term}",
        "E-103,Di,Clerk,di.clerk@clinic.test,Billing,Clerk,,Full-time,2021-04-01,",
        "E-201,Flo,Newer,e-201@clinic.test,Nursing,Nurse,E-200,Agency,2026-01-05,",
        "E-200,Eve,New,e-200@clinic.test,Nursing,Charge nurse,E-100,Full-time,2026-01-05,",
    )


# ---- the preview ------------------------------------------------------------------------------------------------


def test_the_preview_counts_joiners_movers_leavers_updates_and_the_people_left_out(cast: Cast) -> None:
    staff(cast)
    person(cast.org, "E-104", name="Gus Absent")
    person(cast.org, "E-105", name="Hal Gone", termination_at=utc(2022, 1, 1))

    checked = check(cast.org, realistic(recent(3)))

    assert errors(checked) == []
    assert summary(checked) == {
        "joiners": 2,
        "movers": 1,
        "leavers": 1,
        "updated": 1,
        "former": 0,
        "unchanged": 1,
        "errors": 0,
        "absent": 1,
        "workflows": 4,
    }
    actions = [(row["row"], row["action"], row["employee_id"]) for row in checked.preview]
    assert actions == [
        (6, "Joiner", "E-201"),
        (7, "Joiner", "E-200"),
        (4, "Leaver", "E-102"),
        (3, "Mover", "E-101"),
        (5, "Update", "E-103"),
        (2, "Unchanged", "E-100"),
    ]
    changes = {row["employee_id"]: row["changes"] for row in checked.preview}
    assert changes["E-101"] == ["department: Nursing → Billing"]
    assert changes["E-103"] == ["email: e-103@clinic.test → di.clerk@clinic.test"]
    assert changes["E-100"] == []
    assert Person.objects.count() == 6  # checking writes nothing


def test_a_preview_row_shows_the_cells_in_the_importers_column_order(cast: Cast) -> None:
    checked = check(cast.org, csv("E-1,Dana,Reyes,dana@clinic.test,ICU,Nurse,,,2020-02-03,"))
    cells = checked.preview[0]["cells"]
    assert len(cells) == len(importer_for(KIND).columns)
    assert cells[:3] == ["E-1", "Dana", "Reyes"]


def test_the_first_file_is_an_initial_load_by_default(cast: Cast) -> None:
    checked = check(cast.org, csv("E-1,Dana,Reyes,dana@clinic.test,ICU,Nurse,,,2020-02-03,"))
    assert summary(checked)["joiners"] == 1
    assert summary(checked)["workflows"] == 0
    assert "initial load" in checked.summary[-1]["label"]


@pytest.mark.parametrize(
    "header",
    [
        "Emp #,Full Name,E-mail,Dept,Job Title,Manager ID,Start Date,Termination Date,Termination Time,Status",
        "Employee Number,Name,Email Address,Department Name,Position,Reports To,Date of Hire,End Date,End Time,"
        "Employment Status",
    ],
)
def test_generous_header_aliases_map_every_column(cast: Cast, header: str) -> None:
    importer = importer_for(KIND)
    headers = header.split(",")
    mapping = importer.guess_mapping(headers)
    assert set(mapping) == {
        "employee_id",
        "full_name",
        "email",
        "department",
        "job_role",
        "manager",
        "hire_date",
        "termination_date",
        "termination_time",
        "status",
    }
    assert sorted(mapping.values()) == sorted(headers)


@pytest.mark.parametrize(
    ("text", "given", "family"),
    [("Reyes, Dana", "Dana", "Reyes"), ("Dana Reyes", "Dana", "Reyes"), ("Mary Ann Smith", "Mary Ann", "Smith")],
)
def test_a_full_name_is_split_either_way_round(text: str, given: str, family: str) -> None:
    assert split_full_name(text) == (given, family)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("full-time", WorkerType.EMPLOYEE),
        ("Part Time", WorkerType.EMPLOYEE),
        ("Contract", WorkerType.CONTRACTOR),
        ("agency", WorkerType.CONTRACTOR),
        ("Intern", WorkerType.TRAINEE),
        ("resident", WorkerType.TRAINEE),
        ("Volunteer", WorkerType.VOLUNTEER),
        ("student", WorkerType.STUDENT),
    ],
)
def test_worker_types_are_read_from_values_labels_and_hr_words(cast: Cast, written: str, stored: str) -> None:
    job = commit(cast, csv(f"E-1,Dana,Reyes,,ICU,Nurse,,{written},2020-02-03,"))
    assert job.state == State.COMMITTED, job.errors
    assert Person.objects.get().worker_type == stored


# ---- bad input: every problem by row and column, nothing committed ----------------------------------------------


def test_every_bad_row_of_the_issue_is_listed_and_nothing_is_committed(cast: Cast) -> None:
    staff(cast)
    text = csv(
        "E-1,Dana,Reyes,dana@clinic.test,ICU,Nurse,,,2020-02-03,",
        "E-2,Eli,Moss,eli@clinic.test,ICU,Nurse,E-999,,2020-02-03,",
        "E-1,Dana,Again,dana2@clinic.test,ICU,Nurse,,,2020-02-03,",
        "E-3,Fay,Lee,fay@clinic.test,ICU,Nurse,,,2022-05-01,2022-04-30",
        "E-4,Gil,Ng,not-an-email,ICU,Nurse,,,2020-02-30,",
        "E-5,Hu,Ray,hu@clinic.test,ICU,Nurse,E-5,Robot,2020-02-03,",
    )

    job = commit(cast, text)

    assert job.state == State.INVALID
    assert errors(job) == [
        (
            3,
            "Supervisor ID",
            "The manager E-999 is not on the roster: neither in this file nor among the people already recorded.",
        ),
        (4, "Employee ID", "Employee ID E-1 is already on row 2."),
        (5, "Term Date", "The termination (2022-04-30) is before the hire date (2022-05-01)."),
        (6, "Work Email", "'not-an-email' is not an email address."),
        (6, "Hire Date", "'2020-02-30' is not a date: write it as YYYY-MM-DD (or MM/DD/YYYY)."),
        (7, "Supervisor ID", "A person cannot be their own manager."),
        (7, "Employee Type", "'Robot' is not a worker type: use one of " + ", ".join(WorkerType.values) + "."),
    ]
    assert summary(job)["errors"] == 5
    assert job.preview == []
    assert Person.objects.count() == 4
    assert Workflow.objects.count() == 0


def test_an_unknown_column_mapping_is_refused_before_any_row_is_read(cast: Cast) -> None:
    roster = source(cast.org)
    actor = Actor(user=cast.owner)
    job = file_imports.import_start(
        organization=cast.org,
        actor=actor,
        kind=KIND,
        upload=upload(csv("E-1,Dana,Reyes,,,,,,,")),
        options={"source": str(roster.public_id)},
    )
    with pytest.raises(ServiceError) as refused:
        file_imports.import_map(
            organization=cast.org, actor=actor, job=job, mapping={"employee_id": "Employee ID", "badge": "Title"}
        )
    assert refused.value.field == "badge"
    assert refused.value.message.startswith("'badge' is not a column of this import")
    with pytest.raises(ServiceError, match="The file has no column headed 'Emp No'"):
        file_imports.import_map(organization=cast.org, actor=actor, job=job, mapping={"employee_id": "Emp No"})
    assert Person.objects.count() == 0


def test_a_manager_cycle_inside_the_file_is_refused_on_each_row_of_it(cast: Cast) -> None:
    checked = check(
        cast.org,
        csv(
            "E-1,Ann,One,,ICU,Nurse,E-2,,2020-02-03,",
            "E-2,Bob,Two,,ICU,Nurse,E-3,,2020-02-03,",
            "E-3,Cat,Three,,ICU,Nurse,E-1,,2020-02-03,",
            "E-4,Dan,Four,,ICU,Nurse,E-1,,2020-02-03,",
        ),
    )
    loop = "Managers go round in a circle (E-1 → E-2 → E-3 → E-1): someone in it must report elsewhere."
    assert errors(checked) == [(2, "Supervisor ID", loop), (3, "Supervisor ID", loop), (4, "Supervisor ID", loop)]


def test_a_manager_named_by_email_is_found_in_the_file_or_on_the_roster(cast: Cast) -> None:
    people = staff(cast)
    job = commit(
        cast,
        csv(
            "E-1,Ann,One,ann@clinic.test,ICU,Nurse,e-100@clinic.test,,2020-02-03,",
            "E-2,Bob,Two,bob@clinic.test,ICU,Nurse,ANN@clinic.test,,2020-02-03,",
        ),
    )
    assert job.state == State.COMMITTED, job.errors
    assert Person.objects.get(employee_id="E-1").manager == people["director"]
    assert Person.objects.get(employee_id="E-2").manager.employee_id == "E-1"  # type: ignore[union-attr]


def test_duplicate_user_names_are_refused_whatever_their_case(cast: Cast) -> None:
    person(cast.org, "E-9", name="Old Login", user_name="dreyes")
    checked = check(
        cast.org,
        csv(
            "E-1,Dana,Reyes,DReyes",
            "E-2,Dan,Reyes,dan",
            "E-3,Dani,R,DAN",
            header="employee_id,given_name,family_name,user_name",
        ),
    )
    assert errors(checked) == [
        (2, "user_name", "The user name 'DReyes' is E-9's (already on the roster)."),
        (4, "user_name", "The user name 'DAN' is E-2's (row 3)."),
    ]


def test_terminated_status_without_a_date_and_an_unknown_status_are_refused(cast: Cast) -> None:
    checked = check(
        cast.org,
        csv("E-1,Terminated,", "E-2,retired,", "E-3,LOA,", header="employee_id,status,termination_date"),
    )
    assert errors(checked) == [
        (2, "status", "The status says terminated but no termination date is given: add the date they left."),
        (3, "status", "'retired' is not a status: use one of active, leave, terminated."),
    ]


# ---- termination times ------------------------------------------------------------------------------------------


HEADER_TIMES = "employee_id,hire_date,termination_date,termination_time"


def test_a_termination_without_a_time_ends_that_evening_in_the_sources_zone(cast: Cast) -> None:
    source(cast.org, time_zone="America/Los_Angeles")
    job = commit(cast, csv("E-1,2020-02-03,2024-07-04,", header=HEADER_TIMES))
    assert job.state == State.COMMITTED, job.errors
    assert Person.objects.get().termination_at == utc(2024, 7, 5, 6, 59)  # 23:59 PDT


def test_a_termination_time_is_read_in_the_sources_zone_unless_it_has_an_offset(cast: Cast) -> None:
    source(cast.org, time_zone="America/Chicago")
    job = commit(
        cast,
        csv("E-1,2020-02-03,2024-01-15,17:30", "E-2,2020-02-03,2024-01-15T17:30:00+01:00,", header=HEADER_TIMES),
    )
    assert job.state == State.COMMITTED, job.errors
    assert Person.objects.get(employee_id="E-1").termination_at == utc(2024, 1, 15, 23, 30)
    assert Person.objects.get(employee_id="E-2").termination_at == utc(2024, 1, 15, 16, 30)


def test_a_termination_time_that_happens_twice_on_the_fall_back_night_is_refused(cast: Cast) -> None:
    source(cast.org, time_zone="America/New_York")
    checked = check(
        cast.org,
        csv("E-1,2020-02-03,2024-11-03,01:30", "E-2,2020-02-03,2024-03-10 02:30,", header=HEADER_TIMES),
    )
    assert errors(checked) == [
        (
            2,
            "termination_time",
            "2024-11-03 01:30 happens twice in America/New_York (clocks go back): give the time with its UTC "
            "offset, e.g. -05:00.",
        ),
        (
            3,
            "termination_date",
            "2024-03-10 02:30 does not exist in America/New_York (clocks go forward): check the time.",
        ),
    ]


def test_the_same_time_with_its_offset_is_accepted_on_the_fall_back_night(cast: Cast) -> None:
    source(cast.org, time_zone="America/New_York")
    job = commit(cast, csv("E-1,2020-02-03,2024-11-03,01:30-05:00", header=HEADER_TIMES))
    assert job.state == State.COMMITTED, job.errors
    assert Person.objects.get().termination_at == utc(2024, 11, 3, 6, 30)


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (
            "E-1,2020-02-03,,17:00",
            "termination_time",
            "A termination time needs its date: fill in the termination date.",
        ),
        (
            "E-1,2020-02-03,yesterday,",
            "termination_date",
            "'yesterday' is not a date: write it as YYYY-MM-DD (or MM/DD/YYYY).",
        ),
        (
            "E-1,2020-02-03,2024-01-15,teatime",
            "termination_time",
            "'teatime' is not a time: write dates as YYYY-MM-DD (or MM/DD/YYYY), times as 17:30 or 5:30 PM.",
        ),
    ],
)
def test_unreadable_termination_times_name_the_column(cast: Cast, row: str, column: str, message: str) -> None:
    assert errors(check(cast.org, csv(row, header=HEADER_TIMES))) == [(2, column, message)]


# ---- the commit -------------------------------------------------------------------------------------------------


def test_the_commit_writes_every_change_and_opens_the_workflows_the_preview_announced(cast: Cast) -> None:
    people = staff(cast)

    job = commit(cast, realistic(recent(3)))

    assert job.state == State.COMMITTED, (job.failure, job.errors)
    assert (job.created_count, job.updated_count) == (2, 3)
    assert job.result["workflows_opened"] == 4
    assert sorted(workflows()) == ["joiner:E-200", "joiner:E-201", "leaver:E-102", "mover:E-101"]
    new_manager = Person.objects.get(employee_id="E-200")
    assert new_manager.manager == people["director"]
    assert Person.objects.get(employee_id="E-201").manager == new_manager
    leaver = Person.objects.get(employee_id="E-102")
    assert leaver.status == Person.Status.TERMINATED
    assert leaver.source == Person.Source.ROSTER
    assert Workflow.objects.get(kind="mover").trigger == "Roster import roster.csv (Payroll HR)"
    assert AuditEvent.objects.filter(action="workforce.person.created").count() == 2
    assert AuditEvent.objects.filter(action="workforce.person.updated").count() == 3
    assert AuditEvent.objects.get(action="import.committed").changes["summary"][1][0]["key"] == "joiners"


def test_an_initial_load_records_people_without_workflows(cast: Cast) -> None:
    job = commit(cast, realistic(recent(3)))
    assert job.options["initial_load"] is True
    assert job.state == State.COMMITTED, job.errors
    assert Person.objects.count() == 6
    assert Workflow.objects.count() == 0
    assert Person.objects.get(employee_id="E-201").manager.employee_id == "E-200"  # type: ignore[union-attr]


def test_a_later_file_can_still_be_loaded_without_workflows(cast: Cast) -> None:
    staff(cast)
    quiet = commit(cast, realistic(recent(3)), initial_load=True)
    assert quiet.state == State.COMMITTED
    assert Workflow.objects.count() == 0


def test_a_committed_mapping_is_remembered_for_the_sources_next_file(cast: Cast) -> None:
    roster = source(cast.org)
    commit(cast, csv("E-1,Dana,Reyes,,,,,,,"), roster=roster)
    roster.refresh_from_db()
    assert roster.mapping["employee_id"] == "Employee ID"
    assert roster.mapping["manager"] == "Supervisor ID"
    assert importer_for(KIND).saved_mapping(cast.org, {"source": str(roster.public_id)}) == roster.mapping


def test_a_rehire_and_an_old_leaver_added_without_a_workflow(cast: Cast) -> None:
    person(cast.org, "E-1", name="Back Again", termination_at=utc(2023, 1, 1), hire_date=date(2020, 1, 6))
    person(cast.org, "E-2", name="Still Here")
    checked = check(
        cast.org,
        csv(
            "E-1,,",
            f"E-3,2019-01-01,{recent(400)}",
            header="employee_id,hire_date,termination_date",
        ),
    )
    assert summary(checked)["joiners"] == 1  # the rehire
    assert summary(checked)["former"] == 1


def test_options_need_a_source_of_this_organization(cast: Cast) -> None:
    other = RosterSource.objects.create(organization=cast.other_org, name="Theirs")
    importer = importer_for(KIND)
    with pytest.raises(Exception, match="No such roster source in this organization."):
        importer.clean_options(cast.org, {"source": str(other.public_id)})
    with pytest.raises(Exception, match="Choose the roster source"):
        importer.clean_options(cast.org, {})


def test_checking_a_large_file_asks_the_database_a_fixed_number_of_questions(cast: Cast) -> None:
    source(cast.org)
    director = person(cast.org, "E-0", name="Big Boss")
    for number in range(1, 60):
        person(cast.org, f"E-{number}", manager=director)

    def queries(size: int) -> int:
        rows = [f"E-{n},Pat,N{n},e-{n}@clinic.test,ICU,Nurse,E-0,,2020-01-06," for n in range(1, size)]
        with CaptureQueriesContext(connection) as captured:
            check(cast.org, csv(*rows, "E-500,New,Hire,new@clinic.test,ICU,Nurse,E-3,,2026-01-05,"))
        return len(captured)

    assert queries(5) == queries(59)


def test_the_commit_asks_no_uniqueness_question_per_row(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    from safeguard.workforce.services import people as people_service

    def per_row(*args: object, **kwargs: object) -> None:
        raise AssertionError("the check already held every employee ID and user name against the roster")

    monkeypatch.setattr(people_service, "taken_keys", per_row)
    staff(cast)

    job = commit(cast, realistic(recent(3)))

    assert job.state == State.COMMITTED, (job.failure, job.errors)
    assert Person.objects.count() == 6


def test_a_notice_withdrawn_in_the_file_is_an_update_and_cancels_the_leaver_workflow(cast: Cast) -> None:
    staff(cast)
    notice = (timezone.localdate() + timedelta(days=20)).isoformat()
    commit(cast, csv(f"E-101,{notice}", header="employee_id,termination_date"))
    leaving = Workflow.objects.get(person__employee_id="E-101", kind="leaver")

    withdrawn = check(cast.org, csv("E-101,", header="employee_id,termination_date"))
    job = commit(cast, csv("E-101,", header="employee_id,termination_date"))

    assert (summary(withdrawn)["joiners"], summary(withdrawn)["updated"]) == (0, 1)
    assert job.state == State.COMMITTED, job.errors
    leaving.refresh_from_db()
    assert (leaving.status, leaving.cancel_reason) == (Workflow.Status.CANCELLED, "Termination withdrawn")
    assert not Workflow.objects.filter(person__employee_id="E-101", kind="joiner").exists()
