"""The starter curriculum file (data/starter.yaml; its schema is in docs/training-curriculum.md): reading it and
checking every item before anything is written. services/starter.py installs what this returns.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from safeguard.catalog.models import Requirement
from safeguard.core.services.errors import ServiceError
from safeguard.training.audiences import audience_error
from safeguard.training.models import AckDocument, AudienceKind, Cadence, Course, Delivery
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
