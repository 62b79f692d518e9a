"""The starter curriculum: topics, published courses, inactive assignment rules, draft documents to acknowledge and
draft security reminders, read from data/starter.yaml (its schema is in docs/training-curriculum.md).

Installing is idempotent. Each item has a key: topics are matched by key, courses, rules and documents by their
starter_key, and reminders (which keep no starter key) by title. What is already there is left exactly as it is,
edited or not; what is missing is added. Everything is checked before anything is written, and everything is
written in one transaction: one audit event per record created, then one "training.starter.installed" summary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction
from django.utils import timezone

from safeguard.catalog.models import Requirement
from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.audiences import audience_error
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    AssignmentRule,
    AudienceKind,
    Cadence,
    Choice,
    Course,
    Delivery,
    Lesson,
    Question,
    SecurityReminder,
    Topic,
)
from safeguard.training.services.curriculum import KEY_PATTERN
from safeguard.training.services.quiz_rules import ChoiceInput, course_problems, cycle_through, question_problems
from safeguard.training.services.reminders import BODY_MAX as REMINDER_BODY_MAX

STARTER_FILE = Path(__file__).resolve().parent.parent / "data" / "starter.yaml"
SECTIONS = ("topics", "courses", "rules", "documents", "reminders")
SHOWN_PROBLEMS = 10

Item = dict[str, Any]
ALLOWED: dict[str, tuple[set[str], set[str]]] = {  # section → (required fields, optional fields)
    "topics": ({"key", "name"}, {"description", "citations"}),
    "courses": (
        {"key", "code", "title", "kind", "lessons", "questions"},
        {
            "delivery",
            "minutes",
            "pass_mark",
            "max_attempts",
            "randomize",
            "topics",
            "prerequisites",
            "summary",
            "external_url",
        },
    ),
    "rules": (
        {"key", "name", "course", "audience", "cadence", "due_days"},
        {"values", "calendar_month", "calendar_day", "notice_days"},
    ),
    "documents": ({"key", "title", "kind", "body"}, {"topic", "due_days"}),
    "reminders": ({"key", "title", "body"}, {"topics"}),
}
DOCUMENT_KINDS = (AckDocument.Kind.POLICY, AckDocument.Kind.QUICK_REFERENCE)


class StarterFileError(ServiceError):
    """The starter file cannot be installed: every problem, each naming its item, is in `problems`."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        super().__init__(
            f"The starter file cannot be installed: {shown}" + (f"; and {more} more." if more > 0 else "."),
        )


