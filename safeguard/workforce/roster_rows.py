"""Reading a roster file's rows: each row's cells parsed into a person's values (names, HR words for worker types
and statuses, termination dates and times in the source's zone) with its problems by column, then the checks
that need the whole file and the roster: employee IDs and user names held once, managers found, no circle of
managers. The importer (roster_import.py) classifies and writes what passes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from safeguard.core.imports import (
    LocalTimeError,
    RowReader,
    Tick,
    aware,
    choice_error,
    end_of_day,
    parse_choice,
    parse_date,
    parse_naive_datetime,
)
from safeguard.core.tabular import Row
from safeguard.workforce.models import Person, WorkerType
from safeguard.workforce.services.people import person_errors

Problems = dict[int, dict[str, str]]  # by row number, then by column

WORKER_TYPE_WORDS = {
    WorkerType.EMPLOYEE.value: ("full-time", "full time", "fulltime", "ft", "part-time", "part time", "parttime", "pt")
    + ("regular", "staff", "per diem", "per-diem", "prn", "w2", "w-2", "seasonal"),
    WorkerType.CONTRACTOR.value: ("contract", "agency", "agency temp", "temp", "consultant", "locum", "traveler")
    + ("1099", "vendor", "contingent", "contingent worker"),
    WorkerType.TRAINEE.value: ("intern", "resident", "fellow", "apprentice", "extern"),
    WorkerType.VOLUNTEER.value: ("unpaid", "unpaid volunteer"),
    WorkerType.STUDENT.value: ("student worker", "student intern"),
}
STATUS_WORDS = {
    Person.Status.ACTIVE.value: ("a", "employed", "current", "working"),
    Person.Status.LEAVE.value: ("l", "loa", "on loa", "leave of absence", "on leave of absence", "suspended"),
    Person.Status.TERMINATED.value: ("t", "term", "termed", "separated", "inactive", "former", "left"),
}
WORKER_TYPE_ALIASES = {word: value for value, words in WORKER_TYPE_WORDS.items() for word in words}
STATUS_ALIASES = {word: value for value, words in STATUS_WORDS.items() for word in words}


@dataclass
class RosterRow:
    number: int
    employee_id: str
    person: Person | None  # the person already recorded under this employee id
    values: dict[str, Any]  # person fields the file gives, the manager aside
    manager_ref: str | None  # as written; None when the file has no manager column
    manager_id: str | None = None  # the manager's employee id once resolved
    kind: str = ""
    compared: tuple[dict[str, Any], dict[str, Any]] = ({}, {})  # before and after, as person_write compares them


def split_full_name(text: str) -> tuple[str, str]:
    """(given, family) from "Family, Given" or "Given Family"."""
    if "," in text:
        family, _, given = text.partition(",")
        return given.strip(), family.strip()
    given, _, family = text.strip().rpartition(" ")
    return (given.strip(), family) if given else (family, "")


def termination_moment(day_text: str, clock_text: str, zone: ZoneInfo) -> tuple[datetime | None, dict[str, str]]:
    """When a termination takes effect: a date alone at the end of that day, else the wall-clock time read in
    `zone` (an explicit UTC offset wins); with the problem by column when it cannot be read."""
    if not day_text:
        if clock_text:
            return None, {"termination_time": "A termination time needs its date: fill in the termination date."}
        return None, {}
    where = "termination_date"
    if clock_text:
        if "T" in day_text or " " in day_text:
            return None, {where: "This date already holds a time: leave the termination time empty."}
        where = "termination_time"
        moment = parse_naive_datetime(f"{day_text} {clock_text}")
        if moment is None:
            bad = f"{day_text!r} is not a date" if parse_date(day_text) is None else f"{clock_text!r} is not a time"
            return None, {where: f"{bad}: write dates as YYYY-MM-DD (or MM/DD/YYYY), times as 17:30 or 5:30 PM."}
    else:
        day = parse_date(day_text) if "T" not in day_text and " " not in day_text else None
        if day is not None:
            return end_of_day(day, zone), {}
        moment = parse_naive_datetime(day_text)
        if moment is None:
            return None, {where: f"{day_text!r} is not a date: write it as YYYY-MM-DD (or MM/DD/YYYY)."}
    try:
        return aware(moment, zone), {}
    except LocalTimeError as error:
        return None, {where: str(error)}


def parse_row(
    number: int, cells: dict[str, str], people: dict[str, Person], zone: ZoneInfo
) -> tuple[RosterRow, dict[str, str]]:
    """One row of the file as a person's values, with its problems by column."""
    employee_id = cells.get("employee_id", "")
    person = people.get(employee_id)
    values: dict[str, Any] = {"employee_id": employee_id}
    found: dict[str, str] = {}
    values.update(_names(cells))
    for name in ("email", "user_name", "department", "job_role"):
        if name in cells:
            values[name] = cells[name]
    if len(values.get("user_name", "")) > 200:
        found["user_name"] = "At most 200 characters."
    if cells.get("worker_type"):
        worker_type = parse_choice(cells["worker_type"], WorkerType, WORKER_TYPE_ALIASES)
        if worker_type is None:
            found["worker_type"] = choice_error(cells["worker_type"], "worker type", WorkerType)
        else:
            values["worker_type"] = worker_type
    if cells.get("status"):
        status = parse_choice(cells["status"], Person.Status, STATUS_ALIASES)
        if status is None:
            found["status"] = choice_error(cells["status"], "status", Person.Status)
        else:
            values["status"] = status
    if "hire_date" in cells:
        values["hire_date"] = parse_date(cells["hire_date"])
        if cells["hire_date"] and values["hire_date"] is None:
            found["hire_date"] = f"{cells['hire_date']!r} is not a date: write it as YYYY-MM-DD (or MM/DD/YYYY)."
            del values["hire_date"]
    if "termination_date" in cells or "termination_time" in cells:
        moment, trouble = termination_moment(cells.get("termination_date", ""), cells.get("termination_time", ""), zone)
        if trouble:
            found.update(trouble)
        else:
            values["termination_at"] = moment
    speaks = "termination_date" in cells or "termination_time" in cells
    terminated = values.get("termination_at") if speaks else (person.termination_at if person else None)
    unreadable = "termination_date" in found or "termination_time" in found
    if values.get("status") == Person.Status.TERMINATED and terminated is None and not unreadable:
        found["status"] = "The status says terminated but no termination date is given: add the date they left."
    for name, message in person_errors(values, current=person).items():
        found.setdefault(_column_of(name, cells), message)
    hired = values.get("hire_date", person.hire_date if person else None)
    ended = values["termination_at"].astimezone(zone).date() if values.get("termination_at") else None
    if hired and ended and ended < hired:  # on the calendar of the zone the termination was written in
        message = f"The termination ({ended}) is before the hire date ({hired})."
        found.setdefault(_column_of("termination_at", cells), message)
    row = RosterRow(number, employee_id, person, values, cells.get("manager") if "manager" in cells else None)
    return row, found


