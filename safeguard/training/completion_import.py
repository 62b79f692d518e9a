"""The LMS completion importer: a file of who completed which course when (and with what score) becomes
completions, each recorded through services/completions.py. Registered with the core pipeline (core/imports.py).

Each row names the person by employee id or email (at least one of the columns is mapped; when both are given
they must name the same person), the course by code (else by its exact title, case ignored), and the moment it
was completed: a date alone means 12:00 that day, and a time without an offset is read, in the installation's
time zone. A row marked not passed is skipped and counted. A completion already recorded (same person, course
and moment) is left unchanged, so importing the same file twice records nothing new. Every other problem is an
error on its row and column, and then nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.imports import (
    CheckedFile,
    Column,
    Importer,
    ImportRefused,
    LocalTimeError,
    Outcome,
    Tick,
    aware,
    parse_date,
    parse_naive_datetime,
    register,
)
from safeguard.core.models import FileImport, Organization
from safeguard.core.roles import Perm
from safeguard.training.models import Assignment, Completion, Course
from safeguard.training.services.completions import (
    REFERENCE_MAX,
    completion_record,
    course_problem,
    local_day,
    moment_problem,
    score_problem,
)
from safeguard.workforce.models import Person

KIND = "training_completions"
PREVIEW_ROWS = 20
NOON = time(12, 0)
PASSED_WORDS = ("yes", "y", "true", "1", "pass", "passed", "complete", "completed")
FAILED_WORDS = ("no", "n", "false", "0", "fail", "failed", "incomplete", "not passed")
ACTIONS = {"record": "Record", "unchanged": "Unchanged (already recorded)", "skipped": "Skipped: not passed"}


@dataclass
class CompletionRow:
    number: int
    person: Person
    course: Course
    completed_at: datetime
    score: int | None
    reference: str
    action: str = "record"


@dataclass
class CompletionPlan:
    rows: list[CompletionRow] = field(default_factory=list)  # only the completions to record, in file order
    unchanged: int = 0
    skipped: int = 0


class Roster:
    """The organization's people by employee id and by email, case ignored, loaded once."""

    def __init__(self, organization: Organization) -> None:
        self.by_id: dict[str, Person] = {}
        self.by_email: dict[str, list[Person]] = defaultdict(list)
        for person in Person.objects.filter(organization=organization).order_by("pk"):
            self.by_id.setdefault(person.employee_id.lower(), person)
            if person.email:
                self.by_email[person.email.lower()].append(person)


class Catalogue:
    """The organization's courses by code and by title, case ignored, loaded once."""

    def __init__(self, organization: Organization) -> None:
        self.by_code: dict[str, Course] = {}
        self.by_title: dict[str, list[Course]] = defaultdict(list)
        for course in Course.objects.filter(organization=organization).order_by("pk"):
            self.by_code[course.code.lower()] = course
            self.by_title[" ".join(course.title.split()).lower()].append(course)


def parse_passed(text: str) -> bool | None:
    lowered = " ".join(text.lower().split())
    return True if lowered in PASSED_WORDS else False if lowered in FAILED_WORDS else None


def parse_score(text: str) -> int | None:
    """A percent as "85", "85%" or "85.5" (rounded down, as the quiz scores); None when it is not a number."""
    try:
        value = Decimal(text.strip().removesuffix("%").strip())
    except InvalidOperation:
        return None
    return int(value.to_integral_value(rounding="ROUND_FLOOR")) if value.is_finite() else None


def parse_moment(text: str, zone: ZoneInfo) -> datetime | str:
    """The completion moment (aware), or why the text is not one."""
    cleaned = text.strip()
    moment: datetime | None
    if "T" in cleaned or " " in cleaned:
        moment = parse_naive_datetime(cleaned)
    else:
        day: date | None = parse_date(cleaned)
        moment = datetime.combine(day, NOON) if day else None
    if moment is None:
        return f"{text!r} is not a date or a date and time: write it as 2026-03-01 or 2026-03-01 14:30."
    try:
        return aware(moment, zone)
    except LocalTimeError as error:
        return str(error)


def find_person(cells: dict[str, str], roster: Roster, problems: dict[str, str]) -> Person | None:
    employee_id, email = cells.get("employee_id", ""), cells.get("email", "")
    if not employee_id and not email:
        problems["employee_id" if "employee_id" in cells else "email"] = "Give the person's employee id or email."
        return None
    matches = roster.by_email.get(email.lower(), []) if email else []
    if employee_id:
        person = roster.by_id.get(employee_id.lower())
        if person is None:
            problems["employee_id"] = f"No one on the roster has the employee id {employee_id!r}."
        elif matches and person not in matches:
            other = matches[0]
            problems["email"] = (
                f"The email {email} is {other.full_name}'s (employee id {other.employee_id}), but the employee id "
                f"{employee_id} is {person.full_name}'s: check whom the row is about."
            )
            return None
        return person
    if not matches:
        problems["email"] = f"No one on the roster has the email {email!r}."
        return None
    if len(matches) > 1:
        problems["email"] = f"{len(matches)} people on the roster have the email {email}: give the employee id."
        return None
    return matches[0]


