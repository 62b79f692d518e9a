"""The roster importer (HR export → people, with a change preview); registered with the core pipeline.

The file is the HR system's truth for the columns it has: a mapped column with an empty cell clears the field
(an empty termination date for someone who had left is a rehire); an unmapped column leaves the field alone.
Choices (worker type, status) given empty keep what the person had. People missing from the file are counted,
never terminated: an export filtered by department must not turn into a wave of leavers.

Checking loads the organization's people once and classifies every row exactly as person_write will, so the
preview's joiners, movers and leavers are what the commit does; the commit writes managers before their reports
so each person gets their final manager in one write. Reading and checking the rows is roster_rows.py's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor, jsonable
from safeguard.core.imports import CheckedFile, Column, Importer, ImportRefused, Outcome, Tick, parse_yes_no, register
from safeguard.core.models import FileImport, Organization
from safeguard.workforce.models import Person, RosterSource
from safeguard.workforce.planning import planning_batch
from safeguard.workforce.roster_rows import RosterRow, check_rows, read_rows
from safeguard.workforce.services.people import PERSON_FIELDS, TakenKeys, classify, derive_status, person_write
from safeguard.workforce.services.roster import roster_source_remember_mapping

KIND = "workforce.roster"
PREVIEW_ROWS = 20
CHANGED_FIRST = {"joiner": 0, "leaver": 1, "mover": 2, "update": 3, "unchanged": 4}
ACTIONS = {"joiner": "Joiner", "mover": "Mover", "leaver": "Leaver", "update": "Update", "unchanged": "Unchanged"}
LABELS = {
    "employee_id": "employee id",
    "given_name": "given name",
    "family_name": "family name",
    "email": "email",
    "user_name": "user name",
    "department": "department",
    "job_role": "job role",
    "manager": "manager",
    "worker_type": "worker type",
    "hire_date": "hire date",
    "termination_at": "termination",
    "status": "status",
}


@dataclass
class RosterPlan:
    source: RosterSource
    now: datetime
    rows: list[RosterRow]  # in writing order: every manager in the file before their reports
    people: dict[str, Person]  # already recorded, by employee id


class RosterImporter(Importer):
    kind = KIND
    label = "Workforce roster"
    max_rows = 50_000
    preview_template = "workforce/roster_preview.html"
    columns = (
        Column(
            "employee_id",
            "Employee ID",
            required=True,
            aliases=(
                "employee_number",
                "employee_no",
                "emp",
                "emp_id",
                "emp_no",
                "worker_id",
                "staff_id",
                "person_number",
            ),
        ),
        Column("given_name", "Given name", aliases=("first_name", "first", "forename", "legal_first_name")),
        Column("family_name", "Family name", aliases=("last_name", "last", "surname", "legal_last_name")),
        Column("full_name", "Full name", aliases=("name", "employee_name", "worker_name", "display_name")),
        Column("email", "Work email", aliases=("email_address", "work_email_address", "business_email", "e_mail")),
        Column("user_name", "User name", aliases=("username", "login", "user_id", "network_id", "upn")),
        Column("department", "Department", aliases=("dept", "department_name", "home_department", "unit")),
        Column("job_role", "Job role", aliases=("job_title", "title", "position", "role", "position_title", "job")),
        Column(
            "manager",
            "Manager (employee ID or email)",
            aliases=("manager_id", "supervisor", "supervisor_id", "manager_employee_id", "reports_to", "manager_email"),
        ),
        Column(
            "worker_type",
            "Worker type",
            aliases=("employee_type", "employment_type", "worker_category", "type", "employee_class"),
        ),
        Column("hire_date", "Hire date", aliases=("start_date", "date_of_hire", "original_hire_date", "hired")),
        Column(
            "termination_date",
            "Termination date",
            aliases=("term_date", "termination", "end_date", "separation_date", "last_day", "termination_date_time"),
        ),
        Column("termination_time", "Termination time", aliases=("term_time", "end_time", "separation_time")),
        Column("status", "Status", aliases=("employment_status", "employee_status", "worker_status")),
    )

    # ---- options and mapping ----

    def _source(self, organization: Organization, options: dict[str, Any]) -> RosterSource:
        try:
            public_id = UUID(str(options.get("source") or ""))
        except ValueError:
            raise ImportRefused("Choose the roster source the file comes from.") from None
        source = RosterSource.objects.filter(organization=organization, public_id=public_id).first()
        if source is None:
            raise ImportRefused("No such roster source in this organization.")
        return source

    def clean_options(self, organization: Organization, options: dict[str, Any]) -> dict[str, Any]:
        source = self._source(organization, options)
        initial = options.get("initial_load")
        if initial is None or initial == "":
            initial = not Person.objects.filter(organization=organization).exists()
        elif not isinstance(initial, bool):
            initial = parse_yes_no(str(initial))
            if initial is None:
                raise ImportRefused("Say whether this is the initial load: yes or no.")
        return {"source": str(source.public_id), "initial_load": initial}

    def describe(self, organization: Organization, options: dict[str, Any]) -> str:
        try:
            return f"Roster from {self._source(organization, options).name}"
        except ImportRefused:
            return "Roster"

    def saved_mapping(self, organization: Organization, options: dict[str, Any]) -> dict[str, str]:
        return dict(self._source(organization, options).mapping)

    def save_mapping(self, organization: Organization, options: dict[str, Any], mapping: dict[str, str]) -> None:
        source = self._source(organization, options)
        roster_source_remember_mapping(organization=organization, source=source, mapping=mapping)

    def back_url(self, organization: Organization, job: FileImport) -> str:
        return reverse("workforce:person_list", args=[organization.slug])

    # ---- checking ----

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        source = self._source(organization, options)
        zone = ZoneInfo(source.time_zone)
        now = timezone.now()
        known = list(Person.objects.filter(organization=organization))
        by_pk = {person.pk: person for person in known}
        for person in known:  # so person_write's snapshot finds the manager without a query
            if person.manager_id:
                person.manager = by_pk.get(person.manager_id)
        people = {person.employee_id: person for person in known}
        reader = self.reader(table.headers, mapping)
        rows, problems = read_rows(table.rows, reader, people, zone, tick)
        check_rows(rows, people, by_pk, problems)
        checked = CheckedFile()
        for number in sorted(problems):
            checked.errors.extend(reader.errors(number, problems[number]))
        clean = [row for row in rows.values() if row.number not in problems]
        _classify(clean, by_pk, now)
        _summarise(checked, clean, people, rows, len(problems), options)
        checked.preview = _preview(clean, self.names, table, reader, zone)
        checked.plan = RosterPlan(source=source, now=now, rows=_managers_first(clean), people=people)
        return checked

    # ---- writing ----

    def apply(
        self,
        organization: Organization,
        actor: Actor,
        checked: CheckedFile,
        options: dict[str, Any],
        file_name: str,
        *,
        file_sha256: str = "",
        file_import: FileImport | None = None,
    ) -> Outcome:
        plan: RosterPlan = checked.plan
        open_workflows = not options.get("initial_load", False)
        trigger = f"Roster import {file_name} ({plan.source.name})"
        with planning_batch():
            return self._write(organization, actor, plan, trigger, open_workflows)

    def _write(
        self, organization: Organization, actor: Actor, plan: RosterPlan, trigger: str, open_workflows: bool
    ) -> Outcome:
        written: dict[str, Person] = {}
        created = updated = opened = 0
        for row in plan.rows:
            values = dict(row.values)
            if row.manager_ref is not None:
                key = row.manager_id
                values["manager"] = (written.get(key) or plan.people.get(key)) if key else None
            person, change = person_write(
                organization=organization,
                actor=actor,
                person=row.person,
                values=values,
                source=Person.Source.ROSTER,
                trigger=trigger,
                open_workflows=open_workflows,
                now=plan.now,
                # The check refused every employee ID or user name held twice, in the file or on the roster.
                taken=TakenKeys(),
            )
            written[row.employee_id] = person
            if change.kind != "unchanged":
                created, updated = (created + 1, updated) if row.person is None else (created, updated + 1)
            opened += int(open_workflows and change.opens_workflow)
        return Outcome(
            created=created,
            updated=updated,
            result={"source": str(plan.source.public_id), "workflows_opened": opened},
        )


def _state(person: Person, by_pk: dict[int, Person]) -> dict[str, Any]:
    """A person as person_write compares them, with the manager by employee id (a new one has no key yet)."""
    state = {name: getattr(person, name) for name in PERSON_FIELDS if name != "manager"}
    manager = by_pk.get(person.manager_id) if person.manager_id else None
    state["manager"] = manager.employee_id if manager else None
    return state


def _classify(rows: list[RosterRow], by_pk: dict[int, Person], now: datetime) -> None:
    newcomer = _state(Person(), by_pk)
    for row in rows:
        before = _state(row.person, by_pk) if row.person else newcomer
        after = {**before, **row.values}
        if row.manager_ref is not None:
            after["manager"] = row.manager_id
        after["status"] = derive_status(after, now)
        row.kind = classify(before if row.person else None, after, now).kind
        row.compared = (before, after)


def _changes(row: RosterRow, zone: ZoneInfo) -> list[str]:
    before, after = row.compared
    return [
        f"{LABELS[name]}: {_shown(before[name], zone)} → {_shown(after[name], zone)}"
        for name in PERSON_FIELDS
        if name in LABELS and jsonable(before[name]) != jsonable(after[name])
    ]


def _shown(value: Any, zone: ZoneInfo) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _summarise(
    checked: CheckedFile,
    clean: list[RosterRow],
    people: dict[str, Person],
    rows: dict[str, RosterRow],
    in_error: int,
    options: dict[str, Any],
) -> None:
    kinds: dict[str, int] = defaultdict(int)
    for row in clean:
        kinds["former" if row.kind == "update" and row.person is None else row.kind] += 1
    absent = sum(
        1
        for person in people.values()
        if person.employee_id not in rows and person.status != Person.Status.TERMINATED and not person.scim_deleted
    )
    workflows = 0 if options.get("initial_load") else kinds["joiner"] + kinds["mover"] + kinds["leaver"]
    checked.count("joiners", "Joiners", kinds["joiner"])
    checked.count("movers", "Movers (department, job role or manager changed)", kinds["mover"])
    checked.count("leavers", "Leavers", kinds["leaver"])
    checked.count("updated", "Other changes (name, email, dates, status)", kinds["update"])
    checked.count("former", "People who left over 90 days ago, recorded without a workflow", kinds["former"])
    checked.count("unchanged", "Unchanged", kinds["unchanged"])
    checked.count("errors", "Rows in error", in_error)
    checked.count("absent", "Active people not in this file (left as they are, never terminated by omission)", absent)
    label = "Workflows to open" + (" (initial load: none are opened)" if options.get("initial_load") else "")
    checked.count("workflows", label, workflows)


def _preview(
    clean: list[RosterRow], names: tuple[str, ...], table: tabular.Table, reader: Any, zone: ZoneInfo
) -> list[dict[str, Any]]:
    shown = sorted(clean, key=lambda row: (CHANGED_FIRST.get(row.kind, 9), row.number))[:PREVIEW_ROWS]
    by_number = {row.number: row for row in table.rows}
    preview = []
    for row in shown:
        cells = reader.cells(by_number[row.number])
        given, family = row.values.get("given_name"), row.values.get("family_name")
        name = " ".join(part for part in (given, family) if part)
        if not name and row.person is not None:
            name = row.person.full_name
        preview.append(
            {
                "row": row.number,
                "action": ACTIONS.get(row.kind, "Update"),
                "employee_id": row.employee_id,
                "name": name or row.employee_id,
                "changes": _changes(row, zone),
                "cells": [cells.get(column, "") for column in names],
            }
        )
    return preview


def _managers_first(clean: list[RosterRow]) -> list[RosterRow]:
    by_id = {row.employee_id: row for row in clean}
    placed: set[str] = set()
    order: list[RosterRow] = []
    for row in clean:
        chain: list[RosterRow] = []
        seen: set[str] = set()
        current: RosterRow | None = row
        while current is not None and current.employee_id not in placed and current.employee_id not in seen:
            chain.append(current)
            seen.add(current.employee_id)
            manager = current.manager_id if current.manager_ref is not None else None
            current = by_id.get(manager) if manager else None
        for member in reversed(chain):
            placed.add(member.employee_id)
            order.append(member)
    return order


register(RosterImporter())