def read_rows(
    raw_rows: Iterable[Row], reader: RowReader, people: dict[str, Person], zone: ZoneInfo, tick: Tick
) -> tuple[dict[str, RosterRow], Problems]:
    """Every row by employee ID (the first, when one is repeated) and the problems found on each."""
    rows: dict[str, RosterRow] = {}
    problems: Problems = defaultdict(dict)
    for done, raw in enumerate(raw_rows, start=1):
        row, found = parse_row(raw.number, reader.cells(raw), people, zone)
        first = rows.get(row.employee_id)
        if first is not None:
            found.setdefault("employee_id", f"Employee ID {row.employee_id} is already on row {first.number}.")
        elif row.employee_id:
            rows[row.employee_id] = row
        if found:
            problems[row.number].update(found)
        tick(done)
    return rows, problems


def check_rows(
    rows: dict[str, RosterRow], people: dict[str, Person], by_pk: dict[int, Person], problems: Problems
) -> None:
    """The checks that need the whole file and the roster as it will be after it."""
    _check_user_names(rows, people, problems)
    _resolve_managers(rows, people, problems)
    _check_cycles(rows, people, by_pk, problems)


def _names(cells: dict[str, str]) -> dict[str, str]:
    parts = [name for name in ("given_name", "family_name") if name in cells]
    if any(cells[name] for name in parts) or (parts and "full_name" not in cells):
        return {name: cells[name] for name in parts}
    if "full_name" in cells:
        given, family = split_full_name(cells["full_name"])
        return {"given_name": given, "family_name": family}
    return {}