def find_course(text: str, catalogue: Catalogue, problems: dict[str, str]) -> Course | None:
    if not text:
        problems["course"] = "Name the course: its code or its title."
        return None
    course = catalogue.by_code.get(text.lower())
    if course is None:
        titled = catalogue.by_title.get(" ".join(text.split()).lower(), [])
        if len(titled) > 1:
            problems["course"] = f"{len(titled)} courses are titled {text!r}: give the course code."
            return None
        course = titled[0] if titled else None
    if course is None:
        problems["course"] = f"No course has the code or title {text!r}."
        return None
    problem = course_problem(course)
    if problem:
        problems["course"] = problem
        return None
    return course


def read_row(
    number: int, cells: dict[str, str], roster: Roster, catalogue: Catalogue, zone: ZoneInfo, now: datetime
) -> tuple[CompletionRow | None, dict[str, str]]:
    """One row checked: (the completion, {}) or (None, problems by column); (None, {}) for a row not passed."""
    problems: dict[str, str] = {}
    passed_text = cells.get("passed", "")
    if passed_text:
        passed = parse_passed(passed_text)
        if passed is None:
            return None, {"passed": f"{passed_text!r} does not say whether the course was passed: write yes or no."}
        if not passed:
            return None, {}
    person = find_person(cells, roster, problems)
    course = find_course(cells.get("course", ""), catalogue, problems)
    completed_at: datetime | None = None
    moment_text = cells.get("completed_at", "")
    if not moment_text:
        problems["completed_at"] = "Give the date the course was completed."
    else:
        parsed = parse_moment(moment_text, zone)
        if isinstance(parsed, str):
            problems["completed_at"] = parsed
        elif moment_problem(parsed, now):
            problems["completed_at"] = moment_problem(parsed, now)
        else:
            completed_at = parsed
    score: int | None = None
    score_text = cells.get("score", "")
    if score_text:
        score = parse_score(score_text)
        if score is None:
            problems["score"] = f"{score_text!r} is not a score: write a percent from 0 to 100, e.g. 85 or 85%."
        elif score_problem(score):
            problems["score"] = score_problem(score)
    reference = cells.get("reference", "")
    if len(reference) > REFERENCE_MAX:
        problems["reference"] = f"A reference of at most {REFERENCE_MAX} characters."
    if problems or person is None or course is None or completed_at is None:
        return None, problems
    return CompletionRow(number, person, course, completed_at, score, reference), {}


def preview_row(row: CompletionRow | None, number: int, cells: dict[str, str], action: str) -> dict[str, Any]:
    if row is None:  # skipped: shown as written
        return {
            "row": number,
            "action": ACTIONS[action],
            "person": cells.get("employee_id") or cells.get("email", ""),
            "course": cells.get("course", ""),
            "completed_at": cells.get("completed_at", ""),
            "score": cells.get("score", ""),
            "reference": cells.get("reference", ""),
        }
    return {
        "row": number,
        "action": ACTIONS[action],
        "person": f"{row.person.full_name} ({row.person.employee_id})",
        "course": f"{row.course.code}: {row.course.title}",
        "completed_at": f"{timezone.localtime(row.completed_at):%Y-%m-%d %H:%M}",
        "score": "" if row.score is None else f"{row.score}%",
        "reference": row.reference,
    }


