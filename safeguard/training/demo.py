"""The training part of the demo organization: a year of the security awareness program, written through the
importers and the services in the order it happened, like the rest of the demo.

What happened (days before today):
- 365: the starter curriculum is installed, its placeholders filled in for the clinic; the rules for new hires
  and for phishing clickers are switched on. Every rule starts that day.
- 300, 200, 150, 120, 14: Ivan Sokolov, Kwame Mensah, Yuki Tanaka, Owen Clarke and Zoe Adams are hired; each is
  assigned security essentials (SEC-101) that morning and completes it at the onboarding session that afternoon.
- 160 (GoPhish, raw-events CSV), 95 (Acme Awareness, generic CSV), 9 (GoPhish, JSON): three phishing simulations
  (demo_phishing.py), each imported three days later; the rules then assign the clickers the follow-up course
  (SEC-501). Kevin O'Brien clicks twice. Every follow-up is done in its 14 days but Ben Carter's, still open.
- About 128, 67, 36 and 6: monthly security reminders, posted without email (the demo emails nobody) and read by
  the demo users. None was sent in the month from about four to three months ago; next month's is scheduled.
- 60: a front desk huddle on phishing and passwords (the two micro-lessons), recorded by hand with its sign-in sheet.
- 15: the LMS transcripts are imported (security essentials at hire and the annual refresher, SEC-201, of everyone
  hired before the rules' start), and the rules for everyone (the refresher, yearly from the last completion), for
  privileged administrators and for the front desk and billing are switched on.
- 13 and 10: the acceptable use policy and the incident reporting guide are published, and most acknowledge them
  (the demo users in Safeguard, the others on a signed sheet).
- 11 to 3: the demo users take the refresher in Safeguard (the nurse fails once, then passes the next day), the
  official the admin course too; the front desk lead and two billing specialists take the front desk course at a
  lunch session, and the systems administrator the admin course with the official (both recorded by hand).
- Today: the sanction policy the risk demo approved (published for acknowledgement by that approval, which this
  module checks) is acknowledged by everyone but Ivan Sokolov, Kwame Mensah, Yuki Tanaka and Aisha Rahman (on leave).

The roster is today's (the workforce demo's), and a past day's evaluation of the rules sees today's people: so the
rules for everyone, administrators and the front desk are switched on only after the last roster change they would
misread (the mover, 25 days ago), and a reminder posted months ago reached today's workforce.

The story the tracker tells (tests/test_demo_training.py holds it to this):
- 164.308(a)(5)(ii)(A) met: a reminder in each of the last 3 months, with its read rate.
- (ii)(B) met: all 26 active people completed a course on malicious software or phishing in the last 12 months.
- (ii)(C) partially met: 23 of 26 (88%) completed one on log-in monitoring; Diego Alvarez, Sara Johansson and Tom
  Nguyen last took the refresher more than a year ago.
- (ii)(D) partially met: all 26 completed one on passwords, but the agency technician's practice management account
  (isokolov) is privileged without MFA.
- 164.308(a)(5)'s own check not met: 23 of 26 active people are trained on time, the same three front desk staff
  being overdue on this year's refresher; everyone with ePHI access has initial training. The standard rolls up to
  partially met.
- 164.308(a)(1)(ii)(C) partially met: the risk part is met; 23 of 26 active people (88%) acknowledged the sanction
  policy, below 95%.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.dates import add_months
from safeguard.core.demo import DEMO_DOMAIN, DEMO_NAME, demo_extension, tiny_pdf
from safeguard.core.imports import Outcome, importer_for
from safeguard.core.models import Evidence, Organization, User
from safeguard.core.services.evidence import evidence_upload
from safeguard.core.services.file_imports import import_apply
from safeguard.core.tabular import csv_lines
from safeguard.risk.services.sanctions import approved_policy
from safeguard.training import completion_import
from safeguard.training.demo_phishing import IMPORT_AFTER_DAYS, SIMULATIONS, Simulation, results_file
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    AssignmentRule,
    Course,
    PhishingCampaign,
    ReminderDelivery,
    SecurityReminder,
)
from safeguard.training.queries import person_for_user
from safeguard.training.services.acknowledgements import ack_requests_create, acknowledgement_record, version_publish
from safeguard.training.services.assignment_rules import assignments_sync, rule_activate
from safeguard.training.services.completions import completion_record_by_hand
from safeguard.training.services.phishing import campaign_update
from safeguard.training.services.quiz import attempt_start, attempt_submit, lesson_read
from safeguard.training.services.reminders import reminder_mark_read, reminder_schedule, reminder_send, reminder_update
from safeguard.training.services.settings import training_settings_update
from safeguard.training.services.starter import STARTER_FILE, starter_install
from safeguard.workforce.demo import at
from safeguard.workforce.models import Person

RULES_START = 365  # days back: every rule's start, and the day the starter curriculum was installed
EVENT_RULES = ("initial_new_hires", "remedial_clickers")
ROSTER_RULES = ("annual_everyone", "privileged_admins", "front_desk_billing")
ROSTER_RULES_ON = 15  # days back: the LMS history imported and the rules for the roster switched on
PLACEHOLDERS = {  # the starter file's, filled in for the demo clinic
    "[the security official's name]": "Sam Okafor",
    "[the security official's phone]": "Sam Okafor (extension 214)",
    "[the security mailbox]": f"security@{DEMO_DOMAIN}",
    "[the IT help line]": "the IT help line (extension 200)",
    "[the Report Phishing button]": "the Report Phishing button in Outlook",
    "[the approved messaging app]": "the EHR's secure messaging",
    "[the approved password manager]": "the clinic password manager",
}
# The LMS transcripts: for each person hired before the rules' start, the day (before today) of their last annual
# refresher; security essentials two days after their hire.
LAST_REFRESHER = {
    "E1000": 200, "E1001": 359, "E1002": 362, "E1003": 356, "E1010": 357, "E1011": 240, "E1012": 330,
    "E1013": 210, "E1014": 300, "E1015": 100, "E1020": 320, "E1021": 290, "E1023": 280, "E1024": 150,
    "E1025": 352, "E1030": 345, "E1031": 377, "E1032": 374, "E1033": 371, "E1034": 250, "E1040": 270,
    "E1041": 230, "E1042": 160, "E1051": 180,
}  # fmt: skip
OVERDUE = ("E1031", "E1032", "E1033")  # front desk: a year after their last refresher, about 12, 9 and 6 days ago
FAILED_ONCE = ("E1031", 380)  # Tom Nguyen failed the refresher in the LMS three days before he passed it
# The demo users in Safeguard: (user, course, days ago, the questions (by position) they got wrong).
QUIZZES: tuple[tuple[str, str, int, set[int]], ...] = (
    ("official", "SEC-201", 11, {5}),
    ("official", "SEC-301", 9, set()),
    ("owner", "SEC-201", 10, set()),
    ("nurse", "SEC-201", 6, {1, 3, 5}),  # 5 of 8: failed
    ("nurse", "SEC-201", 5, {5}),
    ("privacy", "SEC-201", 3, {3}),
)
# Courses recorded by hand: (course, days ago, who, note).
SESSIONS = (
    ("SEC-401", 60, ("E1030", "E1031", "E1032", "E1033"), "Two-minute lesson taken together at the front desk huddle."),
    ("SEC-402", 60, ("E1030", "E1031", "E1032", "E1033"), "Two-minute lesson taken together at the front desk huddle."),
    ("SEC-310", 7, ("E1030", "E1040", "E1041"), "Front desk course taken as a lunch session with the official."),
    ("SEC-301", 6, ("E1051",), "Administrator course taken with the security official; quiz on paper."),
)
HUDDLE_DAYS = 60  # the sessions that day were recorded with the sign-in sheet
USERS = ("owner", "official", "privacy", "nurse")  # the demo users on the roster: they acknowledge in Safeguard
NOT_ACKNOWLEDGED = {"policy": ("E1070", "E1034", "E1050", "E1022"), "sanction": ("E1050", "E1022", "E1060", "E1034")}
# The reminders sent (starter titles) and the month before today each falls in: none in month 3.
REMINDERS = (
    ("Lock your screen", 4),
    ("Report suspicious email", 2),
    ("MFA fatigue prompts", 1),
    ("Software updates", 0),
)
NEXT_REMINDER = "Vishing calls"
GUIDE_SIGNERS = ("Front Desk", "Billing")  # signed the incident reporting guide at their huddle
READS = {"owner": (4, 2, 1, 0), "official": (4, 2, 1, 0), "privacy": (2, 1, 0), "nurse": (1, 0)}

Step = tuple[datetime, Callable[[], object]]


@dataclass
class Story:
    organization: Organization
    today: date
    users: dict[str, User]
    roster: dict[str, Person]
    official: Actor
    courses: dict[str, Course] = field(default_factory=dict)

    def day(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        return at(self.day(days_ago), hour, minute)

    def sync(self, days_ago: int) -> None:
        """The rules' daily evaluation, as it ran that day."""
        assignments_sync(organization=self.organization, today=self.day(days_ago))

    def person_of(self, local: str) -> Person:
        found = person_for_user(self.organization, self.users[local])
        if found is None:
            raise RuntimeError(f"The demo's {local} user is not on the workforce roster.")
        return found

    def current(self) -> list[Person]:
        """Today's workforce (active or on leave), by employee id."""
        kept = (Person.Status.ACTIVE, Person.Status.LEAVE)
        return [person for _, person in sorted(self.roster.items()) if person.status in kept]


