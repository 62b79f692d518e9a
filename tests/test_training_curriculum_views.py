"""Curriculum pages over HTTP: who may read and change courses, lessons, questions and topics; isolation between
organizations; the forms' errors; sanitized lesson rendering and preview; the starter action; flat query counts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from safeguard.core.models import AuditEvent, User
from safeguard.core.roles import Role
from safeguard.training.models import Course, Lesson, Question, Topic
from safeguard.training.services import starter
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_training_curriculum_support import events, starter_file

EVIL = "# Hi\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1))\n\n**safe**"


def url(name: str, *args: object, org: str = "clinic") -> str:
    return reverse(f"training:{name}", args=[org, *args])


def who(cast: Cast, name: str) -> User:
    if name == "manager":
        return make_member(cast.org, "manager@clinic.test", Role.MANAGER).user
    return {
        "owner": cast.owner,
        "official": cast.official,
        "auditor": cast.auditor,
        "workforce": cast.workforce,
        "outsider": cast.outsider,
    }[name]


READERS = [
    ("owner", 200),
    ("official", 200),
    ("manager", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
]
WRITERS = [
    ("owner", 200),
    ("official", 200),
    ("manager", 403),
    ("auditor", 403),
    ("workforce", 403),
    ("outsider", 404),
]


def page_args(course: Course, page: str) -> Sequence[object]:
    lesson, question = course.lessons.order_by("position")[0], course.questions.order_by("position")[0]
    topic = course.topics.get()
    return {
        "course_detail": [course.public_id],
        "course_edit": [course.public_id],
        "course_prerequisites": [course.public_id],
        "lesson_create": [course.public_id],
        "lesson_detail": [course.public_id, lesson.public_id],
        "question_create": [course.public_id],
        "question_edit": [course.public_id, question.public_id],
        "topic_edit": [topic.public_id],
    }.get(page, [])


@pytest.fixture
def course(cast: Cast) -> Course:
    return make.course(cast.org, "SEC-101", topics=[make.topic(cast.org, "phishing")])


@pytest.mark.parametrize("page", ["course_list", "course_detail", "lesson_detail", "topic_list"])
@pytest.mark.parametrize(("name", "expected"), READERS)
def test_program_viewers_read_the_curriculum(cast: Cast, course: Course, page: str, name: str, expected: int) -> None:
    response = client_for(who(cast, name)).get(url(page, *page_args(course, page)))
    assert response.status_code == expected


@pytest.mark.parametrize(
    "page",
    [
        "course_create",
        "course_edit",
        "course_prerequisites",
        "lesson_create",
        "question_create",
        "question_edit",
        "topic_create",
        "topic_edit",
        "starter_install",
    ],
)
@pytest.mark.parametrize(("name", "expected"), WRITERS)
def test_only_program_managers_open_the_curriculum_forms(
    cast: Cast, course: Course, page: str, name: str, expected: int
) -> None:
    response = client_for(who(cast, name)).get(url(page, *page_args(course, page)))
    assert response.status_code == expected


@pytest.mark.parametrize(("name", "expected"), [row for row in WRITERS if row[1] != 200])
def test_denied_curriculum_writes_change_nothing(cast: Cast, course: Course, name: str, expected: int) -> None:
    client = client_for(who(cast, name))
    lesson, question = course.lessons.order_by("position")[0], course.questions.order_by("position")[0]
    topic = course.topics.get()
    before = AuditEvent.objects.count()
    c, l_, q = course.public_id, lesson.public_id, question.public_id

    answers = [
        client.post(url("course_create"), {"code": "X-1", "title": "X", "kind": "annual"}).status_code,
        client.post(url("course_edit", c), {"code": "SEC-101", "title": "Renamed", "kind": "annual"}).status_code,
        client.post(url("course_retire", c)).status_code,
        client.post(url("course_publish", c)).status_code,
        client.post(url("course_delete", c), {"confirm": "on"}).status_code,
        client.post(url("course_prerequisites", c), {"prerequisites": []}).status_code,
        client.post(url("lesson_create", c), {"title": "T", "body": "B"}).status_code,
        client.post(url("lesson_detail", c, l_), {"title": "T", "body": "Changed"}).status_code,
        client.post(url("lesson_move", c, l_), {"direction": "down"}).status_code,
        client.post(url("lesson_delete", c, l_), {"confirm": "on"}).status_code,
        client.post(url("question_create", c), {"text": "Q", "kind": "single"}).status_code,
        client.post(url("question_edit", c, q), {"text": "Q", "kind": "single"}).status_code,
        client.post(url("question_move", c, q), {"direction": "down"}).status_code,
        client.post(url("question_delete", c, q), {"confirm": "on"}).status_code,
        client.post(url("topic_create"), {"key": "k", "name": "K"}).status_code,
        client.post(url("topic_edit", topic.public_id), {"key": "k", "name": "K"}).status_code,
        client.post(url("starter_install")).status_code,
    ]

    assert answers == [expected] * len(answers)
    course.refresh_from_db()
    assert (course.title, course.status, course.version) == ("Course SEC-101", "published", 1)
    assert list(course.lessons.order_by("position").values_list("title", "body")) == [
        ("Lesson 1", "# Lesson 1\n\nRead this."),
        ("Lesson 2", "# Lesson 2\n\nRead this."),
    ]
    assert course.questions.count() == 2
    assert Course.objects.count() == 1
    assert list(Topic.objects.values_list("key", flat=True)) == ["phishing"]
    assert AuditEvent.objects.count() == before


def test_retiring_says_how_many_open_assignments_were_cancelled(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    for employee_id in ("N1", "N2"):
        make.assignment(make.person(cast.org, employee_id), course, due_on=date(2027, 3, 1))

    response = client_for(cast.official).post(url("course_retire", course.public_id), follow=True)

    assert "Retired SEC-101; its 2 open assignments were cancelled." in response.content.decode()
    assert not course.assignments.filter(status="open").exists()


def test_retiring_a_course_an_active_rule_assigns_shows_why_and_changes_nothing(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    make.rule(course, name="New hires")
    before = AuditEvent.objects.count()

    response = client_for(cast.official).post(url("course_retire", course.public_id), follow=True)

    assert escape("The active rule “New hires” assigns SEC-101") in response.content.decode()
    assert Course.objects.get(pk=course.pk).status == "published"
    assert AuditEvent.objects.count() == before


def test_another_organizations_curriculum_is_not_found(cast: Cast, course: Course) -> None:
    theirs = make.course(cast.other_org, "SEC-101", topics=[make.topic(cast.other_org, "phishing")])
    client = client_for(cast.owner)
    lesson, question = theirs.lessons.first(), theirs.questions.first()
    assert lesson is not None and question is not None

    assert client.get(url("course_detail", theirs.public_id)).status_code == 404
    assert client.get(url("course_edit", theirs.public_id)).status_code == 404
    assert client.post(url("course_retire", theirs.public_id)).status_code == 404
    assert client.get(url("lesson_detail", theirs.public_id, lesson.public_id)).status_code == 404
    assert client.get(url("question_edit", theirs.public_id, question.public_id)).status_code == 404
    assert client.get(url("topic_edit", theirs.topics.get().public_id)).status_code == 404
    # A lesson of this organization reached through another course's address is not found either.
    other_course = make.course(cast.org, "SEC-102")
    own_lesson = course.lessons.first()
    assert own_lesson is not None
    assert client.get(url("lesson_detail", other_course.public_id, own_lesson.public_id)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "published"


# ---- writing through the pages -------------------------------------------------------------------------------------


def test_create_a_course_then_write_its_lessons_and_quiz_then_publish(cast: Cast) -> None:
    topic = make.topic(cast.org, "phishing")
    client = client_for(cast.official)

    created = client.post(
        url("course_create"),
        {
            "code": "SEC-101",
            "title": "Basics",
            "kind": "initial",
            "delivery": "in_app",
            "minutes": "20",
            "pass_mark": "80",
            "max_attempts": "3",
            "randomize": "on",
            "topics": [str(topic.public_id)],
        },
    )
    course = Course.objects.get()
    assert created["Location"] == url("course_detail", course.public_id)
    client.post(url("lesson_create", course.public_id), {"title": "Spot the bait", "body": "Look first."})
    client.post(
        url("question_create", course.public_id),
        {
            "text": "What do you do?",
            "kind": "single",
            "choice_1_text": "Report it",
            "choice_1_correct": "on",
            "choice_2_text": "Click it",
        },
    )
    published = client.post(url("course_publish", course.public_id))

    course.refresh_from_db()
    assert published.status_code == 302
    assert (course.status, list(course.topics.all())) == ("published", [topic])
    assert [(c.text, c.correct) for c in Question.objects.get().choices.order_by("position")] == [
        ("Report it", True),
        ("Click it", False),
    ]
    assert [e.action for e in AuditEvent.objects.order_by("sequence")][-4:] == [
        "training.course.created",
        "training.lesson.created",
        "training.question.created",
        "training.course.published",
    ]


def test_a_broken_question_is_explained_on_the_form(cast: Cast, course: Course) -> None:
    response = client_for(cast.owner).post(
        url("question_create", course.public_id),
        {"text": "Which?", "kind": "single", "choice_1_text": "A", "choice_2_text": "B"},
    )

    assert response.status_code == 200
    assert "No choice is marked correct." in response.content.decode()
    assert course.questions.count() == 2


def test_publishing_a_broken_quiz_lists_every_problem(cast: Cast) -> None:
    quiz = [("No right answer?", [("A", False), ("B", False)]), ("Alone?", [("Only", True)])]
    course = make.course(cast.org, "SEC-101", status="draft", quiz=quiz)
    client = client_for(cast.owner)

    response = client.post(url("course_publish", course.public_id), follow=True)

    page = response.content.decode()
    assert escape("Question 1 (“No right answer?”): No choice is marked correct.") in page
    assert escape("Question 2 (“Alone?”): Give at least 2 choices (it has 1).") in page
    assert Course.objects.get(pk=course.pk).status == "draft"


def test_editing_a_question_keeps_its_choices(cast: Cast, course: Course) -> None:
    question = course.questions.order_by("position")[0]
    client = client_for(cast.owner)
    form = client.get(url("question_edit", course.public_id, question.public_id)).context["form"]
    data = {name: value for name, value in form.initial.items() if value not in (None, False)}
    data["choice_2_text"] = "Urgent, with an odd link"

    response = client.post(url("question_edit", course.public_id, question.public_id), data)

    assert response.status_code == 302
    choices = list(question.choices.order_by("position"))
    assert [c.text for c in choices] == ["From your manager's usual address", "Urgent, with an odd link"]
    assert [c.public_id for c in choices] == [form.initial["choice_1_id"], form.initial["choice_2_id"]]
    assert Course.objects.get(pk=course.pk).version == 2


def test_lessons_move_up_and_down(cast: Cast, course: Course) -> None:
    second = course.lessons.order_by("position")[1]

    client_for(cast.owner).post(url("lesson_move", course.public_id, second.public_id), {"direction": "up"})

    assert list(course.lessons.order_by("position").values_list("title", flat=True)) == ["Lesson 2", "Lesson 1"]
    assert events("training.lesson.moved")[0].changes == {"position": [2, 1]}


def test_a_cycle_is_shown_on_the_prerequisites_form(cast: Cast, course: Course) -> None:
    later = make.course(cast.org, "SEC-201")
    course.prerequisites.set([later])

    response = client_for(cast.owner).post(
        url("course_prerequisites", later.public_id), {"prerequisites": [str(course.public_id)]}
    )

    assert response.status_code == 200
    assert escape("SEC-201 → SEC-101 → SEC-201") in response.content.decode()
    assert not later.prerequisites.exists()


def test_an_unknown_citation_is_shown_on_the_topic_form(cast: Cast) -> None:
    response = client_for(cast.owner).post(
        url("topic_create"), {"key": "phishing", "name": "Phishing", "citations": "164.308(a)(5)(ii)(B), 999.1"}
    )

    assert response.status_code == 200
    assert escape("“999.1” is not a citation of the catalog") in response.content.decode()
    assert not Topic.objects.exists()


def test_delete_a_draft_course(cast: Cast) -> None:
    draft = make.course(cast.org, "SEC-101", status="draft")
    client = client_for(cast.owner)

    unconfirmed = client.post(url("course_delete", draft.public_id))
    confirmed = client.post(url("course_delete", draft.public_id), {"confirm": "on"})

    assert unconfirmed.status_code == 302
    assert confirmed["Location"] == url("course_list")
    assert not Course.objects.exists()
    assert len(events("training.course.deleted")) == 1


# ---- sanitized lessons --------------------------------------------------------------------------------------------


def test_a_lesson_page_renders_the_body_sanitized(cast: Cast, course: Course) -> None:
    lesson = course.lessons.order_by("position")[0]
    Lesson.objects.filter(pk=lesson.pk).update(body=EVIL)
    Course.objects.filter(pk=course.pk).update(summary=EVIL)

    for address in (url("lesson_detail", course.public_id, lesson.public_id), url("course_detail", course.public_id)):
        page = client_for(cast.auditor).get(address).content.decode()
        assert "<strong>safe</strong>" in page
        assert "<script>alert" not in page
        assert 'href="javascript' not in page.lower()


def test_the_preview_button_renders_without_saving(cast: Cast, course: Course) -> None:
    lesson = course.lessons.order_by("position")[0]

    response = client_for(cast.owner).post(
        url("lesson_detail", course.public_id, lesson.public_id), {"title": "T", "body": EVIL, "preview": "1"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>safe</strong>" in page
    assert "<script>alert" not in page
    assert 'href="javascript' not in page.lower()
    lesson.refresh_from_db()
    assert lesson.body == "# Lesson 1\n\nRead this."
    assert not events("training.lesson.updated")


# ---- the list, the starter action, query counts ------------------------------------------------------------------


def test_an_empty_list_offers_the_starter_to_managers_only(cast: Cast) -> None:
    manager_page = client_for(cast.owner).get(url("course_list")).content.decode()
    auditor_page = client_for(cast.auditor).get(url("course_list")).content.decode()

    assert f'action="{url("starter_install")}"' in manager_page
    assert "Install the starter curriculum" in manager_page
    assert "starter_install" not in auditor_page and url("starter_install") not in auditor_page


def test_the_list_keeps_the_starter_among_secondary_actions(cast: Cast, course: Course) -> None:
    page = client_for(cast.owner).get(url("course_list")).content.decode()
    assert f'href="{url("starter_install")}"' in page
    assert f'action="{url("starter_install")}"' not in page


def test_the_starter_page_previews_then_installs(cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(starter, "STARTER_FILE", starter_file(tmp_path))
    client = client_for(cast.official)

    preview = client.get(url("starter_install"))
    assert preview.context["preview"].created["courses"] == 3
    assert not Course.objects.exists()

    installed = client.post(url("starter_install"), follow=True)

    assert "Installed 9 records from the starter curriculum" in installed.content.decode()
    assert Course.objects.filter(organization=cast.org).count() == 3
    assert client.get(url("starter_install")).context["preview"].total_created == 0


def test_the_list_filters_by_kind_status_and_topic(cast: Cast) -> None:
    phishing = make.topic(cast.org, "phishing")
    make.course(cast.org, "A-1", kind="initial", topics=[phishing])
    make.course(cast.org, "A-2", kind="initial", status="draft")
    make.course(cast.org, "A-3", kind="annual", topics=[phishing])
    client = client_for(cast.auditor)

    def codes(**query: str) -> list[str]:
        return [c.code for c in client.get(url("course_list"), query).context["page"].object_list]

    assert codes() == ["A-1", "A-2", "A-3"]
    assert codes(kind="initial") == ["A-1", "A-2"]
    assert codes(status="draft") == ["A-2"]
    assert codes(topic=str(phishing.public_id)) == ["A-1", "A-3"]
    assert codes(kind="bogus") == ["A-1", "A-2", "A-3"]


def test_the_list_query_count_does_not_grow_with_courses(cast: Cast) -> None:
    topics = [make.topic(cast.org, key) for key in ("phishing", "malware")]
    client = client_for(cast.owner)

    def add(n: int) -> None:
        prerequisite = make.course(cast.org, f"P-{n:02}", lessons=1, quiz=[])
        made = make.course(cast.org, f"C-{n:02}", lessons=1, topics=topics)
        made.prerequisites.set([prerequisite])

    for n in range(2):
        add(n)
    client.get(url("course_list"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        assert client.get(url("course_list")).status_code == 200
    for n in range(2, 15):
        add(n)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url("course_list")).status_code == 200

    assert len(many) == len(few)


def test_the_course_page_query_count_does_not_grow_with_content(cast: Cast) -> None:
    client = client_for(cast.owner)
    small = make.course(cast.org, "S-1", lessons=1, quiz=[("Q?", [("A", True), ("B", False)])])
    big = make.course(cast.org, "B-1", lessons=12, quiz=[(f"Q{n}?", [("A", True), ("B", False)]) for n in range(12)])
    for n in range(5):
        make.rule(big, name=f"Rule {n}")
    client.get(url("course_detail", small.public_id))
    with CaptureQueriesContext(connection) as few:
        client.get(url("course_detail", small.public_id))
    with CaptureQueriesContext(connection) as many:
        client.get(url("course_detail", big.public_id))

    assert len(many) == len(few)
