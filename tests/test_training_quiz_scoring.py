"""Quiz attempts as services: scoring (single and multiple choice, rounding down, the pass mark's edge), the order an
attempt stores, submitting once, unanswered questions, lessons and prerequisites before the quiz, the attempt limit
and granting more attempts."""

from __future__ import annotations

import pytest

from safeguard.core.services.errors import ServiceError
from safeguard.training.models import AttemptAnswer, Completion, Course, LessonRead, QuizAttempt
from safeguard.training.queries_learning import attempt_questions
from safeguard.training.services import quiz
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_completions_support import actor, answers, audit_count, events, learner, read_all, started


def many_questions(count: int) -> list[tuple[str, list[tuple[str, bool]]]]:
    return [(f"Question {n}", [("Right", True), ("Wrong", False)]) for n in range(count)]


def submit(cast: Cast, attempt: QuizAttempt, picked: dict[str, list[str]]) -> QuizAttempt:
    return quiz.attempt_submit(organization=cast.org, actor=actor(cast.workforce), attempt=attempt, answers=picked)


@pytest.mark.parametrize(
    ("right", "total", "expected"), [(2, 3, 66), (1, 3, 33), (0, 2, 0), (3, 3, 100), (19, 24, 79), (4, 5, 80)]
)
def test_percent_rounds_down(right: int, total: int, expected: int) -> None:
    assert quiz.percent(right, total) == expected


@pytest.mark.parametrize(
    ("total", "right", "pass_mark", "passed", "score"),
    [
        (24, 19, 80, False, 79),  # 79.16…: below the mark by less than a point
        (5, 4, 80, True, 80),  # exactly the mark passes
        (5, 4, 81, False, 80),
        (3, 2, 66, True, 66),  # 66.66… is 66, never 67
        (3, 2, 67, False, 66),
    ],
)
def test_score_and_pass_mark_edge(cast: Cast, total: int, right: int, pass_mark: int, passed: bool, score: int) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", quiz=many_questions(total), pass_mark=pass_mark)
    attempt = started(cast, who, course)

    done = submit(cast, attempt, answers(attempt, [n < right for n in range(total)]))

    assert (done.score, done.passed) == (score, passed)
    assert Completion.objects.filter(person=who, course=course).exists() is passed