@dataclass
class StarterSummary:
    """Per section, how many records were (or would be) added and how many were already there; and why anything
    in the file was left out."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    present: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    notes: list[str] = field(default_factory=list)

    @property
    def total_created(self) -> int:
        return sum(self.created.values())

    def lines(self) -> list[str]:
        return [f"{name}: {self.created[name]} added, {self.present[name]} already there" for name in SECTIONS]


# ---- reading and checking the file --------------------------------------------------------------------------------


class _Checker:
    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def shape(self, where: str, section: str, item: object) -> bool:
        if not isinstance(item, dict):
            self.fail(where, "each item is a mapping of field: value")
            return False
        required, optional = ALLOWED[section]
        missing = sorted(required - set(item))
        unknown = sorted(set(item) - required - optional)
        if missing:
            self.fail(where, f"missing {', '.join(missing)}")
        if unknown:
            self.fail(where, f"unknown field{'s'[: len(unknown) != 1]} {', '.join(unknown)}")
        return not missing

    def text(self, where: str, item: Item, name: str, limit: int, *, required: bool = True) -> None:
        value = item.get(name, "")
        if not isinstance(value, str):
            self.fail(where, f"{name} must be text")
        elif required and not value.strip():
            self.fail(where, f"{name} is empty")
        elif len(value) > limit:
            self.fail(where, f"{name} has more than {limit} characters")

    def number(self, where: str, item: Item, name: str, low: int, high: int) -> None:
        value = item.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.fail(where, f"{name} must be a whole number from {low} to {high}")

    def keys(self, where: str, item: Item, name: str, known: set[str]) -> None:
        value = item.get(name, [])
        if not isinstance(value, list) or not all(isinstance(key, str) for key in value):
            self.fail(where, f"{name} must be a list of keys")
            return
        for key in value:
            if key not in known:
                self.fail(where, f"{name} names “{key}”, which is not in the file")


def _where(section: str, index: int, item: object) -> str:
    key = item.get("key") if isinstance(item, dict) else None
    return f"{section}[{index}]" + (f" “{key}”" if key else "")


def _unique(check: _Checker, section: str, items: list[Item], name: str, fold: bool = False) -> None:
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        value = item.get(name)
        if not isinstance(value, str):
            continue
        folded = value.strip().lower() if fold else value
        if folded in seen:
            check.fail(_where(section, index, item), f"another item has the same {name} “{value}”")
        seen.add(folded)


def _check_topics(check: _Checker, topics: list[Item]) -> None:
    citations: dict[str, str] = {}
    for index, topic in enumerate(topics, start=1):
        where = _where("topics", index, topic)
        if not check.shape(where, "topics", topic):
            continue
        if not isinstance(topic["key"], str) or not KEY_PATTERN.match(topic["key"]) or len(topic["key"]) > 40:
            check.fail(where, "key must be lowercase letters, digits, _ and - (at most 40)")
        check.text(where, topic, "name", 100)
        check.text(where, topic, "description", 5000, required=False)
        listed = topic.get("citations", [])
        if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
            check.fail(where, "citations must be a list of catalog citations")
            continue
        for citation in listed:
            citations.setdefault(citation, where)
    known = set(Requirement.objects.filter(citation__in=list(citations)).values_list("citation", flat=True))
    for citation, where in citations.items():
        if citation not in known:
            check.fail(where, f"“{citation}” is not a citation of the catalog")


COURSE_DEFAULTS: dict[str, Any] = {
    "code": "",
    "title": "",
    "kind": "",
    "delivery": Delivery.IN_APP.value,
    "summary": "",
    "external_url": "",
    "minutes": 10,
    "pass_mark": 80,
    "max_attempts": 3,
    "randomize": True,
}


def _check_course(check: _Checker, where: str, item: Item, topic_keys: set[str], course_keys: set[str]) -> None:
    if not isinstance(item["key"], str) or not item["key"].strip() or len(item["key"]) > 40:
        check.fail(where, "key must be text of at most 40 characters")
    values = {name: item.get(name, default) for name, default in COURSE_DEFAULTS.items()}
    if not all(isinstance(values[name], str) for name in ("code", "title", "kind", "delivery", "external_url")):
        check.fail(where, "code, title, kind, delivery and external_url must be text")
        return
    for message in course_problems(Course(**values)).values():
        check.fail(where, message)
    check.text(where, item, "summary", 100_000, required=False)
    if not isinstance(values["randomize"], bool):
        check.fail(where, "randomize must be true or false")
    check.keys(where, item, "topics", topic_keys)
    check.keys(where, item, "prerequisites", course_keys)
    lessons, questions = item.get("lessons"), item.get("questions")
    if not isinstance(lessons, list) or not isinstance(questions, list):
        check.fail(where, "lessons and questions must be lists (empty for an external course)")
        return
    if values["delivery"] == Delivery.EXTERNAL:
        if lessons or questions:
            check.fail(where, "an external course has no lessons or questions")
        return
    if not lessons:
        check.fail(where, "an in-app course needs at least one lesson")
    if not questions:
        check.fail(where, "an in-app course needs at least one question")
    for number, lesson in enumerate(lessons, start=1):
        if not isinstance(lesson, dict) or set(lesson) != {"title", "body"}:
            check.fail(f"{where}: lessons[{number}]", "a lesson has exactly a title and a body")
            continue
        check.text(f"{where}: lessons[{number}]", lesson, "title", 200)
        check.text(f"{where}: lessons[{number}]", lesson, "body", 100_000)
    for number, question in enumerate(questions, start=1):
        _check_question(check, f"{where}: questions[{number}]", question)


def _check_question(check: _Checker, where: str, question: object) -> None:
    if not isinstance(question, dict) or not {"text", "kind", "choices"} <= set(question):
        check.fail(where, "a question has a text, a kind and choices (and may have an explanation)")
        return
    unknown = set(question) - {"text", "kind", "explanation", "choices"}
    if unknown:
        check.fail(where, f"unknown fields {', '.join(sorted(unknown))}")
    check.text(where, question, "explanation", 5000, required=False)
    raw = question["choices"]
    if not isinstance(raw, list) or not all(
        isinstance(c, dict) and set(c) == {"text", "correct"} and isinstance(c["correct"], bool) for c in raw
    ):
        check.fail(where, "choices must be a list of {text, correct: true|false}")
        return
    choices = [ChoiceInput(str(c["text"]), c["correct"]) for c in raw]
    for _, message in question_problems(str(question["text"]), str(question["kind"]), choices):
        check.fail(where, message)


def _check_courses(check: _Checker, courses: list[Item], topic_keys: set[str]) -> None:
    keys = {item["key"] for item in courses if isinstance(item, dict) and isinstance(item.get("key"), str)}
    graph: dict[str, list[str]] = {}
    for index, item in enumerate(courses, start=1):
        where = _where("courses", index, item)
        if check.shape(where, "courses", item):
            _check_course(check, where, item, topic_keys, keys)
            prerequisites = item.get("prerequisites", [])
            if isinstance(prerequisites, list):
                graph[str(item["key"])] = [str(key) for key in prerequisites]
    _unique(check, "courses", courses, "code", fold=True)
    for key in sorted(graph):
        cycle = cycle_through(graph, key)
        if cycle:
            check.fail(f"courses “{key}”", f"prerequisites make a cycle: {' → '.join(cycle)}")
            break


def _check_rule(check: _Checker, where: str, rule: Item, course_keys: set[str]) -> None:
    check.text(where, rule, "name", 200)
    if rule["course"] not in course_keys:
        check.fail(where, f"course names “{rule['course']}”, which is not in the file")
    values = rule.get("values", [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        check.fail(where, "values must be a list of text")
    else:
        problem = audience_error(str(rule["audience"]), values, tuple(AudienceKind.values))
        if problem:
            check.fail(where, problem)
    check.number(where, rule, "due_days", 1, 365)
    if "notice_days" in rule:
        check.number(where, rule, "notice_days", 0, 365)
    calendar = {"calendar_month", "calendar_day"} & set(rule)
    if rule["cadence"] not in Cadence.values:
        check.fail(where, f"cadence must be one of {', '.join(Cadence.values)}")
    elif rule["cadence"] == Cadence.CALENDAR:
        check.number(where, rule, "calendar_month", 1, 12)
        check.number(where, rule, "calendar_day", 1, 31)
        try:
            date(2001, int(rule.get("calendar_month", 0)), int(rule.get("calendar_day", 0)))
        except (TypeError, ValueError):
            check.fail(where, "calendar_month and calendar_day must make a date of every year (not 29 February)")
    elif calendar:
        check.fail(where, "only a calendar cadence takes calendar_month and calendar_day")


def _check_document(check: _Checker, where: str, document: Item, topic_keys: set[str]) -> None:
    check.text(where, document, "title", 200)
    check.text(where, document, "body", 100_000)
    if document["kind"] not in DOCUMENT_KINDS:
        check.fail(where, f"kind must be one of {', '.join(DOCUMENT_KINDS)}")
    if "topic" in document and document["topic"] not in topic_keys:
        check.fail(where, f"topic names “{document['topic']}”, which is not in the file")
    if "due_days" in document:
        check.number(where, document, "due_days", 1, 365)


def _check_reminder(check: _Checker, where: str, reminder: Item, topic_keys: set[str]) -> None:
    check.text(where, reminder, "title", 200)
    check.text(where, reminder, "body", REMINDER_BODY_MAX)
    check.keys(where, reminder, "topics", topic_keys)


def _section(check: _Checker, document: dict[str, Any], name: str) -> list[Item]:
    items = document.get(name) or []
    if not isinstance(items, list):
        check.fail(name, "must be a list")
        return []
    return items


def _each(check: _Checker, section: str, items: list[Item], examine: Callable[[_Checker, str, Item], None]) -> None:
    for index, item in enumerate(items, start=1):
        where = _where(section, index, item)
        if check.shape(where, section, item):
            examine(check, where, item)


def starter_read(path: Path | None = None) -> dict[str, list[Item]]:
    """The starter file, every item checked; StarterFileError names each broken item."""
    path = path or STARTER_FILE
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise StarterFileError([f"{path.name} cannot be read: {exc}"]) from exc
    if not isinstance(document, dict):
        raise StarterFileError([f"{path.name} must be a mapping with the sections {', '.join(SECTIONS)}"])
    check = _Checker()
    unknown = sorted(set(document) - set(SECTIONS))
    if unknown:
        check.fail(path.name, f"unknown section{'s'[: len(unknown) != 1]} {', '.join(unknown)}")
    data = {name: _section(check, document, name) for name in SECTIONS}
    _check_topics(check, data["topics"])
    topic_keys = {str(t["key"]) for t in data["topics"] if isinstance(t, dict) and "key" in t}
    course_keys = {str(c["key"]) for c in data["courses"] if isinstance(c, dict) and "key" in c}
    _check_courses(check, data["courses"], topic_keys)
    _each(check, "rules", data["rules"], lambda c, w, i: _check_rule(c, w, i, course_keys))
    _each(check, "documents", data["documents"], lambda c, w, i: _check_document(c, w, i, topic_keys))
    _each(check, "reminders", data["reminders"], lambda c, w, i: _check_reminder(c, w, i, topic_keys))
    for name in SECTIONS:
        _unique(check, name, data[name], "key")
    _unique(check, "rules", data["rules"], "name", fold=True)
    _unique(check, "documents", data["documents"], "title", fold=True)
    _unique(check, "reminders", data["reminders"], "title", fold=True)
    if check.problems:
        raise StarterFileError(check.problems)
    return data


# ---- what is already there ----------------------------------------------------------------------------------------


@dataclass
class _Plan:
    summary: StarterSummary
    new: dict[str, list[Item]]


def _plan(organization: Organization, data: dict[str, list[Item]]) -> _Plan:
    summary = StarterSummary()
    new: dict[str, list[Item]] = {name: [] for name in SECTIONS}

    def sort(section: str, items: list[Item], present: set[str], match: Callable[[Item], str]) -> None:
        for item in items:
            if match(item) in present:
                summary.present[section] += 1
            else:
                new[section].append(item)

    topic_keys = set(Topic.objects.filter(organization=organization).values_list("key", flat=True))
    sort("topics", data["topics"], topic_keys, lambda item: item["key"])
    org_courses = list(Course.objects.filter(organization=organization).values_list("starter_key", "code"))
    course_keys = {key for key, _ in org_courses if key}
    codes = {code.lower() for _, code in org_courses}
    for item in data["courses"]:
        if item["key"] in course_keys:
            summary.present["courses"] += 1
        elif item["code"].strip().lower() in codes:
            summary.notes.append(f"Course {item['code']} left out: another course already has that code.")
        else:
            new["courses"].append(item)
    offered = course_keys | {item["key"] for item in new["courses"]}
    rules = list(AssignmentRule.objects.filter(organization=organization).values_list("starter_key", "name"))
    rule_keys, rule_names = {key for key, _ in rules if key}, {name.lower() for _, name in rules}
    for item in data["rules"]:
        if item["key"] in rule_keys:
            summary.present["rules"] += 1
        elif item["name"].strip().lower() in rule_names:
            summary.notes.append(f"Rule “{item['name']}” left out: another rule already has that name.")
        elif item["course"] not in offered:
            summary.notes.append(f"Rule “{item['name']}” left out: its course was left out.")
        else:
            new["rules"].append(item)
    documents = list(AckDocument.objects.filter(organization=organization).values_list("starter_key", "title"))
    document_keys, titles = {key for key, _ in documents if key}, {title.lower() for _, title in documents}
    for item in data["documents"]:
        if item["key"] in document_keys:
            summary.present["documents"] += 1
        elif item["title"].strip().lower() in titles:
            summary.notes.append(f"Document “{item['title']}” left out: another document already has that title.")
        else:
            new["documents"].append(item)
    reminder_titles = {
        title.lower()
        for title in SecurityReminder.objects.filter(organization=organization).values_list("title", flat=True)
    }
    sort("reminders", data["reminders"], reminder_titles, lambda item: item["title"].strip().lower())
    for name in SECTIONS:
        summary.created[name] = len(new[name])
    return _Plan(summary, new)


def starter_preview(organization: Organization, path: Path | None = None) -> StarterSummary:
    """What installing would add now, and what is already there; writes nothing."""
    return _plan(organization, starter_read(path)).summary


# ---- installing ---------------------------------------------------------------------------------------------------


@dataclass
class _Installer:
    organization: Organization
    actor: Actor
    now: datetime
    today: date
    summary: StarterSummary
    topics: dict[str, Topic] = field(default_factory=dict)
    courses: dict[str, Course] = field(default_factory=dict)

    def created(self, action: str, target: Any, changes: dict[str, Any]) -> None:
        audit_record(
            actor=self.actor,
            action=action,
            organization=self.organization,
            target=target,
            changes={name: [None, value] for name, value in changes.items()},
        )

    def topic(self, item: Item) -> None:
        topic = Topic.objects.create(
            organization=self.organization,
            key=item["key"],
            name=item["name"].strip(),
            description=item.get("description", "").strip(),
            citations=list(dict.fromkeys(item.get("citations", []))),
        )
        self.created(
            "training.topic.created",
            topic,
            {"key": topic.key, "name": topic.name, "citations": topic.citations, "starter": True},
        )

    def course(self, item: Item) -> None:
        values = {name: item.get(name, default) for name, default in COURSE_DEFAULTS.items()}
        values = {name: value.strip() if isinstance(value, str) else value for name, value in values.items()}
        course = Course.objects.create(
            organization=self.organization,
            status=Course.Status.PUBLISHED,
            published_at=self.now,
            starter_key=item["key"],
            created_by=self.actor.user,
            **values,
        )
        topics = [self.topics[key] for key in item.get("topics", [])]
        course.topics.set(topics)
        Lesson.objects.bulk_create(
            Lesson(
                organization=self.organization,
                course=course,
                position=n,
                title=lesson["title"].strip(),
                body=lesson["body"],
            )
            for n, lesson in enumerate(item["lessons"])
        )
        for n, written in enumerate(item["questions"]):
            question = Question.objects.create(
                organization=self.organization,
                course=course,
                position=n,
                text=written["text"].strip(),
                kind=written["kind"],
                explanation=str(written.get("explanation", "")).strip(),
            )
            Choice.objects.bulk_create(
                Choice(question=question, position=m, text=choice["text"].strip(), correct=choice["correct"])
                for m, choice in enumerate(written["choices"])
            )
        self.courses[item["key"]] = course
        self.created(
            "training.course.created",
            course,
            {
                **values,
                "status": course.status,
                "topics": sorted(t.key for t in topics),
                "lessons": len(item["lessons"]),
                "questions": len(item["questions"]),
                "starter": True,
            },
        )

    def prerequisites(self, item: Item) -> None:
        course = self.courses[item["key"]]
        for key in item.get("prerequisites", []):
            if key not in self.courses:
                self.summary.notes.append(f"{course.code} does not require “{key}”, which was left out.")
        wanted = [self.courses[key] for key in item.get("prerequisites", []) if key in self.courses]
        for prerequisite in wanted:
            if prerequisite.status != Course.Status.PUBLISHED:
                self.summary.notes.append(
                    f"{course.code} does not require {prerequisite.code}, which is not published."
                )
        wanted = [prerequisite for prerequisite in wanted if prerequisite.status == Course.Status.PUBLISHED]
        if wanted:
            course.prerequisites.set(wanted)
            self.created("training.course.prerequisites_set", course, {"prerequisites": sorted(p.code for p in wanted)})

    def rule(self, item: Item) -> None:
        calendar = item["cadence"] == Cadence.CALENDAR
        rule = AssignmentRule.objects.create(
            organization=self.organization,
            name=item["name"].strip(),
            course=self.courses[item["course"]],
            audience=item["audience"],
            audience_values=item.get("values", []),
            cadence=item["cadence"],
            due_days=item["due_days"],
            calendar_month=item.get("calendar_month") if calendar else None,
            calendar_day=item.get("calendar_day") if calendar else None,
            notice_days=item.get("notice_days", 30),
            starts_on=self.today,
            active=False,
            starter_key=item["key"],
            created_by=self.actor.user,
        )
        self.created(
            "training.rule.created",
            rule,
            {
                "name": rule.name,
                "course": rule.course.code,
                "audience": rule.audience,
                "audience_values": rule.audience_values,
                "cadence": rule.cadence,
                "due_days": rule.due_days,
                "starts_on": rule.starts_on,
                "active": False,
                "starter": True,
            },
        )

    def document(self, item: Item) -> None:
        document = AckDocument.objects.create(
            organization=self.organization,
            title=item["title"].strip(),
            kind=item["kind"],
            topic=self.topics.get(item["topic"]) if "topic" in item else None,
            due_days=item.get("due_days", 30),
            starter_key=item["key"],
            created_by=self.actor.user,
        )
        AckDocumentVersion.objects.create(
            organization=self.organization,
            document=document,
            number=1,
            body=item["body"],
            summary="From the starter curriculum: review it, then publish.",
            status=AckDocumentVersion.Status.DRAFT,
        )
        self.created(
            "training.document.created",
            document,
            {"title": document.title, "kind": document.kind, "version": 1, "version_status": "draft", "starter": True},
        )

    def reminder(self, item: Item) -> None:
        reminder = SecurityReminder.objects.create(
            organization=self.organization,
            title=item["title"].strip(),
            body=item["body"],
            scheduled_for=self.now,
            status=SecurityReminder.Status.DRAFT,
            created_by=self.actor.user,
        )
        reminder.topics.set([self.topics[key] for key in item.get("topics", [])])
        self.created(
            "training.reminder.created", reminder, {"title": reminder.title, "status": reminder.status, "starter": True}
        )


def starter_install(
    *, organization: Organization, actor: Actor, path: Path | None = None, now: datetime | None = None
) -> StarterSummary:
    """Add what the starter file has and the organization lacks: courses published, rules inactive (starting
    today), documents with one draft version, reminders as drafts. Re-running adds only what is missing."""
    data = starter_read(path)
    now = now or timezone.now()
    with transaction.atomic():
        # One install at a time per organization: two at once would both see a topic missing.
        Organization.objects.select_for_update().filter(pk=organization.pk).first()
        plan = _plan(organization, data)
        install = _Installer(organization, actor, now, timezone.localdate(now), plan.summary)
        for item in plan.new["topics"]:
            install.topic(item)
        install.topics = {topic.key: topic for topic in Topic.objects.filter(organization=organization)}
        install.courses = {
            course.starter_key: course
            for course in Course.objects.filter(organization=organization).exclude(starter_key="")
        }
        for item in plan.new["courses"]:
            install.course(item)
        for item in plan.new["courses"]:
            install.prerequisites(item)
        for item in plan.new["rules"]:
            install.rule(item)
        for item in plan.new["documents"]:
            install.document(item)
        for item in plan.new["reminders"]:
            install.reminder(item)
        audit_record(
            actor=actor,
            action="training.starter.installed",
            organization=organization,
            target=organization,
            changes={"created": [None, plan.summary.created], "already_there": [None, plan.summary.present]},
        )
        if plan.summary.total_created:
            request_evaluation_on_commit(organization, "training.starter")
    return plan.summary