def _column_of(name: str, cells: dict[str, str]) -> str:
    """The file's column a person field came from, to report its problem there."""
    if name == "termination_at":
        return "termination_date" if "termination_date" in cells else "termination_time"
    if name in ("given_name", "family_name") and name not in cells and "full_name" in cells:
        return "full_name"
    return name


def _check_user_names(rows: dict[str, RosterRow], people: dict[str, Person], problems: Problems) -> None:
    """Two people may not share a login name (the database refuses it, case aside)."""
    owners = {p.user_name.lower(): p.employee_id for p in people.values() if p.user_name and p.employee_id not in rows}
    for row in rows.values():
        user_name = row.values.get("user_name", row.person.user_name if row.person else "")
        if not user_name:
            continue
        other = owners.setdefault(user_name.lower(), row.employee_id)
        if other != row.employee_id:
            where = f"row {rows[other].number}" if other in rows else "already on the roster"
            problems[row.number].setdefault("user_name", f"The user name {user_name!r} is {other}'s ({where}).")


def _resolve_managers(rows: dict[str, RosterRow], people: dict[str, Person], problems: Problems) -> None:
    """Each manager by employee id, else by email, among the people the roster will hold after this file."""
    emails: dict[str, set[str]] = defaultdict(set)
    for person in people.values():
        if person.email and person.employee_id not in rows:
            emails[person.email.lower()].add(person.employee_id)
    for row in rows.values():
        email = row.values.get("email", row.person.email if row.person else "")
        if email:
            emails[email.lower()].add(row.employee_id)
    for row in rows.values():
        ref = row.manager_ref
        if not ref:
            continue
        if ref in rows or ref in people:
            key = ref
        elif len(emails.get(ref.lower(), ())) == 1:
            key = next(iter(emails[ref.lower()]))
        elif ref.lower() in emails:
            problems[row.number]["manager"] = f"Several people have the email {ref}: give the manager's employee ID."
            continue
        else:
            problems[row.number]["manager"] = (
                f"The manager {ref} is not on the roster: neither in this file nor among the people already recorded."
            )
            continue
        if key == row.employee_id:
            problems[row.number]["manager"] = "A person cannot be their own manager."
            continue
        row.manager_id = key


def _check_cycles(
    rows: dict[str, RosterRow], people: dict[str, Person], by_pk: dict[int, Person], problems: Problems
) -> None:
    """A chain of managers must end: A reporting to B who reports to A is refused on each row of the loop."""

    def manager_of(employee_id: str) -> str | None:
        row = rows.get(employee_id)
        if row is not None and row.manager_ref is not None:
            return row.manager_id
        person = row.person if row is not None else people.get(employee_id)
        manager = by_pk.get(person.manager_id) if person and person.manager_id else None
        return manager.employee_id if manager else None

    settled: set[str] = set()
    for start in rows:
        path: list[str] = []
        at: dict[str, int] = {}
        current: str | None = start
        while current is not None and current not in settled:
            if current in at:
                loop = [*path[at[current] :], current]
                for member in loop[:-1]:
                    if member in rows:
                        text = " → ".join(loop)
                        problems[rows[member].number].setdefault(
                            "manager", f"Managers go round in a circle ({text}): someone in it must report elsewhere."
                        )
                break
            at[current] = len(path)
            path.append(current)
            current = manager_of(current)
        settled.update(path)
