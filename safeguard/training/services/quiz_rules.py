"""What makes a quiz question, a course's settings and its prerequisites acceptable: pure checks, no writes.

The curriculum services, the publish step and the starter installer all ask these same questions, so a course
the starter file installs obeys exactly the rules a course written on the pages does.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit
from uuid import UUID

from safeguard.training.models import Course, CourseKind, Delivery, Question

MIN_CHOICES, MAX_CHOICES = 2, 8
LIMITS = {"code": 40, "title": 200, "choice": 500, "lesson_title": 200, "text": 5000, "body": 100_000}
PASS_MARK = (1, 100)
MAX_ATTEMPTS = (0, 20)
MINUTES = (1, 600)


@dataclass(frozen=True)
class ChoiceInput:
    """One answer of a question as written: its text, whether it is right, and (when editing) which choice it was."""

    text: str
    correct: bool
    public_id: UUID | None = None


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"“{text[: limit - 1]}…”" if len(text) > limit else f"“{text}”"


def question_problems(text: str, kind: str, choices: Sequence[ChoiceInput]) -> list[tuple[str, str]]:
    """Every reason a question cannot be asked, as (field, message); empty when it can."""
    problems: list[tuple[str, str]] = []
    if not text.strip():
        problems.append(("text", "The question has no text."))
    elif len(text) > LIMITS["text"]:
        problems.append(("text", f"The question has more than {LIMITS['text']} characters."))
    if kind not in Question.Kind.values:
        problems.append(("kind", f"Choose the kind of question: {', '.join(Question.Kind.values)}."))
    if len(choices) < MIN_CHOICES:
        problems.append(("choices", f"Give at least {MIN_CHOICES} choices (it has {len(choices)})."))
    if len(choices) > MAX_CHOICES:
        problems.append(("choices", f"Give at most {MAX_CHOICES} choices (it has {len(choices)})."))
    seen: dict[str, int] = {}
    for number, choice in enumerate(choices, start=1):
        label = " ".join(choice.text.split()).lower()
        if not label:
            problems.append(("choices", f"Choice {number} has no text."))
        elif len(choice.text) > LIMITS["choice"]:
            problems.append(("choices", f"Choice {number} has more than {LIMITS['choice']} characters."))
        elif label in seen:
            problems.append(("choices", f"Choices {seen[label]} and {number} both read {_quote(choice.text)}."))
        else:
            seen[label] = number
    right = sum(1 for choice in choices if choice.correct)
    if choices and right == 0:
        problems.append(("choices", "No choice is marked correct."))
    if kind == Question.Kind.SINGLE and right > 1:
        problems.append(
            (
                "choices",
                f"It takes one answer but {right} choices are marked correct: mark only one, or make it a "
                "question with several correct answers.",
            )
        )
    return problems


def question_label(number: int, text: str) -> str:
    return f"Question {number} ({_quote(text)})"


def _in_range(value: object, bounds: tuple[int, int]) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and bounds[0] <= value <= bounds[1]


def web_address(url: str) -> bool:
    parts = urlsplit(url.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def course_problems(course: Course) -> dict[str, str]:
    """A course's own fields, field → message (the first problem of each field)."""
    errors: dict[str, str] = {}
    if not course.code:
        errors["code"] = "Give the course a short code, e.g. SEC-101: import files name courses by it."
    elif len(course.code) > LIMITS["code"]:
        errors["code"] = f"A code has at most {LIMITS['code']} characters."
    if not course.title:
        errors["title"] = "Give the course a title."
    elif len(course.title) > LIMITS["title"]:
        errors["title"] = f"A title has at most {LIMITS['title']} characters."
    if course.kind not in CourseKind.values:
        errors["kind"] = f"Choose the kind of course: {', '.join(CourseKind.values)}."
    if course.delivery not in Delivery.values:
        errors["delivery"] = f"Choose how the course is delivered: {', '.join(Delivery.values)}."
    elif course.delivery == Delivery.EXTERNAL and not web_address(course.external_url):
        errors["external_url"] = (
            "Give the address where people take this external course, starting with https:// or http://."
        )
    elif course.delivery == Delivery.IN_APP and course.external_url:
        errors["external_url"] = "Only an external course has a link: clear it, or choose external delivery."
    if len(course.external_url) > 200:
        errors.setdefault("external_url", "A link has at most 200 characters.")
    if not _in_range(course.minutes, MINUTES):
        errors["minutes"] = f"Say about how long the course takes, from {MINUTES[0]} to {MINUTES[1]} minutes."
    if not _in_range(course.pass_mark, PASS_MARK):
        errors["pass_mark"] = "The pass mark is a percent from 1 to 100."  # noqa: S105 - a quiz mark, not a secret
    if not _in_range(course.max_attempts, MAX_ATTEMPTS):
        errors["max_attempts"] = "Allow from 0 (no limit) to 20 failed attempts."
    return errors


K = TypeVar("K", bound=Hashable)


def cycle_through(graph: Mapping[K, Iterable[K]], start: K) -> list[K] | None:
    """A cycle of `graph` (node → the nodes it requires) that passes through `start`, as [start, …, start].

    A plain depth-first search from `start`'s prerequisites; neighbours are visited in sorted order so the cycle
    named is the same every time.
    """
    parent: dict[K, K] = {}
    stack: list[K] = []

    def visit(node: K) -> None:
        for nxt in sorted(graph.get(node, ()), key=str, reverse=True):
            if nxt not in parent:
                parent[nxt] = node
                stack.append(nxt)

    visit(start)
    while stack:
        node = stack.pop()
        if node == start:
            path = [start]
            step = parent[start]
            while step != start:
                path.append(step)
                step = parent[step]
            path.append(start)
            return list(reversed(path))
        visit(node)
    return None
