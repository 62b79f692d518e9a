"""Training benchmarks at the issue's scale: 10,000 people, about 60,000 assignments opened by the rules, three years
of completions, 24 phishing campaigns of 10,000 recipients.

Run: .venv/bin/python bench/training.py [--people 10000] [--campaigns 24] [--completions 2000] [--lms-rows 20000]
     [--profile STEP]

Measures, on a throwaway SQLite database (or DATABASE_URL if set to a scratch PostgreSQL database), tasks inline:
- generating the data: people, the starter curriculum and more courses, three years of completions with their
  assignments and quiz attempts, the phishing results and past reminders, straight into the tables;
- state throughput: the rules' first evaluation (assignments_sync opening about 60,000 assignments), a second one
  with nothing to do, and one after 500 people move department and 500 leave;
- 2,000 completions through completion_record (each closing an assignment), and an LMS completion file of 20,000
  rows through the import pipeline (check, then commit);
- a security reminder sent to everyone (deliveries, then emails to the in-memory mail backend);
- the training pages, the tracker evaluation and each training check, with query counts beside a small
  organization's (they must not grow).
The work a commit asks for (re-evaluating the rules, the tracker) runs inline after it; it is timed apart.
Prints figures and throughput; asserts nothing about time. The GoPhish import is measured by bench/phishing.py.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import os
import pstats
import random
import sys
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as clock
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.foundation import _setup  # noqa: E402

DEPARTMENTS = ("Nursing", "Billing", "Radiology", "Pharmacy", "Front desk", "Laboratory", "IT", "Surgery")
ROLES = ("Nurse", "Clerk", "Technologist", "Pharmacist", "Receptionist", "Analyst", "Physician", "Administrator")
PROFILE: set[str] = set()


class Counter:
    """Counts the statements run while installed with connection.execute_wrapper (cheaper than capturing them)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def measured(name: str, fn: Callable[[], Any]) -> tuple[Any, float, int]:
    """(result, seconds, queries); under --profile NAME the call is profiled and its top functions printed."""
    from django.db import connection

    counter = Counter()
    profiler = cProfile.Profile() if name in PROFILE else None
    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        result = fn()
        if profiler is not None:
            profiler.disable()
        seconds = time.perf_counter() - start
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return result, seconds, counter.count


def committed(name: str, fn: Callable[[], Any]) -> tuple[Any, float, int, float]:
    """Run `fn` in a transaction: (result, seconds inside, queries inside, seconds of the work run after commit)."""
    from django.db import transaction

    profiler = cProfile.Profile() if f"{name}-after" in PROFILE else None
    with transaction.atomic():
        result, seconds, queries = measured(name, fn)
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
    after = time.perf_counter() - start
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return result, seconds, queries, after


def line(label: str, seconds: float, detail: str = "") -> None:
    print(f"  {label:<60} {seconds:8.2f} s  {detail}")


def per_second(count: int, seconds: float, what: str) -> str:
    return f"{count:,} {what}, {count / seconds:,.0f}/s" if seconds else f"{count:,} {what}"


def noon(day: date) -> datetime:
    from django.utils import timezone

    return datetime.combine(day, clock(12), tzinfo=timezone.get_current_timezone())


# ---- the data -----------------------------------------------------------------------------------------------------