class CompletionImporter(Importer):
    kind = KIND
    label = "Training completions"
    permission = Perm.MANAGE_PROGRAM
    preview_template = "training/completions/import_preview.html"
    one_of = ("employee_id", "email")
    columns = (
        Column(
            "employee_id", "Employee ID", aliases=("employee_number", "emp_id", "employee_no", "staff_id", "user_id")
        ),
        Column("email", "Email", aliases=("email_address", "work_email", "user_email", "learner_email", "e_mail")),
        Column(
            "course",
            "Course",
            required=True,
            aliases=("course_code", "course_title", "course_name", "training", "module", "code", "title"),
        ),
        Column(
            "completed_at",
            "Completed at",
            required=True,
            aliases=("completed", "completed_on", "completion_date", "date_completed", "completion_time", "date"),
        ),
        Column("score", "Score", aliases=("grade", "percent", "score_percent", "result_score")),
        Column("passed", "Passed", aliases=("pass", "pass_fail", "result", "passed_yn")),
        Column("reference", "Reference", aliases=("record_id", "lms_id", "transcript_id", "completion_id", "id")),
    )

    def back_url(self, organization: Organization, job: FileImport) -> str:
        return reverse("training:completion_list", args=[organization.slug])

    def check(
        self,
        organization: Organization,
        table: tabular.Table,
        mapping: dict[str, str],
        options: dict[str, Any],
        tick: Tick,
    ) -> CheckedFile:
        zone, now = ZoneInfo(str(settings.TIME_ZONE)), timezone.now()
        roster, catalogue = Roster(organization), Catalogue(organization)
        reader = self.reader(table.headers, mapping)
        read: list[tuple[int, dict[str, str], CompletionRow | None, dict[str, str]]] = []
        for done, raw in enumerate(table.rows, start=1):
            cells = reader.cells(raw)
            read.append((raw.number, cells, *read_row(raw.number, cells, roster, catalogue, zone, now)))
            tick(done)
        recorded = _recorded(organization, [row for _, _, row, _ in read if row is not None])
        checked, plan = CheckedFile(), CompletionPlan()
        seen: dict[tuple[int, int, datetime], int] = {}
        for number, cells, row, problems in read:
            action = _classify(row, problems, seen, recorded)
            if action == "duplicate" and row is not None:
                first = seen[(row.person.pk, row.course.pk, row.completed_at)]
                problems = {
                    "completed_at": f"The same completion (person, course and moment) is already on row {first}."
                }
            if problems:
                checked.errors.extend(reader.errors(number, problems))
            else:
                _plan(plan, row, action)
                if len(checked.preview) < PREVIEW_ROWS:
                    checked.preview.append(preview_row(row, number, cells, action))
        checked.plan = plan
        _summarize(checked, plan, organization)
        return checked

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
        plan: CompletionPlan = checked.plan
        if not plan.rows:
            raise ImportRefused(
                "Nothing to record: every completion in the file is already recorded or was not passed."
            )
        job = file_import
        for row in plan.rows:
            completion_record(
                organization=organization,
                actor=actor,
                person=row.person,
                course=row.course,
                completed_at=row.completed_at,
                source=Completion.Source.IMPORT,
                score=row.score,
                file_import=job,
                external_reference=row.reference,
            )
        return Outcome(
            created=len(plan.rows),
            updated=0,
            result={"recorded": len(plan.rows), "unchanged": plan.unchanged, "not_passed": plan.skipped},
        )


def _recorded(organization: Organization, rows: list[CompletionRow]) -> set[tuple[int, int, datetime]]:
    """The completions already recorded among those the file's rows could repeat: one query."""
    if not rows:
        return set()
    found = Completion.objects.filter(
        organization=organization,
        course__in={row.course for row in rows},
        completed_at__range=(min(row.completed_at for row in rows), max(row.completed_at for row in rows)),
    ).values_list("person_id", "course_id", "completed_at")
    return set(found)


def _classify(
    row: CompletionRow | None,
    problems: dict[str, str],
    seen: dict[tuple[int, int, datetime], int],
    recorded: set[tuple[int, int, datetime]],
) -> str:
    if row is None:
        return "error" if problems else "skipped"
    key = (row.person.pk, row.course.pk, row.completed_at)
    if key in seen:
        return "duplicate"
    seen[key] = row.number
    return "unchanged" if key in recorded else "record"


def _plan(plan: CompletionPlan, row: CompletionRow | None, action: str) -> None:
    if action == "skipped":
        plan.skipped += 1
    elif action == "unchanged":
        plan.unchanged += 1
    elif row is not None:
        plan.rows.append(row)


def _summarize(checked: CheckedFile, plan: CompletionPlan, organization: Organization) -> None:
    checked.count("record", "Completions to record", len(plan.rows))
    checked.count("unchanged", "Already recorded (unchanged)", plan.unchanged)
    checked.count("not_passed", "Not passed (skipped)", plan.skipped)
    checked.count("assignments", "Open assignments they complete", _assignments_closed(organization, plan.rows))


def _assignments_closed(organization: Organization, rows: list[CompletionRow]) -> int:
    """How many open assignments the completions would close: a completion on or after the window start."""
    if not rows:
        return 0
    windows = {
        (person_id, course_id): (pk, window_start)
        for pk, person_id, course_id, window_start in Assignment.objects.filter(
            organization=organization, status=Assignment.Status.OPEN, course__in={row.course for row in rows}
        ).values_list("pk", "person_id", "course_id", "window_start")
    }
    closed = set()
    for row in rows:
        found = windows.get((row.person.pk, row.course.pk))
        if found is not None and local_day(row.completed_at) >= found[1]:
            closed.add(found[0])
    return len(closed)


register(CompletionImporter())
