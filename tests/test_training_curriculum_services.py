"""Curriculum services: topics and their citations, courses and their settings, quiz validation, publishing,
retiring, deleting, prerequisites without cycles, the version raised when published content changes, and the
audit trail of each write."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.training.markdown import render_markdown
from safeguard.training.models import (
    Assignment,
    Cadence,
    Choice,
    Course,
    CourseKind,
    Delivery,
    Lesson,
    Question,
    Topic,
)
from safeguard.training.services import course_content as content
from safeguard.training.services import curriculum as services
from safeguard.training.services.quiz_rules import ChoiceInput, cycle_through
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_curriculum_support import GOOD, actor, choices, events


def new_course(cast: Cast, code: str = "SEC-101", **values: Any) -> Course:
    values.setdefault("title", f"Course {code}")
    values.setdefault("kind", CourseKind.INITIAL)
    return services.course_create(organization=cast.org, actor=actor(cast.official), code=code, **values)


# ---- topics -------------------------------------------------------------------------------------------------------


def test_a_topic_records_its_catalog_citations(cast: Cast) -> None:
    topic = services.topic_create(
        organization=cast.org,
        actor=actor(cast.official),
        key="Phishing",
        name="Phishing",
        citations=[" 164.308(a)(5)(ii)(B)", "164.308(a)(5)(ii)(B)"],
    )

    assert (topic.key, topic.citations) == ("phishing", ["164.308(a)(5)(ii)(B)"])
    assert events("training.topic.created")[0].changes["citations"] == [None, ["164.308(a)(5)(ii)(B)"]]


def test_an_unknown_citation_is_named_and_nothing_is_written(cast: Cast) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ServiceError) as refused:
        services.topic_create(
            organization=cast.org,
            actor=actor(cast.official),
            key="phishing",
            name="Phishing",
            citations=["164.308(a)(5)(ii)(B)", "164.308(a)(9)"],
        )

    assert refused.value.field == "citations"
    assert refused.value.message.startswith("“164.308(a)(9)” is not a citation of the catalog")
    assert not Topic.objects.exists()
    assert AuditEvent.objects.count() == before


def test_topic_keys_are_unique_and_well_formed(cast: Cast) -> None:
    make.topic(cast.org, "phishing")

    with pytest.raises(ServiceError, match="Another topic already has the key “phishing”"):
        services.topic_create(organization=cast.org, actor=actor(cast.owner), key="phishing", name="Again")
    with pytest.raises(ServiceError, match="lowercase letters, digits"):
        services.topic_create(organization=cast.org, actor=actor(cast.owner), key="no spaces", name="X")


def test_a_topic_update_audits_what_changed(cast: Cast) -> None:
    topic = make.topic(cast.org, "phishing", ["164.308(a)(5)(ii)(B)"])

    services.topic_update(
        organization=cast.org, actor=actor(cast.official), topic=topic, citations=["164.308(a)(5)(ii)(A)"]
    )

    topic.refresh_from_db()
    assert topic.citations == ["164.308(a)(5)(ii)(A)"]
    assert events("training.topic.updated")[0].changes == {
        "citations": [["164.308(a)(5)(ii)(B)"], ["164.308(a)(5)(ii)(A)"]]
    }


# ---- course settings ----------------------------------------------------------------------------------------------


def test_a_new_course_is_a_draft_with_its_topics(cast: Cast) -> None:
    phishing = make.topic(cast.org, "phishing")

    course = new_course(cast, topics=[phishing])

    assert (course.status, course.version, course.created_by) == (Course.Status.DRAFT, 1, cast.official)
    assert list(course.topics.all()) == [phishing]
    changes = events("training.course.created")[0].changes
    assert changes["topics"] == [None, ["phishing"]]
    assert changes["code"] == [None, "SEC-101"]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"pass_mark": 0}, "pass_mark", "The pass mark is a percent from 1 to 100."),
        ({"pass_mark": 101}, "pass_mark", "The pass mark is a percent from 1 to 100."),
        ({"max_attempts": 21}, "max_attempts", "Allow from 0 (no limit) to 20 failed attempts."),
        ({"minutes": 0}, "minutes", "Say about how long the course takes, from 1 to 600 minutes."),
        ({"title": " "}, "title", "Give the course a title."),
        ({"kind": "weekly"}, "kind", "Choose the kind of course"),
        ({"delivery": Delivery.EXTERNAL}, "external_url", "Give the address where people take this external course"),
        (
            {"delivery": Delivery.EXTERNAL, "external_url": "javascript:alert(1)"},
            "external_url",
            "starting with https:// or http://",
        ),
        ({"external_url": "https://lms.test/x"}, "external_url", "Only an external course has a link"),
    ],
)
def test_bad_course_settings_are_refused(cast: Cast, values: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(ServiceError) as refused:
        new_course(cast, **values)

    assert refused.value.field == field
    assert message in refused.value.message
    assert not Course.objects.exists()


def test_course_codes_are_unique_whatever_their_case(cast: Cast) -> None:
    make.course(cast.org, "SEC-101", title="Basics")

    with pytest.raises(ServiceError, match="The course “Basics” already has the code SEC-101."):
        new_course(cast, "sec-101")


def test_delivery_changes_only_in_draft(cast: Cast) -> None:
    published = make.course(cast.org, "SEC-101")
    draft = make.course(cast.org, "SEC-102", status=Course.Status.DRAFT)

    with pytest.raises(ServiceError, match="changes only while it is a draft"):
        services.course_update(
            organization=cast.org,
            actor=actor(cast.owner),
            course=published,
            delivery=Delivery.EXTERNAL,
            external_url="https://lms.test/1",
        )
    with pytest.raises(ServiceError, match="remove its 2 lessons and 2 questions first"):
        services.course_update(
            organization=cast.org,
            actor=actor(cast.owner),
            course=draft,
            delivery=Delivery.EXTERNAL,
            external_url="https://lms.test/1",
        )


# ---- quiz validation ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "rows", "message"),
    [
        ("Which?", "single", [("A", False), ("B", False)], "No choice is marked correct."),
        ("Which?", "single", [("A", True), ("B", True)], "It takes one answer but 2 choices are marked correct"),
        ("Which?", "single", [("A", True)], "Give at least 2 choices (it has 1)."),
        ("Which?", "multiple", [(f"C{n}", True) for n in range(9)], "Give at most 8 choices (it has 9)."),
        ("Which?", "single", [("Yes", True), ("yes ", False)], "Choices 1 and 2 both read “yes”."),
        ("  ", "single", [("A", True), ("B", False)], "The question has no text."),
        ("Which?", "single", [("A", True), ("", False)], "Choice 2 has no text."),
    ],
)
def test_a_broken_question_is_refused_with_the_reason(
    cast: Cast, text: str, kind: str, rows: list[tuple[str, bool]], message: str
) -> None:
    course = new_course(cast)
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        content.question_create(
            organization=cast.org, actor=actor(cast.owner), course=course, text=text, kind=kind, choices=choices(*rows)
        )

    assert message in refused.value.message
    assert not Question.objects.exists()
    assert not Choice.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_multiple_choice_question_may_have_several_right_answers(cast: Cast) -> None:
    course = new_course(cast)

    question = content.question_create(
        organization=cast.org,
        actor=actor(cast.owner),
        course=course,
        text="Which keep an account safe?",
        kind=Question.Kind.MULTIPLE,
        choices=choices(("MFA", True), ("A passphrase", True), ("Sharing", False)),
        explanation="Both make stolen passwords useless.",
    )

    assert [(c.text, c.correct, c.position) for c in question.choices.order_by("position")] == [
        ("MFA", True, 0),
        ("A passphrase", True, 1),
        ("Sharing", False, 2),
    ]
    assert events("training.question.created")[0].changes["choices"][1][0] == {"text": "MFA", "correct": True}


def test_editing_a_question_keeps_the_choices_it_names(cast: Cast) -> None:
    course = new_course(cast)
    question = content.question_create(
        organization=cast.org, actor=actor(cast.owner), course=course, text="Q?", kind="single", choices=GOOD
    )
    first, second = question.choices.order_by("position")

    content.question_update(
        organization=cast.org,
        actor=actor(cast.owner),
        question=question,
        choices=[
            ChoiceInput("Ignore it", False, second.public_id),
            ChoiceInput("Report it now", True, first.public_id),
        ],
    )

    assert [(c.public_id, c.text, c.position) for c in question.choices.order_by("position")] == [
        (second.public_id, "Ignore it", 0),
        (first.public_id, "Report it now", 1),
    ]


def test_a_choice_of_another_question_is_refused(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101", status=Course.Status.DRAFT)
    one, other = course.questions.order_by("position")
    stranger = other.choices.first()
    assert stranger is not None

    with pytest.raises(ServiceError, match="Choice 2 is not one of this question's choices."):
        content.question_update(
            organization=cast.org,
            actor=actor(cast.owner),
            question=one,
            choices=[ChoiceInput("A", True), ChoiceInput("B", False, stranger.public_id)],
        )
    assert other.choices.count() == 3


def test_an_external_course_has_no_lessons(cast: Cast) -> None:
    course = new_course(cast, delivery=Delivery.EXTERNAL, external_url="https://lms.test/1")

    with pytest.raises(ServiceError, match="SEC-101 is an external course"):
        content.lesson_create(organization=cast.org, actor=actor(cast.owner), course=course, title="L", body="B")


# ---- publishing, retiring, deleting -------------------------------------------------------------------------------


def test_publishing_names_every_broken_question(cast: Cast) -> None:
    quiz = [
        ("Fine?", [("Yes", True), ("No", False)]),
        ("No right answer?", [("A", False), ("B", False)]),
        ("Two right, one allowed?", [("A", True), ("B", True)]),
    ]
    course = make.course(cast.org, "SEC-101", status=Course.Status.DRAFT, quiz=quiz)
    Question.objects.filter(text="Two right, one allowed?").update(kind=Question.Kind.SINGLE)

    with pytest.raises(services.PublishRefused) as refused:
        services.course_publish(organization=cast.org, actor=actor(cast.owner), course=course)

    assert refused.value.problems == [
        "Question 2 (“No right answer?”): No choice is marked correct.",
        "Question 3 (“Two right, one allowed?”): It takes one answer but 2 choices are marked correct: mark only "
        "one, or make it a question with several correct answers.",
    ]
    course.refresh_from_db()
    assert course.status == Course.Status.DRAFT
    assert not events("training.course.published")


def test_an_in_app_course_needs_a_lesson_and_a_question(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101", status=Course.Status.DRAFT, lessons=0, quiz=[])

    with pytest.raises(services.PublishRefused) as refused:
        services.course_publish(organization=cast.org, actor=actor(cast.owner), course=course)

    assert refused.value.problems == [
        "It has no lesson: add at least one.",
        "It has no quiz question: add at least one.",
    ]


def test_publish_then_retire(cast: Cast, django_capture_on_commit_callbacks) -> None:
    course = make.course(cast.org, "SEC-101", status=Course.Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.course_publish(organization=cast.org, actor=actor(cast.owner), course=course)
    services.course_retire(organization=cast.org, actor=actor(cast.owner), course=course)

    course.refresh_from_db()
    assert course.status == Course.Status.RETIRED
    assert course.published_at is not None
    assert events("training.course.published")[0].changes == {"status": ["draft", "published"], "version": [None, 1]}
    assert events("training.course.retired")[0].changes == {
        "status": ["published", "retired"],
        "assignments_cancelled": [None, 0],
    }
    assert len(callbacks) == 2  # the assignment rules are re-evaluated and the tracker asked to evaluate


def test_an_external_course_publishes_with_its_link(cast: Cast) -> None:
    course = new_course(cast, delivery=Delivery.EXTERNAL, external_url="https://lms.test/1")

    services.course_publish(organization=cast.org, actor=actor(cast.owner), course=course)

    assert Course.objects.get(pk=course.pk).status == Course.Status.PUBLISHED


def test_a_course_a_published_course_requires_cannot_be_retired(cast: Cast) -> None:
    basics = make.course(cast.org, "SEC-101")
    make.course(cast.org, "SEC-201").prerequisites.set([basics])

    with pytest.raises(ServiceError, match=r"SEC-201 \(published\) requires SEC-101"):
        services.course_retire(organization=cast.org, actor=actor(cast.owner), course=basics)


def test_retiring_cancels_the_open_assignments_each_audited(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    other = make.course(cast.org, "SEC-102")
    nurse, clerk = make.person(cast.org, "N1"), make.person(cast.org, "C1")
    open_ones = [make.assignment(who, course, due_on=date(2027, 3, 1)) for who in (nurse, clerk)]
    done = make.assignment(nurse, course, due_on=date(2026, 3, 1), status=Assignment.Status.COMPLETED)
    elsewhere = make.assignment(nurse, other, due_on=date(2027, 3, 1))
    make.rule(course, active=False)  # a rule switched off does not hold the course

    services.course_retire(organization=cast.org, actor=actor(cast.official), course=course)

    for row in open_ones:
        row.refresh_from_db()
        assert (row.status, row.close_reason, row.closed_by) == (
            Assignment.Status.CANCELLED,
            services.RETIRED_REASON,
            cast.official,
        )
        assert row.closed_at is not None
    done.refresh_from_db()
    elsewhere.refresh_from_db()
    assert (done.status, elsewhere.status) == (Assignment.Status.COMPLETED, Assignment.Status.OPEN)
    cancelled = events("training.assignment.cancelled")
    assert sorted(event.object_id for event in cancelled) == sorted(str(row.public_id) for row in open_ones)
    assert cancelled[0].changes == {"status": ["open", "cancelled"], "close_reason": ["", "Course retired"]}
    assert events("training.course.retired")[0].changes["assignments_cancelled"] == [None, 2]


def test_a_course_an_active_rule_assigns_is_not_retired_and_nothing_changes(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    make.rule(course, name="New hires")
    make.rule(course, name="Annual refresher", cadence=Cadence.ANNUAL)
    make.rule(course, name="Old rule", active=False)
    row = make.assignment(make.person(cast.org, "N1"), course, due_on=date(2027, 3, 1))
    before = AuditEvent.objects.count()

    with pytest.raises(ServiceError) as refused:
        services.course_retire(organization=cast.org, actor=actor(cast.official), course=course)

    assert refused.value.message == (
        "The active rules “Annual refresher”, “New hires” assign SEC-101: switch them off, or point them at "
        "another course, before retiring it."
    )
    assert refused.value.field == "status"
    course.refresh_from_db()
    row.refresh_from_db()
    assert (course.status, row.status) == (Course.Status.PUBLISHED, Assignment.Status.OPEN)
    assert AuditEvent.objects.count() == before


def test_one_active_rule_is_named_in_the_singular(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    make.rule(course, name="New hires")

    with pytest.raises(ServiceError, match="^The active rule “New hires” assigns SEC-101: switch it off"):
        services.course_retire(organization=cast.org, actor=actor(cast.official), course=course)


def test_a_prerequisite_must_be_published_first(cast: Cast) -> None:
    draft = make.course(cast.org, "SEC-101", status=Course.Status.DRAFT)
    later = make.course(cast.org, "SEC-201", status=Course.Status.DRAFT)
    later.prerequisites.set([draft])

    with pytest.raises(services.PublishRefused) as refused:
        services.course_publish(organization=cast.org, actor=actor(cast.owner), course=later)

    assert refused.value.problems == [
        "Its prerequisite SEC-101 is draft: publish it first, or remove it from the prerequisites."
    ]


def test_only_an_unused_draft_is_deleted(cast: Cast) -> None:
    published = make.course(cast.org, "SEC-100")
    used = make.course(cast.org, "SEC-101", status=Course.Status.DRAFT)
    make.rule(used)
    unused = make.course(cast.org, "SEC-102", status=Course.Status.DRAFT)

    with pytest.raises(ServiceError, match="Only a draft can be deleted"):
        services.course_delete(organization=cast.org, actor=actor(cast.owner), course=published)
    with pytest.raises(ServiceError, match="It has 1 assignment rule: a course in use stays on record."):
        services.course_delete(organization=cast.org, actor=actor(cast.owner), course=used)
    services.course_delete(organization=cast.org, actor=actor(cast.owner), course=unused)

    assert sorted(Course.objects.values_list("code", flat=True)) == ["SEC-100", "SEC-101"]
    assert not Lesson.objects.filter(course_id=unused.pk).exists()
    deleted = events("training.course.deleted")[0]
    assert (deleted.changes["code"], deleted.changes["lessons"]) == (["SEC-102", None], [2, None])


# ---- prerequisites ------------------------------------------------------------------------------------------------


def test_a_cycle_of_prerequisites_is_named(cast: Cast) -> None:
    sec_101, sec_201 = make.course(cast.org, "SEC-101"), make.course(cast.org, "SEC-201")
    sec_101.prerequisites.set([sec_201])

    with pytest.raises(ServiceError) as refused:
        services.course_prerequisites_set(
            organization=cast.org, actor=actor(cast.owner), course=sec_201, prerequisites=[sec_101]
        )

    assert refused.value.message.startswith("That would make a cycle of prerequisites: SEC-201 → SEC-101 → SEC-201.")
    assert refused.value.field == "prerequisites"
    assert list(sec_201.prerequisites.all()) == []


def test_a_longer_cycle_is_named_in_order(cast: Cast) -> None:
    a, b, c = (make.course(cast.org, code) for code in ("A-1", "B-1", "C-1"))
    a.prerequisites.set([b])
    b.prerequisites.set([c])

    with pytest.raises(ServiceError, match="C-1 → A-1 → B-1 → C-1"):
        services.course_prerequisites_set(organization=cast.org, actor=actor(cast.owner), course=c, prerequisites=[a])


def test_a_course_is_not_its_own_prerequisite(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")

    with pytest.raises(ServiceError, match="SEC-101 cannot be its own prerequisite."):
        services.course_prerequisites_set(
            organization=cast.org, actor=actor(cast.owner), course=course, prerequisites=[course]
        )


def test_a_published_course_requires_only_published_courses(cast: Cast) -> None:
    published, draft = make.course(cast.org, "SEC-201"), make.course(cast.org, "SEC-101", status="draft")

    with pytest.raises(ServiceError, match="SEC-101 is not published"):
        services.course_prerequisites_set(
            organization=cast.org, actor=actor(cast.owner), course=published, prerequisites=[draft]
        )


def test_setting_prerequisites_audits_the_codes(cast: Cast) -> None:
    a, b, c = (make.course(cast.org, code) for code in ("A-1", "B-1", "C-1"))
    a.prerequisites.set([b])

    services.course_prerequisites_set(organization=cast.org, actor=actor(cast.owner), course=a, prerequisites=[c, b])

    assert sorted(a.prerequisites.values_list("code", flat=True)) == ["B-1", "C-1"]
    assert events("training.course.prerequisites_set")[0].changes == {"prerequisites": [["B-1"], ["B-1", "C-1"]]}


def test_the_prerequisite_graph_is_read_in_one_query(cast: Cast) -> None:
    courses = [make.course(cast.org, f"C-{n}") for n in range(6)]
    for first, second in zip(courses, courses[1:], strict=False):
        first.prerequisites.set([second])

    with CaptureQueriesContext(connection) as queries:
        graph, codes = services.prerequisite_edges(cast.org)

    assert len(queries) == 1
    assert graph[courses[0].pk] == {courses[1].pk}
    assert codes[courses[5].pk] == "C-5"


def test_cycle_through_finds_only_cycles_through_the_start() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["b"], "d": ["d"]}
    assert cycle_through(graph, "a") is None
    assert cycle_through(graph, "b") == ["b", "c", "b"]
    assert cycle_through(graph, "d") == ["d", "d"]


# ---- versions -----------------------------------------------------------------------------------------------------


def test_changing_a_published_lesson_raises_the_version_once(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    lesson = course.lessons.order_by("position").first()
    assert lesson is not None

    content.lesson_update(organization=cast.org, actor=actor(cast.owner), lesson=lesson, body="New text.")
    content.lesson_update(organization=cast.org, actor=actor(cast.owner), lesson=lesson, body="New text.")

    course.refresh_from_db()
    assert course.version == 2
    raised = events("training.course.version_raised")
    assert [event.changes for event in raised] == [{"version": [1, 2], "cause": [None, "training.lesson.updated"]}]


def test_every_kind_of_content_change_raises_a_published_version(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    first_lesson, second_lesson = course.lessons.order_by("position")
    question = course.questions.order_by("position").first()
    assert question is not None
    who = actor(cast.owner)

    content.lesson_create(organization=cast.org, actor=who, course=course, title="Three", body="More.")
    content.lesson_move(organization=cast.org, actor=who, lesson=second_lesson, position=1)
    content.lesson_delete(organization=cast.org, actor=who, lesson=first_lesson)
    content.question_update(organization=cast.org, actor=who, question=question, text="Which email is bait?")
    content.question_create(organization=cast.org, actor=who, course=course, text="Q3?", kind="single", choices=GOOD)
    services.course_update(organization=cast.org, actor=who, course=course, pass_mark=90)

    course.refresh_from_db()
    assert course.version == 7
    assert [lesson.title for lesson in course.lessons.order_by("position")] == ["Lesson 2", "Three"]
    assert list(course.lessons.order_by("position").values_list("position", flat=True)) == [0, 1]


def test_a_draft_keeps_version_one_and_a_title_change_keeps_the_version(cast: Cast) -> None:
    draft = make.course(cast.org, "SEC-101", status=Course.Status.DRAFT)
    published = make.course(cast.org, "SEC-102")
    lesson = draft.lessons.first()
    assert lesson is not None

    content.lesson_update(organization=cast.org, actor=actor(cast.owner), lesson=lesson, body="Changed.")
    services.course_update(organization=cast.org, actor=actor(cast.owner), course=published, title="Renamed")

    assert Course.objects.get(pk=draft.pk).version == 1
    assert Course.objects.get(pk=published.pk).version == 1
    assert not events("training.course.version_raised")


def test_a_published_course_keeps_a_lesson_and_a_question(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101", lessons=1, quiz=[("Only?", [("Yes", True), ("No", False)])])
    lesson, question = course.lessons.get(), course.questions.get()

    with pytest.raises(ServiceError, match="keeps at least one lesson"):
        content.lesson_delete(organization=cast.org, actor=actor(cast.owner), lesson=lesson)
    with pytest.raises(ServiceError, match="keeps at least one quiz question"):
        content.question_delete(organization=cast.org, actor=actor(cast.owner), question=question)
    assert Course.objects.get(pk=course.pk).version == 1


def test_a_move_out_of_range_is_refused(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    lesson = course.lessons.first()
    assert lesson is not None

    with pytest.raises(ServiceError, match="Choose a position from 1 to 2: the course has 2 lessons."):
        content.lesson_move(organization=cast.org, actor=actor(cast.owner), lesson=lesson, position=3)


def test_lesson_writes_are_audited(cast: Cast) -> None:
    course = new_course(cast)

    lesson = content.lesson_create(
        organization=cast.org, actor=actor(cast.owner), course=course, title=" Intro ", body="# Hello"
    )
    content.lesson_update(organization=cast.org, actor=actor(cast.owner), lesson=lesson, title="Welcome")

    assert lesson.title == "Intro"
    assert events("training.lesson.created")[0].changes == {
        "course": [None, "SEC-101"],
        "title": [None, "Intro"],
        "body": [None, "# Hello"],
    }
    assert events("training.lesson.updated")[0].changes == {"title": ["Intro", "Welcome"]}


@pytest.mark.parametrize(("title", "body", "message"), [("", "B", "Give the lesson a title."), ("T", " ", "empty")])
def test_a_lesson_needs_a_title_and_a_body(cast: Cast, title: str, body: str, message: str) -> None:
    course = new_course(cast)
    with pytest.raises(ServiceError, match=message):
        content.lesson_create(organization=cast.org, actor=actor(cast.owner), course=course, title=title, body=body)
    assert not Lesson.objects.exists()


# ---- sanitized rendering ------------------------------------------------------------------------------------------


def test_render_markdown_drops_scripts_and_javascript_links() -> None:
    html = render_markdown(
        "# Title\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) [ok](https://example.test/)\n\n"
        '<img src=x onerror="alert(1)">'
    )

    assert "<h1>Title</h1>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html.lower()  # the refused link stays as plain text, never as a link
    assert "<img" not in html  # raw HTML is shown as text, so no attribute of it can run
    assert html.count("<a ") == 1
    assert 'href="https://example.test/"' in html
