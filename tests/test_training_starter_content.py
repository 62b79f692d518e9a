"""The starter curriculum file: every reference resolves, every quiz can be passed and only one way, every citation
is in the catalog, and every Markdown text renders without HTML and without losing a word."""

from __future__ import annotations

import re
from collections.abc import Iterator
from fractions import Fraction
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.apps import apps

from safeguard.catalog.models import Requirement
from safeguard.training.audiences import audience_error
from safeguard.training.markdown import render_markdown
from safeguard.training.models import AckDocument, AudienceKind, Cadence, CourseKind, Delivery

SECTIONS = ("topics", "courses", "rules", "documents", "reminders")

# The topics the issue names, each with the catalog citation it serves.
TOPIC_CITATIONS = {
    "malicious_software": "164.308(a)(5)(ii)(B)",
    "login_monitoring": "164.308(a)(5)(ii)(C)",
    "passwords_mfa": "164.308(a)(5)(ii)(D)",
    "phishing": "164.308(a)(5)(ii)(B)",
    "incident_reporting": "164.308(a)(6)(ii)",
    "lost_devices": "164.310(d)(1)",
    "acceptable_use": "164.310(b)",
    "sanction_policy": "164.308(a)(1)(ii)(C)",
}
ALL_TOPICS = frozenset(TOPIC_CITATIONS)

# code: (kind, topics, lessons (min, max), questions (min, max))
COURSE_SHAPES = {
    "SEC-101": ("initial", ALL_TOPICS, (6, 8), (8, 10)),
    "SEC-201": ("annual", ALL_TOPICS, (4, 5), (8, 8)),
    "SEC-301": (
        "role_based",
        {"passwords_mfa", "login_monitoring", "malicious_software", "incident_reporting"},
        (3, 4),
        (6, 6),
    ),
    "SEC-310": ("role_based", {"acceptable_use", "lost_devices", "phishing", "incident_reporting"}, (3, 3), (5, 5)),
    "SEC-401": ("micro", {"phishing"}, (1, 1), (3, 3)),
    "SEC-402": ("micro", {"passwords_mfa"}, (1, 1), (3, 3)),
    "SEC-501": ("remedial", {"phishing", "incident_reporting"}, (2, 2), (4, 4)),
}

# (course code, audience, values, cadence, due days)
EXPECTED_RULES = {
    ("SEC-101", "new_hires", (), "once", 30),
    ("SEC-201", "everyone", (), "annual", 30),
    ("SEC-301", "privileged", (), "annual", 30),
    ("SEC-501", "phishing_clickers", (), "once", 14),
    ("SEC-310", "department", ("Front Desk", "Billing"), "once", 30),
}

# What an organization replaces before publishing; the file's header lists them for the editor.
PLACEHOLDERS = {
    "the security official's name",
    "the security official's phone",
    "the security mailbox",
    "the IT help line",
    "the Report Phishing button",
    "the approved messaging app",
    "the approved password manager",
}

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
WORD = re.compile(r"[A-Za-z0-9]+")
TAG_LIKE = re.compile(r"<[A-Za-z/!?]")
LIST_OR_HEADING_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6})\s+", re.MULTILINE)


def starter_path() -> Path:
    return Path(apps.get_app_config("training").path) / "data" / "starter.yaml"