def make_people(org: Any, count: int, rng: random.Random, today: date) -> int:
    """Three in ten hired in the last three years (new hires of the initial course's rule), the rest before."""
    from safeguard.workforce.models import Person

    def hired(n: int) -> date:
        days = rng.randrange(1, 1095) if n % 10 < 3 else rng.randrange(1095, 3650)
        return today - timedelta(days=days)

    Person.objects.bulk_create(
        (
            Person(
                organization=org,
                employee_id=f"E{n:06d}",
                given_name=f"Given{n}",
                family_name=f"Family{n}",
                email=f"e{n:06d}@{org.slug}.test",
                department=DEPARTMENTS[n % len(DEPARTMENTS)],
                job_role=ROLES[(n // len(DEPARTMENTS)) % len(ROLES)],
                hire_date=hired(n),
                source=Person.Source.ROSTER,
            )
            for n in range(count)
        ),
        batch_size=2000,
    )
    return count


def make_course(org: Any, code: str, title: str, kind: str, topics: list[Any]) -> Any:
    from safeguard.training.models import Choice, Course, Lesson, Question

    course = Course.objects.create(
        organization=org, code=code, title=title, kind=kind, status=Course.Status.PUBLISHED, randomize=False
    )
    course.topics.set(topics)
    Lesson.objects.bulk_create(
        Lesson(organization=org, course=course, position=n, title=f"Part {n + 1}", body=f"# Part {n + 1}\n\nRead.")
        for n in range(3)
    )
    for n in range(3):
        question = Question.objects.create(organization=org, course=course, position=n, text=f"Question {n + 1}?")
        Choice.objects.bulk_create(
            Choice(question=question, position=k, text=f"Answer {k + 1}", correct=k == 0) for k in range(3)
        )
    return course


def make_curriculum(org: Any, actor: Any, today: date) -> dict[str, Any]:
    """The starter curriculum and its rules switched on, plus a course per department, one for clinicians and one
    due each year by a date: rules that open about six assignments per person."""
    from safeguard.training.models import AssignmentRule, AudienceKind, Cadence, Course, CourseKind, Topic
    from safeguard.training.services.starter import starter_install

    starter_install(organization=org, actor=actor)
    topics = list(Topic.objects.filter(organization=org))
    courses = {course.code: course for course in Course.objects.filter(organization=org)}
    for n, department in enumerate(DEPARTMENTS):
        courses[f"DEP-{n}"] = make_course(org, f"DEP-{n}", f"{department} data handling", CourseKind.ROLE_BASED, topics)
    courses["CLN-100"] = make_course(org, "CLN-100", "Clinical systems", CourseKind.ROLE_BASED, topics[:3])
    courses["AUP-100"] = make_course(org, "AUP-100", "Acceptable use, yearly", CourseKind.ANNUAL, topics[:2])
    start = today - timedelta(days=3 * 365)
    rules = AssignmentRule.objects.filter(organization=org)
    rules.update(active=True, starts_on=start)
    rules.filter(audience=AudienceKind.PHISHING_CLICKERS).update(starts_on=today - timedelta(days=182))
    due = today + timedelta(days=20)
    if (due.month, due.day) == (2, 29):
        due += timedelta(days=1)
    extra: list[tuple[str, str, str, list[str], str]] = [
        ("Everyone: phishing micro-lesson", "SEC-401", AudienceKind.EVERYONE, [], Cadence.ONCE),
        ("Everyone: passwords micro-lesson", "SEC-402", AudienceKind.EVERYONE, [], Cadence.ONCE),
        ("Clinicians", "CLN-100", AudienceKind.JOB_ROLE, ["Nurse", "Physician", "Pharmacist"], Cadence.ONCE),
        ("Everyone: acceptable use by date", "AUP-100", AudienceKind.EVERYONE, [], Cadence.CALENDAR),
    ]
    extra += [
        (f"{department} staff", f"DEP-{n}", AudienceKind.DEPARTMENT, [department], Cadence.ONCE)
        for n, department in enumerate(DEPARTMENTS)
    ]
    for name, code, audience, values, cadence in extra:
        calendar = cadence == Cadence.CALENDAR
        AssignmentRule.objects.create(
            organization=org,
            name=name,
            course=courses[code],
            audience=audience,
            audience_values=values,
            cadence=cadence,
            calendar_month=due.month if calendar else None,
            calendar_day=due.day if calendar else None,
            starts_on=start,
        )
    return courses


def make_history(org: Any, courses: dict[str, Any], learner: Any, rng: random.Random, today: date) -> int:
    """Three yearly rounds of the refresher and every recent hire's initial course, completed (some late, one in
    twenty skipped a year), each with its completed assignment; the last year's with quiz attempts and answers."""
    from safeguard.core.dates import EARLIEST
    from safeguard.training.models import Assignment, AssignmentRule, AttemptAnswer, Completion, QuizAttempt
    from safeguard.workforce.models import Person

    annual, initial = courses["SEC-201"], courses["SEC-101"]
    rule_of = {rule.course_id: rule for rule in AssignmentRule.objects.filter(organization=org)}
    questions = {
        course.pk: list(course.questions.values_list("pk", "text")) for course in (annual, initial)
    }  # fmt: skip
    hard = {pk: rng.random() * 0.3 for course in (annual, initial) for pk, _ in questions[course.pk]}
    attempts, completions, assignments, answers = [], [], [], []

    def complete(person_id: int, course: Any, day: date, due: date, window: date, key: str) -> None:
        at = noon(day) + timedelta(minutes=rng.randrange(300))
        right = [(pk, text, rng.random() > hard[pk]) for pk, text in questions[course.pk]]
        score = 100 * sum(ok for _, _, ok in right) // len(right)
        attempt = None
        if day >= today - timedelta(days=365):
            attempt = QuizAttempt(
                organization=org, person_id=person_id, course=course, user=learner, number=1, started_at=at,
                submitted_at=at, score=score, passed=score >= course.pass_mark,
            )  # fmt: skip
            attempts.append(attempt)
            answers.append((attempt, right))
        completions.append(
            Completion(
                organization=org, person_id=person_id, course=course, completed_at=at, score=score,
                source=Completion.Source.IN_APP, attempt=attempt,
            )
        )  # fmt: skip
        assignments.append(
            Assignment(
                organization=org, person_id=person_id, course=course, rule=rule_of[course.pk],
                reason="Bench history", trigger_key=key, window_start=window, assigned_on=due - timedelta(days=30),
                due_on=due, status=Assignment.Status.COMPLETED, completed_on=day, closed_at=at,
            )
        )  # fmt: skip

    for person_id, hire_date in Person.objects.filter(organization=org).values_list("pk", "hire_date"):
        hired = hire_date or today
        late = rng.randrange(35)  # days after the round opened: past 30 is late
        last: date | None = None
        for years in (3, 2, 1):
            opened = today - timedelta(days=365 * years)
            if hired >= opened or rng.random() < 0.05:
                continue
            day = opened + timedelta(days=late)
            window = last + timedelta(days=1) if last else EARLIEST
            key = f"cycle:{opened + timedelta(days=30)}" if last else "join"
            complete(person_id, annual, day, opened + timedelta(days=30), window, key)
            last = day
        day = hired + timedelta(days=rng.randrange(45))
        if hired >= today - timedelta(days=3 * 365) and day < today - timedelta(days=1):
            complete(person_id, initial, day, hired + timedelta(days=30), EARLIEST, "hire")
    QuizAttempt.objects.bulk_create(attempts, batch_size=2000)
    for made in completions:
        made.attempt_id = made.attempt.pk if made.attempt else None
    Completion.objects.bulk_create(completions, batch_size=2000)
    for row, made in zip(assignments, completions, strict=True):
        row.completion = made
    Assignment.objects.bulk_create(assignments, batch_size=2000)
    AttemptAnswer.objects.bulk_create(
        (
            AttemptAnswer(organization=org, attempt=attempt, question_id=pk, question_text=text, correct=ok)
            for attempt, right in answers
            for pk, text, ok in right
        ),
        batch_size=5000,
    )
    return len(completions)


def make_campaigns(org: Any, campaigns: int, rng: random.Random, today: date) -> int:
    """A campaign a month to everyone on the roster; clicks fall from one in four to one in twelve."""
    from safeguard.training.models import PhishingCampaign, PhishingOutcome, PhishingResult
    from safeguard.workforce.models import Person

    people = list(Person.objects.filter(organization=org).values_list("pk", "email", "department"))
    total = 0
    for number in range(campaigns):
        launched = noon(today - timedelta(days=30 * (campaigns - number) - 15))
        campaign = PhishingCampaign.objects.create(
            organization=org, name=f"Campaign {number:02d}", source="gophish", launched_at=launched
        )
        click = 0.25 - 0.17 * number / max(campaigns - 1, 1)
        rows = []
        for pk, email, department in people:
            roll, sent = rng.random(), launched + timedelta(seconds=rng.randrange(3600))
            clicked = roll < click
            status = PhishingOutcome.SUBMITTED if roll < click / 3 else PhishingOutcome.CLICKED if clicked else None
            opened = roll < click + 0.35
            reported = rng.random() < 0.2 + 0.25 * number / max(campaigns - 1, 1)
            rows.append(
                PhishingResult(
                    organization=org, campaign=campaign, email=email, person_id=pk, department=department,
                    status=status or (PhishingOutcome.OPENED if opened else PhishingOutcome.SENT), sent_at=sent,
                    opened_at=sent + timedelta(minutes=5) if opened else None,
                    clicked_at=sent + timedelta(minutes=9) if clicked else None,
                    submitted_at=sent + timedelta(minutes=11) if status == PhishingOutcome.SUBMITTED else None,
                    reported=reported,
                    reported_at=sent + timedelta(minutes=rng.randrange(2, 600)) if reported else None,
                    clicks=1 if clicked else 0,
                )
            )  # fmt: skip
        PhishingResult.objects.bulk_create(rows, batch_size=2000)
        total += len(rows)
    return total


def make_past_reminders(org: Any, rng: random.Random, now: datetime) -> None:
    """Reminders sent one and two months ago to everyone, about half of them read."""
    from safeguard.training.models import ReminderDelivery, SecurityReminder
    from safeguard.workforce.models import Person

    people = list(Person.objects.filter(organization=org).values_list("pk", flat=True))
    for months in (2, 1):
        sent = now - timedelta(days=31 * months)
        reminder = SecurityReminder.objects.create(
            organization=org, title=f"Reminder {months}", body="Report odd emails.", scheduled_for=sent,
            status=SecurityReminder.Status.SENT, sent_at=sent, recipients=len(people),
        )  # fmt: skip
        ReminderDelivery.objects.bulk_create(
            (
                ReminderDelivery(
                    organization=org, reminder=reminder, person_id=pk, delivered_at=sent, emailed_at=sent,
                    read_at=sent + timedelta(hours=rng.randrange(1, 200)) if rng.random() < 0.55 else None,
                )
                for pk in people
            ),
            batch_size=2000,
        )  # fmt: skip


def build(org: Any, actor: Any, people: int, campaigns: int, learner: Any, rng: random.Random, loud: bool) -> Any:
    from django.utils import timezone

    today, now = timezone.localdate(), timezone.now()

    def step(label: str, fn: Callable[[], Any], unit: str = "") -> Any:
        result, seconds, _ = measured("generate", fn)
        if loud:
            line(f"generate {label}", seconds, per_second(result, seconds, unit) if unit else "")
        return result

    step("people", lambda: make_people(org, people, rng, today), "people")
    courses = step("curriculum: starter + 10 courses, 17 rules", lambda: make_curriculum(org, actor, today))
    step("completions (3 years), assignments, quiz attempts", lambda: make_history(org, courses, learner, rng, today),
         "completions")  # fmt: skip
    step("phishing results", lambda: make_campaigns(org, campaigns, rng, today), "results")
    step("past reminders (2 months)", lambda: make_past_reminders(org, rng, now))
    return courses


# ---- the measured operations --------------------------------------------------------------------------------------


def sync(org: Any, label: str) -> dict[str, int]:
    from safeguard.training.services.assignment_rules import assignments_sync

    counts, seconds, queries, after = committed("sync", lambda: assignments_sync(organization=org))
    changed = counts["opened"] + counts["cancelled"] + counts["completed"]
    line(label, seconds, f"{counts}  {queries:,} queries  ({changed / seconds:,.0f} changes/s)")
    return counts


def move_and_leave(org: Any, count: int, rng: random.Random) -> None:
    from django.utils import timezone

    from safeguard.workforce.models import Person

    current = list(Person.objects.filter(organization=org, status=Person.Status.ACTIVE).order_by("pk"))
    chosen = rng.sample(current, min(2 * count, len(current)))
    movers, leavers = chosen[:count], chosen[count:]
    for person in movers:
        person.department = DEPARTMENTS[(DEPARTMENTS.index(person.department) + 1) % len(DEPARTMENTS)]
    Person.objects.bulk_update(movers, ["department"], batch_size=1000)
    Person.objects.filter(pk__in=[p.pk for p in leavers]).update(
        status=Person.Status.TERMINATED, termination_at=timezone.now()
    )


def completions(org: Any, actor: Any, courses: dict[str, Any], count: int) -> None:
    from django.utils import timezone

    from safeguard.training.models import Assignment, Completion
    from safeguard.training.services.completions import completion_record

    course = courses["SEC-201"]
    rows = list(
        Assignment.objects.filter(organization=org, course=course, status=Assignment.Status.OPEN)
        .select_related("person")
        .order_by("pk")[: count + 2]
    )
    now = timezone.now()

    def record(rows: list[Any]) -> None:
        for n, row in enumerate(rows):
            completion_record(
                organization=org, actor=actor, person=row.person, course=course,
                completed_at=now - timedelta(seconds=60 + n), source=Completion.Source.IN_APP, score=90,
            )  # fmt: skip

    _, seconds, queries, after = committed("completions", lambda: record(rows[:count]))
    closed = Assignment.objects.filter(pk__in=[r.pk for r in rows[:count]], status=Assignment.Status.COMPLETED)
    line(
        f"{count:,} completion_record in one transaction",
        seconds,
        f"{per_second(count, seconds, 'completions')}, {closed.count():,} closed, {queries / count:.1f} queries each",
    )
    line("  then the rules' sync it asks for, once", after)
    for row in rows[count:]:
        _, seconds, queries = measured("completion_alone", partial(record, [row]))
        line("one completion on its own, as in-app (with the sync it asks for)", seconds, f"{queries:,} queries")


def lms_csv(org: Any, rows: int) -> bytes:
    """Completions of courses everyone holds open, yesterday, by employee id and course code."""
    from django.utils import timezone

    from safeguard.training.audiences import current_people

    ids = list(current_people(org).order_by("pk").values_list("employee_id", flat=True))
    codes = ("SEC-401", "SEC-402", "AUP-100", "CLN-100")
    yesterday = timezone.localdate() - timedelta(days=1)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Employee ID", "Course code", "Completion date", "Score", "Passed", "Transcript ID"])
    for n in range(rows):
        moment = f"{yesterday} {8 + n % 10:02d}:{n % 60:02d}"
        writer.writerow([ids[n % len(ids)], codes[n // len(ids) % 4], moment, 70 + n % 31, "yes", f"T{n}"])
    return out.getvalue().encode()


def _counts(summary: list[dict[str, Any]]) -> str:
    return ", ".join(f"{item['key']} {item['count']:,}" for item in summary)


def lms_import(org: Any, actor: Any, rows: int) -> None:
    from safeguard.core import tabular
    from safeguard.core.imports import importer_for
    from safeguard.core.services.file_imports import check_table, import_apply
    from safeguard.training.completion_import import KIND

    importer = importer_for(KIND)
    table = tabular.read_table(lms_csv(org, rows), "csv", max_rows=importer.max_rows)
    mapping = importer.guess_mapping(table.headers)
    options = importer.clean_options(org, {})
    checked, seconds, queries = measured("lms_check", lambda: check_table(importer, org, table, mapping, options))
    assert not checked.errors, checked.errors[:3]
    line(f"LMS file: check {len(table.rows):,} rows", seconds, f"{per_second(len(table.rows), seconds, 'rows')}, "
         f"{queries} queries, {_counts(checked.summary)}")  # fmt: skip

    def commit() -> Any:
        return import_apply(
            organization=org, actor=actor, importer=importer, table=table, mapping=mapping, options=options,
            file_name="lms.csv",
        )  # fmt: skip

    (_, outcome), seconds, queries, after = committed("lms_commit", commit)
    rate = per_second(outcome.created, seconds, "recorded")
    line("LMS file: commit (re-check + record)", seconds, f"{rate}, {queries / len(table.rows):.1f} queries/row")
    line("  then the rules' sync it asks for, once", after)


def reminder(org: Any, actor: Any) -> None:
    from django.core import mail
    from django.utils import timezone

    from safeguard.training.models import SecurityReminder
    from safeguard.training.services.reminder_sending import reminder_send

    now = timezone.now()
    item = SecurityReminder.objects.create(
        organization=org, title="Lock your screen", body="Press **Win+L** when you step away.",
        scheduled_for=now - timedelta(minutes=1), status=SecurityReminder.Status.SCHEDULED, send_email=True,
    )  # fmt: skip
    mail.outbox = []
    sent, seconds, queries = measured("reminder", lambda: reminder_send(organization=org, actor=actor, reminder=item))
    detail = f"{sent.recipients:,} delivered, {len(mail.outbox):,} emailed ({sent.emailed / seconds:,.0f}/s)"
    line("reminder_send to everyone", seconds, f"{detail}, {queries:,} queries")
    mail.outbox = []


def page_urls(org: Any) -> dict[str, str]:
    from django.urls import reverse

    slug = org.slug
    return {
        "training home": reverse("training:home", args=[slug]),
        "department overview": reverse("training:departments", args=[slug]),
        "assignments list": reverse("training:assignment_list", args=[slug]),
        "completions list": reverse("training:completion_list", args=[slug]),
        "effectiveness": reverse("training:effectiveness", args=[slug]),
        "phishing campaigns": reverse("training:phishing_campaign_list", args=[slug]),
        "phishing trend (all)": reverse("training:phishing_trend", args=[slug]) + "?months=all",
    }


def pages(org: Any, official: Any, learner: Any) -> dict[str, tuple[float, int]]:
    from django.test import Client

    from safeguard.core.audit import Actor
    from safeguard.tracker.evaluation import tracker_evaluate
    from safeguard.tracker.registry import all_checks

    found: dict[str, tuple[float, int]] = {}
    for user, urls in ((official, page_urls(org)), (learner, {"my training": f"/o/{org.slug}/training/me/"})):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        for name, url in urls.items():
            client.get(url)  # warm: session, templates
            response, seconds, queries = measured(name, partial(client.get, url))
            assert response.status_code == 200, (url, response.status_code)
            found[name] = (seconds, queries)
    actor = Actor.system("bench")
    _, seconds, queries = measured("tracker", lambda: tracker_evaluate(organization=org, actor=actor))
    found["tracker evaluation (all checks)"] = (seconds, queries)
    today = org_today()
    for checks in all_checks().values():
        for registered in checks:
            if registered.name.startswith("training."):
                result, seconds, queries = measured(registered.name, partial(registered.function, org, today))
                found[f"check {registered.name}"] = (seconds, queries)
                print(f"  {org.slug}: {registered.name}: {result.status}: {result.reason[:100]}")
    return found


def org_today() -> date:
    from django.utils import timezone

    return timezone.localdate()


def hold_evaluations(org: Any) -> None:
    """A queued tracker run that no worker claims: every evaluation a commit asks for joins it, as when the worker
    is busy, so the tracker is evaluated once, measured, with the pages, instead of inline after every commit.
    (The rules' sync is not held: it runs inline after each commit that asks for it, and is timed.)"""
    from safeguard.tracker.models import EvaluationRun

    EvaluationRun.objects.create(organization=org, trigger="bench: held")


def members(org: Any, person_email: str) -> tuple[Any, Any]:
    """The security official, and a workforce member who is the roster person with `person_email`."""
    from safeguard.core.models import Membership, User

    official = User.objects.create_user(email=f"so@{org.slug}.bench", password="bench-password-123")
    Membership.objects.create(organization=org, user=official, role="security_official")
    learner = User.objects.create_user(email=person_email, password="bench-password-123")
    Membership.objects.create(organization=org, user=learner, role="workforce")
    return official, learner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--campaigns", type=int, default=24)
    parser.add_argument("--completions", type=int, default=2_000)
    parser.add_argument("--lms-rows", type=int, default=20_000)
    parser.add_argument("--movers", type=int, default=500, help="people who move department, and as many who leave")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        help="print a profile of a step: generate, sync, completions, completion_alone, lms_check, lms_commit, "
        "reminder, tracker, a page's or a check's name; NAME-after for the work run after its commit",
    )
    args = parser.parse_args()
    PROFILE.update(args.profile)
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # one line per background task would drown the figures
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    _setup()

    from django.db import connection

    from safeguard.core.audit import Actor
    from safeguard.core.models import Organization
    from safeguard.training.models import Assignment, Completion

    rng = random.Random(5)
    print(f"== {args.people:,} people, {args.campaigns} campaigns of {args.people:,} ({connection.vendor})")
    orgs = {}
    for slug, people, campaigns in (("small", 30, 3), ("bench", args.people, args.campaigns)):
        org = Organization.objects.create(slug=slug, name=f"{slug.title()} clinic", mfa_required=False)
        hold_evaluations(org)
        official, learner = members(org, f"e{people - 7:06d}@{slug}.test")
        orgs[slug] = (org, official, learner)
        actor = Actor(user=official)
        loud = slug == "bench"
        if loud:
            print("-- generating (bulk, straight into the tables)")
        courses = build(org, actor, people, campaigns, learner, rng, loud)
        if loud:
            print("-- state throughput: the rules' evaluation")
        sync(org, "sync 1: open what the rules call for") if loud else sync_quietly(org)
    org, official, learner = orgs["bench"]
    actor = Actor(user=official)
    sync(org, "sync 2: nothing to do")
    move_and_leave(org, args.movers, rng)
    sync(org, f"sync 3: after {args.movers} movers and {args.movers} leavers")
    print("-- completions")
    completions(org, actor, courses, args.completions)
    lms_import(org, actor, args.lms_rows)
    print("-- security reminder")
    reminder(org, actor)
    print("-- totals")
    for slug, (each, _, _) in orgs.items():
        assignments = Assignment.objects.filter(organization=each).count()
        opened = Assignment.objects.filter(organization=each, status=Assignment.Status.OPEN).count()
        done = Completion.objects.filter(organization=each).count()
        print(f"  {slug}: {assignments:,} assignments ({opened:,} open), {done:,} completions")
    print("-- pages, the tracker and each check: small organization | this one")
    small = pages(*orgs["small"])
    large = pages(org, official, learner)
    for name, (seconds, queries) in large.items():
        small_seconds, small_queries = small.get(name, (0.0, 0))
        flat = "flat" if small_queries == queries else "fewer" if queries < small_queries else "GROWS"
        print(f"  {name:<58} {small_seconds * 1000:7.0f} ms {small_queries:4} q | "
              f"{seconds * 1000:7.0f} ms {queries:4} q  {flat}")  # fmt: skip


def sync_quietly(org: Any) -> None:
    from safeguard.training.services.assignment_rules import assignments_sync

    assignments_sync(organization=org)


if __name__ == "__main__":
    main()