@demo_extension
def training_demo(organization: Organization, people: dict[str, User], today: date) -> None:
    roster = {person.employee_id: person for person in Person.objects.filter(organization=organization)}
    story = Story(organization, today, people, roster, Actor(user=people["official"]))
    _install(story)
    steps: list[Step] = [(story.at(RULES_START, 10), partial(_switch_on, story, EVENT_RULES))]
    for plan in (_onboarding, _simulations, _refresher_season, _sessions, _reminders, _documents):
        steps += plan(story)
    for _, step in sorted(steps, key=lambda item: item[0]):
        step()
    _sanction_policy(story)
    story.sync(0)


# ---- the curriculum, its rules, and who completed what ------------------------------------------------------------


def _install(story: Story) -> None:
    """The starter curriculum as the official installed it a year ago, the placeholders filled in for the clinic."""
    text = STARTER_FILE.read_text(encoding="utf-8")
    for placeholder, value in PLACEHOLDERS.items():
        text = text.replace(placeholder, value)
    with tempfile.TemporaryDirectory() as folder:
        filled = Path(folder) / "starter.yaml"
        filled.write_text(text, encoding="utf-8")
        starter_install(
            organization=story.organization, actor=story.official, path=filled, now=story.at(RULES_START, 9)
        )
    story.courses = {course.code: course for course in Course.objects.filter(organization=story.organization)}
    training_settings_update(
        organization=story.organization, actor=story.official, certificate_signatory="Sam Okafor, IT and Security Lead"
    )