@cache
def starter() -> dict[str, Any]:
    data = yaml.safe_load(starter_path().read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def courses() -> list[dict[str, Any]]:
    return list(starter()["courses"])


def course_by_code(code: str) -> dict[str, Any]:
    (course,) = [course for course in courses() if course["code"] == code]
    return course


def questions() -> Iterator[tuple[str, dict[str, Any]]]:
    for course in courses():
        for question in course.get("questions", []):
            yield course["code"], question


def markdown_texts() -> Iterator[tuple[str, str]]:
    """(where, text) for every field rendered as Markdown."""
    for course in courses():
        yield f"{course['code']} summary", course["summary"]
        for lesson in course.get("lessons", []):
            yield f"{course['code']} lesson {lesson['title']!r}", lesson["body"]
    for document in starter()["documents"]:
        yield f"document {document['key']}", document["body"]
    for reminder in starter()["reminders"]:
        yield f"reminder {reminder['key']}", reminder["body"]


def strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def word_count(text: str) -> int:
    return len(WORD.findall(LIST_OR_HEADING_MARKER.sub("", text)))


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    return " ".join(parser.parts)


def assert_unique(values: list[str], what: str) -> None:
    duplicates = sorted({value for value in values if values.count(value) > 1})
    assert not duplicates, f"duplicate {what}: {duplicates}"


# --- structure -----------------------------------------------------------------------------------------------


def test_the_file_has_every_section_and_nothing_else() -> None:
    assert set(starter()) == set(SECTIONS)
    assert all(isinstance(starter()[section], list) and starter()[section] for section in SECTIONS)


def test_keys_codes_and_titles_are_unique_and_fit_their_fields() -> None:
    for section in SECTIONS:
        keys = [entry["key"] for entry in starter()[section]]
        assert_unique(keys, f"{section} keys")
        assert all(KEY.fullmatch(key) for key in keys), f"{section}: keys are short snake_case slugs"
    assert_unique([course["code"] for course in courses()], "course codes")
    assert_unique([course["title"].lower() for course in courses()], "course titles")
    assert_unique([rule["name"].lower() for rule in starter()["rules"]], "rule names")
    assert_unique([document["title"].lower() for document in starter()["documents"]], "document titles")
    assert_unique([reminder["title"].lower() for reminder in starter()["reminders"]], "reminder titles")
    assert all(len(course["code"]) <= 40 and len(course["title"]) <= 200 for course in courses())
    assert all(len(topic["name"]) <= 100 for topic in starter()["topics"])


def test_the_topics_are_the_eight_the_program_needs_with_their_citations() -> None:
    assert {topic["key"]: topic["citations"] for topic in starter()["topics"]} == {
        key: [citation] for key, citation in TOPIC_CITATIONS.items()
    }
    assert all(topic["name"] and topic["description"] for topic in starter()["topics"])


def test_every_citation_is_in_the_catalog(catalog: None) -> None:
    cited = {citation for topic in starter()["topics"] for citation in topic["citations"]}

    known = set(Requirement.objects.filter(citation__in=cited).values_list("citation", flat=True))

    assert cited - known == set()


def test_every_topic_reference_resolves() -> None:
    topics = {topic["key"] for topic in starter()["topics"]}
    for course in courses():
        assert course["topics"] and set(course["topics"]) <= topics, course["code"]
    for document in starter()["documents"]:
        assert document["topic"] in topics, document["key"]
    for reminder in starter()["reminders"]:
        assert reminder["topics"] and set(reminder["topics"]) <= topics, reminder["key"]


def test_every_topic_is_taught_by_a_course_and_recalled_by_a_reminder() -> None:
    taught = {key for course in courses() for key in course["topics"]}
    reminded = {key for reminder in starter()["reminders"] for key in reminder["topics"]}

    assert taught == ALL_TOPICS
    assert reminded == ALL_TOPICS
    assert set(course_by_code("SEC-101")["topics"]) == ALL_TOPICS


# --- courses and quizzes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(COURSE_SHAPES))
def test_each_course_has_the_kind_topics_and_size_it_promises(code: str) -> None:
    kind, topics, (fewest_lessons, most_lessons), (fewest_questions, most_questions) = COURSE_SHAPES[code]
    course = course_by_code(code)

    assert course["kind"] == kind
    assert set(course["topics"]) == set(topics)
    assert fewest_lessons <= len(course["lessons"]) <= most_lessons
    assert fewest_questions <= len(course["questions"]) <= most_questions
    assert {question["kind"] for question in course["questions"]} == {"single", "multiple"}


def test_the_file_has_exactly_the_promised_courses() -> None:
    assert {course["code"] for course in courses()} == set(COURSE_SHAPES)


def test_the_initial_course_has_the_required_pass_mark_and_attempts() -> None:
    course = course_by_code("SEC-101")

    assert (course["pass_mark"], course["max_attempts"]) == (80, 3)


def test_every_course_uses_valid_settings() -> None:
    codes = {course["key"] for course in courses()}
    for course in courses():
        assert course["kind"] in CourseKind.values, course["code"]
        assert course.get("delivery", Delivery.IN_APP) == Delivery.IN_APP, "the starter courses all run in the app"
        assert "external_url" not in course, course["code"]
        assert 1 <= course["pass_mark"] <= 100 and course["max_attempts"] >= 0 and course["minutes"] > 0
        assert isinstance(course.get("randomize", True), bool)
        assert set(course.get("prerequisites", [])) <= codes - {course["key"]}, course["code"]


def test_prerequisites_have_no_cycle() -> None:
    needs = {course["key"]: set(course.get("prerequisites", [])) for course in courses()}
    done: set[str] = set()
    while len(done) < len(needs):
        ready = {key for key, required in needs.items() if key not in done and required <= done}
        assert ready, f"a cycle among {sorted(set(needs) - done)}"
        done |= ready


def test_one_wrong_answer_still_passes_every_quiz() -> None:
    # A pass mark that demands a perfect score turns a single slip into a failed attempt.
    for course in courses():
        count = len(course["questions"])
        assert Fraction(100 * (count - 1), count) >= course["pass_mark"], course["code"]


@pytest.mark.parametrize("code", sorted(COURSE_SHAPES))
def test_every_question_has_one_right_answer_set(code: str) -> None:
    course = course_by_code(code)
    assert_unique([question["text"].strip().lower() for question in course["questions"]], f"{code} questions")
    for question in course["questions"]:
        where = f"{code}: {question['text']!r}"
        choices = question["choices"]
        correct = [choice for choice in choices if choice["correct"] is True]
        wrong = [choice for choice in choices if choice["correct"] is False]

        assert 3 <= len(choices) <= 5, where
        assert len(correct) + len(wrong) == len(choices), f"{where}: `correct` must be true or false"
        if question["kind"] == "single":
            assert len(correct) == 1, where
        else:
            assert question["kind"] == "multiple", where
            assert len(correct) >= 2 and wrong, where
        assert_unique([choice["text"].strip().lower() for choice in choices], f"{where} choices")
        assert all(len(choice["text"]) <= 500 for choice in choices), where


def test_no_choice_is_a_catch_all() -> None:
    for code, question in questions():
        for choice in question["choices"]:
            assert not re.search(r"\b(all|none|both) of the (above|these)\b", choice["text"], re.I), code


def test_every_explanation_is_one_sentence() -> None:
    for code, question in questions():
        explanation = question["explanation"].strip()
        assert explanation.endswith("."), f"{code}: {explanation!r}"
        assert not re.search(r"[.!?]\s+\S", explanation), f"{code}: one sentence: {explanation!r}"


# --- rules -------------------------------------------------------------------------------------------------


def test_the_rules_assign_the_promised_courses() -> None:
    code_of = {course["key"]: course["code"] for course in courses()}

    rules = {
        (code_of[rule["course"]], rule["audience"], tuple(rule["values"]), rule["cadence"], rule["due_days"])
        for rule in starter()["rules"]
    }

    assert rules == EXPECTED_RULES
    (refresher,) = [rule for rule in starter()["rules"] if rule["audience"] == "everyone"]
    assert refresher["notice_days"] == 30


def test_every_rule_uses_valid_choices() -> None:
    keys = {course["key"] for course in courses()}
    for rule in starter()["rules"]:
        where = rule["key"]
        assert rule["course"] in keys, where
        assert rule["audience"] in AudienceKind.values, where
        assert audience_error(rule["audience"], rule["values"], tuple(AudienceKind.values)) == "", where
        assert rule["cadence"] in Cadence.values, where
        assert rule["due_days"] > 0 and rule.get("notice_days", 30) >= 0, where
        calendar = rule["cadence"] == Cadence.CALENDAR
        assert ("calendar_month" in rule) == calendar and ("calendar_day" in rule) == calendar, where
        assert len(rule["name"]) <= 200, where


# --- documents and reminders ---------------------------------------------------------------------------------


def test_the_documents_are_the_promised_policy_and_guides() -> None:
    documents = {(document["title"], document["kind"], document["topic"]) for document in starter()["documents"]}

    assert documents == {
        ("Acceptable use policy", "policy", "acceptable_use"),
        ("Reporting a security incident", "quick_reference", "incident_reporting"),
        ("If you lose a device", "quick_reference", "lost_devices"),
        ("Acceptable use at a glance", "quick_reference", "acceptable_use"),
    }
    # The sanction policy document mirrors the approved policy kept with the risk records: never a starter.
    assert all(document["kind"] != AckDocument.Kind.SANCTION_POLICY for document in starter()["documents"])
    assert all(document.get("due_days", 30) > 0 for document in starter()["documents"])


def test_there_are_twelve_monthly_reminders() -> None:
    assert len(starter()["reminders"]) == 12


@pytest.mark.parametrize(
    ("section", "field", "fewest", "most"),
    [("lessons", "body", 150, 400), ("documents", "body", 150, 350), ("reminders", "body", 80, 200)],
)
def test_texts_are_short_but_not_thin(section: str, field: str, fewest: int, most: int) -> None:
    if section == "lessons":
        entries = [lesson for course in courses() for lesson in course["lessons"]]
    else:
        entries = starter()[section]
    for entry in entries:
        words = word_count(entry[field])
        assert fewest <= words <= most, f"{entry.get('title', entry.get('key'))!r}: {words} words"


# --- Markdown and placeholders -------------------------------------------------------------------------------


def test_the_file_holds_no_html_and_no_links() -> None:
    # The parser would show raw HTML escaped, as visible junk: the file must not need any.
    for text in (starter_path().read_text(encoding="utf-8"), *strings(starter())):
        assert not TAG_LIKE.search(text), f"no HTML tags or comments: {text[:80]!r}"
        assert "](" not in text and "://" not in text and "javascript:" not in text.lower(), text[:80]


def test_markdown_renders_without_losing_a_word() -> None:
    for where, text in markdown_texts():
        html = str(render_markdown(text))
        source_words = WORD.findall(LIST_OR_HEADING_MARKER.sub("", text))

        assert WORD.findall(text_of(html)) == source_words, where
        assert "<script" not in html and "href" not in html, where


def test_placeholders_are_the_ones_the_header_lists() -> None:
    found = {match for value in strings(starter()) for match in re.findall(r"\[([^\]]+)\]", value)}
    header = starter_path().read_text(encoding="utf-8").split("\ntopics:", 1)[0]

    assert found == PLACEHOLDERS
    assert all(f"[{placeholder}]" in header for placeholder in PLACEHOLDERS)
