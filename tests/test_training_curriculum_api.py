"""The curriculum over the API: topics, courses, publish and retire, prerequisites, lessons and questions, the
starter; authorization matrices that also check nothing changed, isolation, error envelopes, audit events and flat
query counts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from safeguard.training.models import Course, Lesson, Question, Topic
from safeguard.training.services import starter
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, client_as, error_of
from tests.test_training_curriculum_support import events, starter_file

BASE = "/api/v1/orgs/clinic/training"
READERS = [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
DENIED = [("workforce", 403), ("auditor", 403), ("outsider", 404), ("anonymous", 401)]
EVIL = "Hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**"


@pytest.fixture
def course(cast: Cast) -> Course:
    return make.course(cast.org, "SEC-101", topics=[make.topic(cast.org, "phishing")])


def c_url(course: Course, rest: str = "") -> str:
    return f"{BASE}/courses/{course.public_id}/{rest}"


def first(rows: Any) -> Any:
    found = rows.order_by("position").first()
    assert found is not None
    return found


# ---- authorization ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["topics", "courses", "course", "lessons", "lesson", "questions", "question"])
@pytest.mark.parametrize(("who", "expected"), READERS)
def test_read_matrix(cast: Cast, course: Course, what: str, who: str, expected: int) -> None:
    lesson, question = first(course.lessons), first(course.questions)
    address = {
        "topics": f"{BASE}/topics/",
        "courses": f"{BASE}/courses/",
        "course": c_url(course),
        "lessons": c_url(course, "lessons/"),
        "lesson": c_url(course, f"lessons/{lesson.public_id}/"),
        "questions": c_url(course, "questions/"),
        "question": c_url(course, f"questions/{question.public_id}/"),
    }[what]

    assert client_as(cast, who).get(address).status_code == expected


@pytest.mark.parametrize(("who", "expected"), DENIED)
def test_denied_writes_change_nothing(cast: Cast, course: Course, who: str, expected: int) -> None:
    client = client_as(cast, who)
    lesson, question, topic = first(course.lessons), first(course.questions), course.topics.get()
    before = audit_count()
    choices = [{"text": "A", "correct": True}, {"text": "B", "correct": False}]

    answers = [
        client.post(f"{BASE}/topics/", {"key": "k", "name": "K"}, format="json").status_code,
        client.patch(f"{BASE}/topics/{topic.public_id}/", {"name": "Renamed"}, format="json").status_code,
        client.post(f"{BASE}/courses/", {"code": "X", "title": "X", "kind": "annual"}, format="json").status_code,
        client.patch(c_url(course), {"title": "Renamed"}, format="json").status_code,
        client.delete(c_url(course)).status_code,
        client.post(c_url(course, "retire/")).status_code,
        client.post(c_url(course, "publish/")).status_code,
        client.put(c_url(course, "prerequisites/"), {"course_ids": []}, format="json").status_code,
        client.post(c_url(course, "lessons/"), {"title": "T", "body": "B"}, format="json").status_code,
        client.patch(c_url(course, f"lessons/{lesson.public_id}/"), {"body": "X"}, format="json").status_code,
        client.delete(c_url(course, f"lessons/{lesson.public_id}/")).status_code,
        client.post(
            c_url(course, "questions/"), {"text": "Q", "kind": "single", "choices": choices}, format="json"
        ).status_code,
        client.patch(c_url(course, f"questions/{question.public_id}/"), {"text": "X"}, format="json").status_code,
        client.delete(c_url(course, f"questions/{question.public_id}/")).status_code,
        client.post(f"{BASE}/starter/").status_code,
    ]

    assert answers == [expected] * len(answers)
    course.refresh_from_db()
    assert (course.title, course.status, course.version) == ("Course SEC-101", "published", 1)
    assert (course.lessons.count(), course.questions.count(), Course.objects.count()) == (2, 2, 1)
    assert first(course.lessons).body == "# Lesson 1\n\nRead this."
    assert list(Topic.objects.values_list("name", flat=True)) == ["Phishing"]
    assert audit_count() == before


def test_another_organizations_records_are_not_found(cast: Cast, course: Course) -> None:
    theirs = make.course(cast.other_org, "SEC-101", topics=[make.topic(cast.other_org, "phishing")])
    lesson, question, topic = first(theirs.lessons), first(theirs.questions), theirs.topics.get()
    client = api_client(cast.owner)
    before = audit_count()

    for address in (
        c_url(theirs),
        c_url(theirs, "lessons/"),
        c_url(theirs, f"lessons/{lesson.public_id}/"),
        c_url(theirs, "questions/"),
        c_url(theirs, f"questions/{question.public_id}/"),
        f"{BASE}/topics/{topic.public_id}/",
    ):
        assert client.get(address).status_code == 404, address
    assert client.patch(c_url(theirs), {"title": "Mine"}, format="json").status_code == 404
    assert client.post(c_url(theirs, "retire/")).status_code == 404
    assert client.delete(c_url(theirs, f"lessons/{lesson.public_id}/")).status_code == 404
    # Their lesson under our course's address is not found either.
    assert client.get(c_url(course, f"lessons/{lesson.public_id}/")).status_code == 404
    assert audit_count() == before
    theirs.refresh_from_db()
    assert (theirs.title, theirs.status) == ("Course SEC-101", "published")


def test_records_of_another_organization_named_in_a_body_are_bad_input(cast: Cast, course: Course) -> None:
    their_topic = make.topic(cast.other_org, "phishing")
    their_course = make.course(cast.other_org, "SEC-900")
    client = api_client(cast.owner)

    topic_answer = client.patch(c_url(course), {"topic_ids": [str(their_topic.public_id)]}, format="json")
    prerequisite_answer = client.put(
        c_url(course, "prerequisites/"), {"course_ids": [str(their_course.public_id)]}, format="json"
    )

    assert topic_answer.status_code == 400
    assert error_of(topic_answer)["fields"] == {"topic_ids": ["No such topic in this organization."]}
    assert error_of(prerequisite_answer)["fields"] == {"course_ids": ["No such course in this organization."]}
    assert list(course.topics.values_list("key", flat=True)) == ["phishing"]


# ---- topics and courses -------------------------------------------------------------------------------------------


def test_topics_are_created_listed_and_changed(cast: Cast) -> None:
    client = api_client(cast.official)

    created = client.post(
        f"{BASE}/topics/", {"key": "phishing", "name": "Phishing", "citations": ["164.308(a)(5)(ii)(B)"]}, format="json"
    )
    topic_id = created.json()["public_id"]
    changed = client.patch(f"{BASE}/topics/{topic_id}/", {"name": "Phishing and scams"}, format="json")
    refused = client.post(f"{BASE}/topics/", {"key": "x", "name": "X", "citations": ["1.2.3"]}, format="json")

    assert created.status_code == 201
    assert changed.json()["name"] == "Phishing and scams"
    assert client.get(f"{BASE}/topics/").json()["results"][0]["citations"] == ["164.308(a)(5)(ii)(B)"]
    assert refused.status_code == 400
    assert error_of(refused)["fields"]["citations"][0].startswith("“1.2.3” is not a citation of the catalog")
    assert [e.action for e in events("training.topic.created")] == ["training.topic.created"]


def test_create_and_change_a_course(cast: Cast) -> None:
    topic = make.topic(cast.org, "phishing")
    client = api_client(cast.official)

    created = client.post(
        f"{BASE}/courses/",
        {"code": "SEC-101", "title": "Basics", "kind": "initial", "topic_ids": [str(topic.public_id)]},
        format="json",
    )
    body = created.json()
    changed = client.patch(f"{BASE}/courses/{body['public_id']}/", {"pass_mark": 90, "topic_ids": []}, format="json")

    assert created.status_code == 201
    assert (body["status"], body["version"], body["topics"][0]["key"]) == ("draft", 1, "phishing")
    assert (changed.json()["pass_mark"], changed.json()["topics"]) == (90, [])
    assert events("training.course.updated")[0].changes == {"pass_mark": [80, 90], "topics": [["phishing"], []]}


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"pass_mark": 0}, "pass_mark", "The pass mark is a percent from 1 to 100."),
        ({"max_attempts": 25}, "max_attempts", "Allow from 0 (no limit) to 20 failed attempts."),
        ({"delivery": "external"}, "external_url", "Give the address where people take this external course"),
    ],
)
def test_bad_course_values_are_named(cast: Cast, values: dict[str, object], field: str, message: str) -> None:
    response = api_client(cast.owner).post(
        f"{BASE}/courses/", {"code": "SEC-101", "title": "Basics", "kind": "initial", **values}, format="json"
    )

    assert response.status_code == 400
    assert message in error_of(response)["fields"][field][0]
    assert not Course.objects.exists()


def test_publishing_names_the_broken_questions(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101", status="draft", quiz=[("Q?", [("A", False), ("B", False)])])

    response = api_client(cast.owner).post(c_url(course, "publish/"))

    assert response.status_code == 400
    assert "Question 1 (“Q?”): No choice is marked correct." in error_of(response)["message"]
    assert Course.objects.get(pk=course.pk).status == "draft"


def test_publish_retire_and_delete(cast: Cast) -> None:
    draft = make.course(cast.org, "SEC-101", status="draft")
    spare = make.course(cast.org, "SEC-102", status="draft")
    client = api_client(cast.owner)

    published = client.post(c_url(draft, "publish/"))
    retired = client.post(c_url(draft, "retire/"))
    refused = client.delete(c_url(draft))
    deleted = client.delete(c_url(spare))

    assert (published.json()["status"], retired.json()["status"]) == ("published", "retired")
    assert error_of(refused)["message"] == "Only a draft can be deleted: retire a published course instead."
    assert deleted.status_code == 204
    assert list(Course.objects.values_list("code", flat=True)) == ["SEC-101"]


def test_retiring_a_course_an_active_rule_assigns_is_a_400_naming_the_rule(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-101")
    rule = make.rule(course, name="New hires")
    row = make.assignment(make.person(cast.org, "N1"), course, due_on=date(2027, 3, 1))
    client = api_client(cast.owner)
    before = audit_count()

    refused = client.post(c_url(course, "retire/"))

    assert refused.status_code == 400
    assert error_of(refused)["message"].startswith("The active rule “New hires” assigns SEC-101")
    assert audit_count() == before
    rule.active = False
    rule.save(update_fields=["active"])
    retired = client.post(c_url(course, "retire/"))
    assert retired.json()["status"] == "retired"
    row.refresh_from_db()
    assert (row.status, row.close_reason) == ("cancelled", "Course retired")


def test_prerequisites_are_set_and_cycles_refused(cast: Cast, course: Course) -> None:
    later = make.course(cast.org, "SEC-201")
    client = api_client(cast.owner)

    set_ = client.put(c_url(later, "prerequisites/"), {"course_ids": [str(course.public_id)]}, format="json")
    cycle = client.put(c_url(course, "prerequisites/"), {"course_ids": [str(later.public_id)]}, format="json")

    assert [p["code"] for p in set_.json()["prerequisites"]] == ["SEC-101"]
    assert cycle.status_code == 400
    assert error_of(cycle)["fields"]["prerequisites"][0].startswith(
        "That would make a cycle of prerequisites: SEC-101 → SEC-201 → SEC-101."
    )
    assert client.get(c_url(course)).json()["required_by"][0]["code"] == "SEC-201"


# ---- lessons and questions ----------------------------------------------------------------------------------------


def test_lessons_are_added_moved_and_removed_and_rendered_sanitized(cast: Cast, course: Course) -> None:
    client = api_client(cast.owner)

    added = client.post(c_url(course, "lessons/"), {"title": "Three", "body": EVIL}, format="json")
    lesson_id = added.json()["public_id"]
    moved = client.patch(c_url(course, f"lessons/{lesson_id}/"), {"position": 1}, format="json")
    removed = client.delete(c_url(course, f"lessons/{first(course.lessons.filter(title='Lesson 2')).public_id}/"))
    listed = client.get(c_url(course, "lessons/")).json()["results"]

    assert added.status_code == 201
    html = added.json()["body_html"]
    assert "<script" not in html and 'href="javascript' not in html and "<strong>bold</strong>" in html
    assert moved.json()["position"] == 1
    assert removed.status_code == 204
    assert [(row["position"], row["title"]) for row in listed] == [(1, "Three"), (2, "Lesson 1")]
    assert Course.objects.get(pk=course.pk).version == 4  # added, moved, removed
    bad = client.patch(c_url(course, f"lessons/{lesson_id}/"), {"position": 7}, format="json")
    assert error_of(bad)["fields"] == {"position": ["Choose a position from 1 to 2: the course has 2 lessons."]}


def test_questions_show_the_correct_answers_to_readers(cast: Cast, course: Course) -> None:
    rows = api_client(cast.auditor).get(c_url(course, "questions/")).json()["results"]

    assert rows[1]["kind"] == "multiple"
    assert [(c["text"], c["correct"]) for c in rows[1]["choices"]] == [
        ("A password manager", True),
        ("A sticky note", False),
        ("MFA", True),
    ]


def test_a_question_is_added_and_its_choices_kept_by_id(cast: Cast, course: Course) -> None:
    client = api_client(cast.owner)
    created = client.post(
        c_url(course, "questions/"),
        {
            "text": "Who do you call?",
            "kind": "single",
            "explanation": "The security official handles incidents.",
            "choices": [{"text": "The security official", "correct": True}, {"text": "Nobody", "correct": False}],
        },
        format="json",
    ).json()
    right = created["choices"][0]

    changed = client.patch(
        c_url(course, f"questions/{created['public_id']}/"),
        {
            "choices": [
                {"public_id": right["public_id"], "text": "The security official", "correct": True},
                {"text": "Your manager, then the official", "correct": False},
                {"text": "Nobody", "correct": False},
            ]
        },
        format="json",
    ).json()

    assert created["position"] == 3
    assert changed["choices"][0]["public_id"] == right["public_id"]
    assert [c["text"] for c in changed["choices"]] == [
        "The security official",
        "Your manager, then the official",
        "Nobody",
    ]
    assert Course.objects.get(pk=course.pk).version == 3


@pytest.mark.parametrize(
    ("choices", "message"),
    [
        ([{"text": "A", "correct": False}, {"text": "B", "correct": False}], "No choice is marked correct."),
        ([{"text": "A", "correct": True}, {"text": "B", "correct": True}], "It takes one answer but 2 choices"),
        ([{"text": "A", "correct": True}], "Give at least 2 choices (it has 1)."),
        ([{"text": "A", "correct": True}, {"text": "a", "correct": False}], "Choices 1 and 2 both read “a”."),
    ],
)
def test_a_broken_question_is_refused(cast: Cast, course: Course, choices: list[dict[str, Any]], message: str) -> None:
    before = audit_count()

    response = api_client(cast.owner).post(
        c_url(course, "questions/"), {"text": "Which?", "kind": "single", "choices": choices}, format="json"
    )

    assert response.status_code == 400
    assert message in error_of(response)["fields"]["choices"][0]
    assert Question.objects.filter(course=course).count() == 2
    assert audit_count() == before


# ---- the starter --------------------------------------------------------------------------------------------------


def test_the_starter_installs_once(cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(starter, "STARTER_FILE", starter_file(tmp_path))
    client = api_client(cast.official)

    first_run = client.post(f"{BASE}/starter/")
    second_run = client.post(f"{BASE}/starter/")

    assert first_run.status_code == 200
    assert first_run.json()["created"] == {"topics": 2, "courses": 3, "rules": 2, "documents": 1, "reminders": 1}
    assert second_run.json()["created"] == {"topics": 0, "courses": 0, "rules": 0, "documents": 0, "reminders": 0}
    assert second_run.json()["present"]["courses"] == 3
    assert Lesson.objects.filter(course__organization=cast.org).count() == 3


def test_a_broken_starter_file_is_a_bad_request(cast: Cast, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(starter, "STARTER_FILE", starter_file(tmp_path, "topics: [{key: Bad Key, name: X}]"))

    response = api_client(cast.owner).post(f"{BASE}/starter/")

    assert response.status_code == 400
    assert "topics[1] “Bad Key”: key must be lowercase letters" in error_of(response)["message"]
    assert not Topic.objects.exists()


# ---- query counts -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["courses", "topics"])
def test_list_query_counts_do_not_grow(cast: Cast, what: str) -> None:
    topics = [make.topic(cast.org, key) for key in ("phishing", "malware")]
    client = api_client(cast.owner)

    def add(n: int) -> None:
        prerequisite = make.course(cast.org, f"P-{n:02}", lessons=1, quiz=[])
        made = make.course(cast.org, f"C-{n:02}", lessons=1, topics=topics)
        made.prerequisites.set([prerequisite])
        if what == "topics":
            make.topic(cast.org, f"t{n}")

    for n in range(3):
        add(n)
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{BASE}/{what}/").status_code == 200
    for n in range(3, 30):
        add(n)
    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{BASE}/{what}/")

    assert response.json()["count"] == (60 if what == "courses" else 32)
    assert len(many) == len(few)


def test_question_list_query_count_does_not_grow(cast: Cast) -> None:
    client = api_client(cast.owner)
    small = make.course(cast.org, "S-1", quiz=[("Q?", [("A", True), ("B", False)])])
    big = make.course(cast.org, "B-1", quiz=[(f"Q{n}?", [("A", True), ("B", False), ("C", False)]) for n in range(20)])

    with CaptureQueriesContext(connection) as few:
        client.get(c_url(small, "questions/"))
    with CaptureQueriesContext(connection) as many:
        client.get(c_url(big, "questions/"))

    assert len(many) == len(few)