def _switch_on(story: Story, keys: Iterable[str]) -> None:
    for rule in AssignmentRule.objects.filter(organization=story.organization, starter_key__in=list(keys)):
        rule_activate(organization=story.organization, actor=story.official, rule=rule)


def _by_hand(
    story: Story, person: Person, code: str, moment: datetime, note: str, sheet: Evidence | None = None
) -> None:
    completion_record_by_hand(
        organization=story.organization,
        actor=story.official,
        person=person,
        course=story.courses[code],
        completed_at=moment,
        note=note,
        evidence=sheet,
        now=moment + timedelta(minutes=30),
    )


def _onboarding(story: Story) -> list[Step]:
    """Each hire since the rules' start is assigned security essentials that morning and completes it that
    afternoon."""
    steps: list[Step] = []
    note = "Onboarding session with the security official (45 min, quiz on paper)."
    for person in story.current():
        if person.hire_date is None or person.hire_date < story.day(RULES_START):
            continue
        days_ago = (story.today - person.hire_date).days
        done = story.at(days_ago, 15, 45)
        steps += [
            (story.at(days_ago, 7), partial(story.sync, days_ago)),
            (done, partial(_by_hand, story, person, "SEC-101", done, note)),
        ]
    return steps


def _sessions(story: Story) -> list[Step]:
    def huddle_sheet() -> None:
        sheet = evidence_upload(
            organization=story.organization,
            actor=story.official,
            title="Front desk huddle sign-in sheet: phishing and passwords",
            upload=_pdf("front-desk-huddle", ["Front desk huddle: phishing (SEC-401) and passwords (SEC-402)"]),
            effective_date=story.day(HUDDLE_DAYS),
        )
        for code, days_ago, people, note in SESSIONS:
            if days_ago == HUDDLE_DAYS:
                for employee_id in people:
                    _by_hand(story, story.roster[employee_id], code, story.at(days_ago, 8, 15), note, sheet)

    steps: list[Step] = [(story.at(HUDDLE_DAYS, 8, 15), huddle_sheet)]
    for code, days_ago, people, note in SESSIONS:
        if days_ago != HUDDLE_DAYS:
            moment = story.at(days_ago, 13)
            steps += [(moment, partial(_by_hand, story, story.roster[e], code, moment, note)) for e in people]
    return steps