def test_multiple_choice_is_right_only_with_exactly_the_correct_set(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")  # question 2: A and C right, B wrong
    question = course.questions.get(position=1)
    a, b, c = (str(choice.public_id) for choice in question.choices.order_by("position"))

    assert quiz.is_right(question, [a, c]) is True
    assert quiz.is_right(question, [a]) is False
    assert quiz.is_right(question, [a, b, c]) is False
    assert quiz.is_right(question, [b]) is False


def test_half_right_multiple_choice_fails_the_question_and_answers_are_kept(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", pass_mark=50)
    attempt = started(cast, who, course)
    picked = answers(attempt)
    multiple = course.questions.get(position=1)
    picked[str(multiple.public_id)] = picked[str(multiple.public_id)][:1]

    done = submit(cast, attempt, picked)

    assert (done.score, done.passed) == (50, True)
    rows = list(AttemptAnswer.objects.filter(attempt=done).order_by("pk"))
    assert [(row.question_text, row.correct) for row in rows] == [
        ("Which email is a phishing sign?", True),
        ("Which keep a password safe?", False),
    ]
    assert rows[1].chosen == picked[str(multiple.public_id)]
    assert events("training.attempt.submitted")[-1].changes["score"] == [None, 50]


def test_a_pass_records_an_in_app_completion_with_the_attempt(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", version=3)
    attempt = started(cast, who, course)

    done = submit(cast, attempt, answers(attempt))

    completion = Completion.objects.get(person=who, course=course)
    assert (completion.source, completion.score, completion.attempt, completion.course_version) == (
        "in_app",
        100,
        done,
        3,
    )
    assert completion.completed_at == done.submitted_at
    assert completion.recorded_by == cast.workforce


def test_a_second_submit_is_refused_and_changes_nothing(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    attempt = started(cast, who, course)
    submit(cast, attempt, answers(attempt, [False, False]))
    before = (audit_count(), AttemptAnswer.objects.count(), Completion.objects.count())

    with pytest.raises(ServiceError, match="already submitted"):
        submit(cast, attempt, answers(attempt))

    assert (audit_count(), AttemptAnswer.objects.count(), Completion.objects.count()) == before
    attempt.refresh_from_db()
    assert (attempt.score, attempt.passed) == (0, False)


def test_an_unanswered_question_is_named_and_nothing_is_written(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", quiz=many_questions(3))
    attempt = started(cast, who, course)
    picked = answers(attempt)
    third = attempt.question_order[2]
    picked[third] = []
    before = audit_count()

    with pytest.raises(ServiceError, match=r"^Answer question 3\.$") as refused:
        submit(cast, attempt, picked)

    assert refused.value.field == third
    attempt.refresh_from_db()
    assert attempt.submitted_at is None
    assert not AttemptAnswer.objects.exists()
    assert audit_count() == before


def test_two_picks_on_a_single_choice_question_or_a_foreign_choice_are_refused(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    attempt = started(cast, who, course)
    single, multiple = attempt.question_order
    picked = answers(attempt)
    both = [str(choice.public_id) for choice in course.questions.get(position=0).choices.all()]

    with pytest.raises(ServiceError, match="Question 1 takes one answer"):
        submit(cast, attempt, {**picked, single: both})
    with pytest.raises(ServiceError, match="Question 2: pick among its answers"):
        submit(cast, attempt, {**picked, multiple: both[:1]})
    assert not AttemptAnswer.objects.exists()


class Reversing:
    """Stands in for random.SystemRandom: a predictable "shuffle"."""

    def shuffle(self, items: list[object]) -> None:
        items.reverse()


def test_a_randomized_course_stores_the_shuffled_order_and_a_reload_shows_the_same(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quiz.random, "SystemRandom", Reversing)
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", randomize=True)
    by_position = list(course.questions.order_by("position"))

    attempt = started(cast, who, course)

    assert attempt.question_order == [str(q.public_id) for q in reversed(by_position)]
    multiple = by_position[1]
    assert attempt.choice_order[str(multiple.public_id)] == [
        str(c.public_id) for c in reversed(list(multiple.choices.order_by("position")))
    ]
    again = quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)
    assert again == attempt
    shown = attempt_questions(QuizAttempt.objects.get(pk=attempt.pk))
    assert [str(q.public_id) for q in shown] == attempt.question_order
    first_choices = shown[0].shown_choices  # type: ignore[attr-defined]
    assert [str(c.public_id) for c in first_choices] == attempt.choice_order[str(shown[0].public_id)]


def test_real_shuffling_stores_a_permutation_of_every_question_and_choice(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", randomize=True, quiz=many_questions(8))

    attempt = started(cast, who, course)

    assert sorted(attempt.question_order) == sorted(str(q.public_id) for q in course.questions.all())
    for question in course.questions.prefetch_related("choices"):
        stored = attempt.choice_order[str(question.public_id)]
        assert sorted(stored) == sorted(str(c.public_id) for c in question.choices.all())


def test_a_course_that_is_not_randomized_keeps_the_written_order(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", randomize=False)

    attempt = started(cast, who, course)

    assert attempt.question_order == [str(q.public_id) for q in course.questions.order_by("position")]


def test_the_quiz_opens_only_once_every_lesson_is_read(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", lessons=2)
    first, second = course.lessons.order_by("position")
    quiz.lesson_read(organization=cast.org, actor=actor(cast.workforce), person=who, lesson=first)

    with pytest.raises(ServiceError, match="Read every lesson first"):
        quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)
    assert not QuizAttempt.objects.exists()

    quiz.lesson_read(organization=cast.org, actor=actor(cast.workforce), person=who, lesson=second)
    attempt = quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)
    assert attempt.number == 1
    assert events("training.attempt.started")[-1].changes["number"] == [None, 1]


def test_reading_a_lesson_twice_records_it_once(cast: Cast) -> None:
    who = learner(cast)
    lesson = make.course(cast.org, "SEC-1", lessons=1).lessons.get()

    for _ in range(2):
        quiz.lesson_read(organization=cast.org, actor=actor(cast.workforce), person=who, lesson=lesson)

    assert LessonRead.objects.filter(person=who, lesson=lesson).count() == 1
    assert len(events("training.lesson.read")) == 1


def test_the_quiz_opens_only_once_every_prerequisite_is_completed(cast: Cast) -> None:
    who = learner(cast)
    basics = make.course(cast.org, "SEC-1", title="Security basics")
    advanced = make.course(cast.org, "SEC-2")
    advanced.prerequisites.add(basics)
    read_all(who, advanced)

    with pytest.raises(ServiceError, match="Complete the required courses first: Security basics"):
        quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=advanced)

    make.completion(who, basics)
    assert quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=advanced)


def test_a_retired_course_cannot_be_started(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", status=Course.Status.RETIRED)
    read_all(who, course)

    with pytest.raises(ServiceError, match="no longer offered"):
        quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)


def fail_once(cast: Cast, who: Person, course: Course) -> QuizAttempt:
    attempt = quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)
    return submit(cast, attempt, answers(attempt, [False, False]))


def test_the_attempt_limit_locks_the_quiz_until_more_attempts_are_granted(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", max_attempts=2)
    read_all(who, course)
    fail_once(cast, who, course)
    fail_once(cast, who, course)

    with pytest.raises(ServiceError, match="You have used all 2 attempts"):
        quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)

    cleared = quiz.attempts_grant(organization=cast.org, actor=actor(cast.official), person=who, course=course)

    assert cleared == 2
    assert list(QuizAttempt.objects.order_by("number").values_list("counts", flat=True)) == [False, False]
    event = events("training.attempts.granted")[-1]
    assert event.changes == {"course": [None, "SEC-1"], "attempts_cleared": [None, [1, 2]]}
    assert event.actor == cast.official
    third = quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)
    assert third.number == 3


def test_granting_with_no_failed_attempts_is_refused(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1")
    before = audit_count()

    with pytest.raises(ServiceError, match="has no failed attempts at SEC-1 to clear"):
        quiz.attempts_grant(organization=cast.org, actor=actor(cast.official), person=who, course=course)
    assert audit_count() == before


def test_failures_before_the_last_completion_do_not_count(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", max_attempts=1)
    read_all(who, course)
    fail_once(cast, who, course)
    make.completion(who, course)  # e.g. recorded by hand after a classroom session

    assert quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)


def test_zero_max_attempts_means_unlimited(cast: Cast) -> None:
    who = learner(cast)
    course = make.course(cast.org, "SEC-1", max_attempts=0)
    read_all(who, course)
    for _ in range(4):
        fail_once(cast, who, course)

    assert quiz.attempt_start(organization=cast.org, actor=actor(cast.workforce), person=who, course=course)