def _lms_csv(story: Story) -> bytes:
    headers = ("Employee ID", "Learner Email", "Course Code", "Completion Date", "Score", "Result", "Transcript ID")
    rows: list[tuple[str, ...]] = []
    for employee_id, days_ago in LAST_REFRESHER.items():
        person = story.roster[employee_id]
        score = 80 + int(employee_id[-2:]) * 7 % 21
        if person.hire_date is not None:
            hired = f"{person.hire_date + timedelta(days=2):%Y-%m-%d} 11:00"
            rows.append((employee_id, person.email, "SEC-101", hired, str(score), "Passed"))
        refresher = f"{story.day(days_ago):%Y-%m-%d} 14:10"
        rows.append((employee_id, person.email, "SEC-201", refresher, str(100 - score // 4), "Passed"))
    employee_id, days_ago = FAILED_ONCE
    failed = f"{story.day(days_ago):%Y-%m-%d} 13:05"
    rows.append((employee_id, story.roster[employee_id].email, "SEC-201", failed, "50", "Failed"))
    numbered = [(*row, f"TR-{40100 + number}") for number, row in enumerate(rows, start=1)]
    return "".join(csv_lines(headers, numbered)).encode()


def _import(story: Story, kind: str, data: bytes, file_format: str, file_name: str, options: dict[str, Any]) -> Outcome:
    """As the official would upload the file: the columns guessed from its headers, then committed."""
    importer = importer_for(kind)
    table = importer.read_table(data, file_format)
    mapping = importer.guess_mapping(table.headers)
    unmapped = [header for header in table.headers if header not in mapping.values() and header != "details"]
    if unmapped:
        raise RuntimeError(f"The {kind} importer no longer recognises the demo's columns {unmapped}.")
    _, outcome = import_apply(
        organization=story.organization,
        actor=story.official,
        importer=importer,
        table=table,
        mapping=mapping,
        options=importer.clean_options(story.organization, options),
        file_name=file_name,
        file_sha256=hashlib.sha256(data).hexdigest(),
    )
    return outcome


def _quiz(story: Story, local: str, code: str, days_ago: int, misses: set[int]) -> None:
    """A demo user reads the lessons (those not read yet) and takes the quiz, answering `misses` wrong."""
    actor, person, course = Actor(user=story.users[local]), story.person_of(local), story.courses[code]
    started = story.at(days_ago, 12, 30)
    for number, lesson in enumerate(course.lessons.order_by("position", "pk")):
        moment = started - timedelta(minutes=40 - 6 * number)
        lesson_read(organization=story.organization, actor=actor, person=person, lesson=lesson, now=moment)
    attempt = attempt_start(organization=story.organization, actor=actor, person=person, course=course, now=started)
    answers = {}
    for position, question in enumerate(course.questions.prefetch_related("choices").order_by("position", "pk")):
        wanted = position not in misses
        picked = [choice for choice in question.choices.all() if choice.correct == wanted]
        answers[str(question.public_id)] = [str(choice.public_id) for choice in picked[: None if wanted else 1]]
    finished = started + timedelta(minutes=9)
    attempt_submit(organization=story.organization, actor=actor, attempt=attempt, answers=answers, now=finished)


def _refresher_season(story: Story) -> list[Step]:
    stamp = f"{story.day(ROSTER_RULES_ON):%Y-%m-%d}"
    lms = partial(_import, story, completion_import.KIND, _lms_csv(story), "csv", f"lms-transcripts-{stamp}.csv", {})
    steps: list[Step] = [
        (story.at(ROSTER_RULES_ON, 8), lms),
        (story.at(ROSTER_RULES_ON, 9), partial(_switch_on, story, ROSTER_RULES)),
        (story.at(ROSTER_RULES_ON, 9, 5), partial(story.sync, ROSTER_RULES_ON)),
    ]
    for local, code, days_ago, misses in QUIZZES:
        steps.append((story.at(days_ago, 12), partial(_quiz, story, local, code, days_ago, misses)))
    return steps


# ---- phishing simulations ----------------------------------------------------------------------------------------


def _import_results(story: Story, simulation: Simulation) -> None:
    """The tool's export imported three days after the launch; that day's evaluation of the rules assigns the
    clickers the follow-up course."""
    found = results_file(simulation, story.roster, story.today)
    outcome = _import(story, simulation.kind, found.data, found.file_format, found.file_name, found.options)
    campaign = PhishingCampaign.objects.get(organization=story.organization, public_id=outcome.result["campaign"])
    organization, official = story.organization, story.official
    campaign_update(organization=organization, actor=official, campaign=campaign, description=simulation.lure)
    story.sync(simulation.days_ago - IMPORT_AFTER_DAYS)


def _simulations(story: Story) -> list[Step]:
    steps: list[Step] = []
    for simulation in SIMULATIONS:
        imported = story.at(simulation.days_ago - IMPORT_AFTER_DAYS, 10)
        steps.append((imported, partial(_import_results, story, simulation)))
        note = f"Follow-up course after “{simulation.name}”, taken with the security official."
        for employee_id, after in simulation.followed_up.items():
            moment = story.at(simulation.days_ago - after, 15)
            steps.append((moment, partial(_by_hand, story, story.roster[employee_id], "SEC-501", moment, note)))
    return steps


# ---- security reminders ------------------------------------------------------------------------------------------


def _reminder_days(today: date, months_ago: int) -> int:
    """Days before today of the reminder sent `months_ago` months back: six days before that month's end."""
    return (today - add_months(today, -months_ago)).days + 6


def _send_reminder(story: Story, title: str, days_ago: int) -> None:
    organization, official, moment = story.organization, story.official, story.at(days_ago, 8, 30)
    reminder = SecurityReminder.objects.get(
        organization=organization, title=title, status=SecurityReminder.Status.DRAFT
    )
    reminder_update(organization=organization, actor=official, reminder=reminder, send_email=False, now=moment)
    reminder_schedule(organization=organization, actor=official, reminder=reminder, scheduled_for=moment, now=moment)
    reminder_send(organization=organization, actor=official, reminder=reminder, now=moment)


def _read_reminder(story: Story, local: str, title: str, moment: datetime) -> None:
    delivery = ReminderDelivery.objects.get(reminder__title=title, person=story.person_of(local))
    actor = Actor(user=story.users[local])
    reminder_mark_read(organization=story.organization, actor=actor, delivery=delivery, now=moment)


def _schedule_next(story: Story) -> None:
    """Next month's reminder, scheduled yesterday (emailed when it goes out)."""
    reminder = SecurityReminder.objects.get(organization=story.organization, title=NEXT_REMINDER)
    when = at(add_months(story.today, 1) - timedelta(days=6), 8, 30)
    reminder_schedule(
        organization=story.organization, actor=story.official, reminder=reminder, scheduled_for=when, now=story.at(1, 9)
    )


def _reminders(story: Story) -> list[Step]:
    steps: list[Step] = [(story.at(1, 9), partial(_schedule_next, story))]
    for title, months_ago in REMINDERS:
        days_ago = _reminder_days(story.today, months_ago)
        steps.append((story.at(days_ago, 8, 30), partial(_send_reminder, story, title, days_ago)))
        for rank, (local, months) in enumerate(READS.items()):
            if months_ago in months:
                moment = story.at(days_ago - 1 - rank % 3, 10 + rank, 5 * rank)
                steps.append((moment, partial(_read_reminder, story, local, title, moment)))
    return steps


# ---- acknowledgements --------------------------------------------------------------------------------------------


def _pdf(name: str, lines: list[str]) -> SimpleUploadedFile:
    content = tiny_pdf([*lines, DEMO_NAME, "Demo document generated by demo_seed."])
    return SimpleUploadedFile(f"{name}.pdf", content, content_type="application/pdf")


def _acknowledge(
    story: Story, version: AckDocumentVersion, users: dict[str, datetime], signed_at: datetime, people: list[Person]
) -> None:
    """The demo users acknowledge in Safeguard at their moments; `people` sign a sheet at `signed_at`, which the
    official records with its scan."""
    organization = story.organization
    for local, moment in users.items():
        acknowledgement_record(
            organization=organization,
            actor=Actor(user=story.users[local]),
            version=version,
            person=story.person_of(local),
            method="in_app",
            now=moment,
        )
    title = f"{version.document.title} v{version.number}"
    sheet = evidence_upload(
        organization=organization,
        actor=story.official,
        title=f"Signed acknowledgement sheet: {title}",
        upload=_pdf(f"acknowledgement-sheet-{version.document.pk}", [f"Acknowledgement sheet: {title}"]),
        effective_date=timezone.localdate(signed_at),
    )
    for person in people:
        acknowledgement_record(
            organization=organization,
            actor=story.official,
            version=version,
            person=person,
            method="paper",
            acknowledged_at=signed_at,
            evidence=sheet,
            note="Signed at the staff meeting.",
        )


def _publish(story: Story, key: str, days_ago: int) -> AckDocumentVersion:
    document = AckDocument.objects.get(organization=story.organization, starter_key=key)
    draft, moment = document.versions.get(number=1), story.at(days_ago, 9)
    return version_publish(
        organization=story.organization, actor=story.official, version=draft, today=story.day(days_ago), now=moment
    ).version


def _on_paper(
    story: Story, missing: Iterable[str], only: Callable[[Person], bool] = lambda person: True
) -> list[Person]:
    """Today's workforce but the demo users (who acknowledge in Safeguard) and `missing`."""
    users = {user.email.lower() for user in story.users.values()}
    return [
        person
        for person in story.current()
        if person.employee_id not in missing and person.email.lower() not in users and only(person)
    ]


def _policy(story: Story) -> None:
    version = _publish(story, "acceptable_use_policy", 13)
    users = {
        "official": story.at(13, 11),
        "owner": story.at(12, 10),
        "privacy": story.at(11, 15),
        "nurse": story.at(10, 8),
    }
    _acknowledge(story, version, users, story.at(12, 13), _on_paper(story, NOT_ACKNOWLEDGED["policy"]))


def _guide(story: Story) -> None:
    """The incident reporting guide: the front desk and billing signed it at their huddle."""
    version = _publish(story, "incident_reporting_guide", 10)
    users = {"official": story.at(10, 9, 30), "owner": story.at(9, 17), "nurse": story.at(7, 8, 15)}
    desks = _on_paper(story, (), lambda person: person.department in GUIDE_SIGNERS and person.status == "active")
    _acknowledge(story, version, users, story.at(8, 12, 30), desks)


def _documents(story: Story) -> list[Step]:
    return [(story.at(13, 9), partial(_policy, story)), (story.at(10, 9), partial(_guide, story))]


def _sanction_policy(story: Story) -> None:
    """The risk demo's approval published the policy for acknowledgement while the roster was still empty: today's
    workforce is asked (as the daily chore would), and acknowledges it."""
    policy = approved_policy(story.organization)
    published = AckDocumentVersion.objects.filter(sanction_policy=policy, status=AckDocumentVersion.Status.PUBLISHED)
    version = published.select_related("document").first() if policy is not None else None
    if version is None:
        raise RuntimeError("The sanction policy the risk demo approved was not published for acknowledgement.")
    ack_requests_create(organization=story.organization, actor=Actor.system("scheduler"), version=version)
    now = timezone.now()
    _acknowledge(story, version, dict.fromkeys(USERS, now), now, _on_paper(story, NOT_ACKNOWLEDGED["sanction"]))
