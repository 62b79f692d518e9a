"""The effectiveness figures on hand-made records: timeliness overall and per department, quiz scores and
first-attempt pass rates, the most-missed questions, the latest campaigns' rates, pending acknowledgements."""

from __future__ import annotations

from datetime import timedelta

from safeguard.core.models import User
from safeguard.training import queries_effectiveness as q
from safeguard.training.checks_common import window_start
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    Acknowledgement,
    AckRequest,
    Assignment,
    AttemptAnswer,
    Course,
    PhishingCampaign,
    PhishingOutcome,
    Question,
    QuizAttempt,
    ReminderDelivery,
    SecurityReminder,
)
from safeguard.training.queries_assignments import department_overview
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_support import TODAY, ago, at

Done, Open = Assignment.Status.COMPLETED, Assignment.Status.OPEN


def attempt(
    who: Person,
    course: Course,
    user: User,
    *,
    number: int = 1,
    score: int | None = 80,
    days_ago: int = 10,
    **values: object,
) -> QuizAttempt:
    values.setdefault("passed", None if score is None else score >= course.pass_mark)
    return QuizAttempt.objects.create(
        organization=who.organization,
        person=who,
        course=course,
        user=user,
        number=number,
        score=score,
        submitted_at=None if score is None else at(ago(days_ago)),
        **values,
    )


def answers(target: QuizAttempt, question: Question, right: int, wrong: int) -> None:
    for correct in [True] * right + [False] * wrong:
        AttemptAnswer.objects.create(
            organization=target.organization,
            attempt=target,
            question=question,
            question_text=question.text,
            correct=correct,
        )


# ---- timeliness --------------------------------------------------------------------------------------------------


def test_timeliness_counts_on_time_late_and_open_in_the_window(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    nurses = [make.person(cast.org, f"N-{n}") for n in range(4)]
    clerk = make.person(cast.org, "C-1", department="Billing")
    blank = make.person(cast.org, "X-1", department="")
    make.assignment(nurses[0], course, due_on=ago(10), status=Done, completed_on=ago(12))  # on time
    make.assignment(nurses[1], course, due_on=ago(10), status=Done, completed_on=ago(10))  # on the day: on time
    make.assignment(nurses[2], course, due_on=ago(20), status=Done, completed_on=ago(17))  # 3 days late
    make.assignment(nurses[3], course, due_on=ago(364), status=Done, completed_on=ago(358))  # 6 days late
    make.assignment(clerk, course, due_on=ago(1))  # open, overdue
    make.assignment(blank, course, due_on=ago(5), status=Assignment.Status.EXCUSED)
    make.assignment(blank, course, due_on=ago(6), status=Assignment.Status.CANCELLED)
    other = make.course(cast.org, "SEC-2")
    make.assignment(clerk, other, due_on=TODAY)  # due today: not in the window yet
    make.assignment(blank, other, due_on=ago(365), status=Done, completed_on=ago(300))  # before the window

    overall = q.assignment_timeliness(cast.org, TODAY)
    assert (overall.due, overall.on_time, overall.late, overall.open_overdue) == (5, 2, 2, 1)
    assert (overall.completion_rate, overall.on_time_rate, overall.avg_days_late) == (80, 40, 4.5)

    rows = {row.label: row for row in q.timeliness_by_department(cast.org, TODAY)}
    assert list(rows) == ["Billing", "Nursing"]
    assert (rows["Billing"].due, rows["Billing"].open_overdue, rows["Billing"].on_time_rate) == (1, 1, 0)
    assert (rows["Nursing"].due, rows["Nursing"].late, rows["Nursing"].avg_days_late) == (4, 2, 4.5)


def test_timeliness_rates_round_down_like_the_checks(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    for n in range(3):
        done = ago(12) if n < 2 else ago(5)  # two on time, one late: 66.67% on time
        make.assignment(make.person(cast.org, f"E-{n}"), course, due_on=ago(10), status=Done, completed_on=done)
    overall = q.assignment_timeliness(cast.org, TODAY)
    assert (overall.on_time_rate, overall.completion_rate) == (66, 100)


def test_departments_merge_spellings_and_agree_with_the_departments_page(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    upper, lower = make.person(cast.org, "E-1", department="ICU"), make.person(cast.org, "E-2", department="icu")
    make.person(cast.org, "E-3", department="ICU")
    make.assignment(upper, course, due_on=ago(10), status=Done, completed_on=ago(12))
    make.assignment(lower, course, due_on=ago(10), status=Done, completed_on=ago(4))
    make.assignment(lower, make.course(cast.org, "SEC-2"), due_on=ago(2))
    [row] = q.timeliness_by_department(cast.org, TODAY)
    [page_row] = [r for r in department_overview(cast.org, TODAY) if r.due_in_window]
    assert (row.label, row.due, row.on_time, row.late, row.open_overdue) == ("ICU", 3, 1, 1, 1)
    assert (row.on_time_rate, row.avg_days_late) == (33, 6.0)
    assert (page_row.department, page_row.due_in_window, page_row.on_time, page_row.on_time_rate) == ("ICU", 3, 1, 33)


def test_the_window_is_the_365_days_ending_today(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    who = make.person(cast.org, "E-1")
    make.assignment(who, course, due_on=ago(364), status=Done, completed_on=ago(364))  # the window's first day
    make.assignment(who, make.course(cast.org, "SEC-2"), due_on=ago(365), status=Done, completed_on=ago(365))
    make.assignment(who, make.course(cast.org, "SEC-3"), due_on=TODAY)  # due today: not fallen due yet
    assert window_start(TODAY) == ago(364)
    assert q.assignment_timeliness(cast.org, TODAY).due == 1
    [row] = department_overview(cast.org, TODAY)
    assert row.due_in_window == 1


def test_a_blank_department_reads_none_and_empty_windows_have_no_rates(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.assignment(make.person(cast.org, "X-1", department=""), course, due_on=ago(3))
    assert [row.label for row in q.timeliness_by_department(cast.org, TODAY)] == ["(none)"]
    empty = q.assignment_timeliness(cast.other_org, TODAY)
    assert (empty.due, empty.completion_rate, empty.avg_days_late) == (0, None, None)


def test_people_timeliness_counts_each_reason_once(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    fine = make.person(cast.org, "E-1")
    make.completion(fine, course, at=at(ago(3)))
    both = make.person(cast.org, "E-2", name="Bo Both")
    make.assignment(both, course, due_on=ago(2))  # overdue …
    make.assignment(
        both, make.course(cast.org, "SEC-2"), due_on=ago(30), status=Done, completed_on=ago(20)
    )  # … and late: counted as overdue
    late = make.person(cast.org, "E-3", name="Lee Late")
    make.assignment(late, course, due_on=ago(30), status=Done, completed_on=ago(20))
    make.completion(late, course, at=at(ago(20)))
    make.person(cast.org, "E-4", name="Nia None")
    found = q.people_timeliness(cast.org, TODAY)
    assert (found.active, found.on_time, found.overdue, found.late, found.nothing_recent) == (4, 1, 1, 1, 1)
    assert [p.full_name for p in found.not_on_time] == ["Bo Both", "Lee Late", "Nia None"]
    assert found.rate == 25
    assert not found.meets(25 + 1) and found.meets(25)


def test_the_on_time_rate_rounds_down_so_it_agrees_with_the_check(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    for n in range(19):
        make.completion(make.person(cast.org, f"E-{n:02}"), course, at=at(ago(3)))
    make.person(cast.org, "E-99")  # 19 of 20 on time would be 95%: add 1 of 21 more
    make.person(cast.org, "E-98")
    found = q.people_timeliness(cast.org, TODAY, names=False)
    assert (found.on_time, found.active) == (19, 21)
    assert found.rate == 90  # 90.48%: rounded down, never up
    assert found.meets(90) and not found.meets(91)


# ---- quizzes -----------------------------------------------------------------------------------------------------


def test_quiz_scores_average_submitted_attempts_and_first_attempt_pass_rate(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1", pass_mark=80)
    ann, bo = make.person(cast.org, "E-1"), make.person(cast.org, "E-2")
    attempt(ann, course, cast.owner, number=1, score=50)
    attempt(ann, course, cast.owner, number=2, score=100)
    attempt(bo, course, cast.owner, number=1, score=90)
    attempt(bo, course, cast.owner, number=2, score=None)  # started, not submitted
    attempt(bo, course, cast.owner, number=3, score=0, days_ago=365)  # before the window
    [row] = q.quiz_scores(cast.org, TODAY)
    assert (row.code, row.attempts, row.average_score) == ("SEC-1", 3, 80.0)
    assert (row.first_attempts, row.first_passed, row.first_pass_rate) == (2, 1, 50.0)


def test_most_missed_questions_need_five_answers_and_are_worst_first(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1", title="Security basics")
    first, second = course.questions.order_by("position")
    extra = Question.objects.create(organization=cast.org, course=course, position=3, text="Rarely asked")
    perfect = Question.objects.create(organization=cast.org, course=course, position=4, text="Always right")
    target = attempt(make.person(cast.org, "E-1"), course, cast.owner)
    answers(target, first, right=3, wrong=2)  # 40%
    answers(target, second, right=1, wrong=4)  # 80%
    answers(target, extra, right=0, wrong=4)  # only four answers
    answers(target, perfect, right=6, wrong=0)
    found = q.most_missed_questions(cast.org, TODAY)
    assert [(row.text, row.wrong, row.answers, row.miss_rate) for row in found] == [
        (second.text, 4, 5, 80.0),
        (first.text, 2, 5, 40.0),
    ]
    assert found[0].course_title == "Security basics"


def test_at_most_ten_most_missed_questions(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1", quiz=[])
    target = attempt(make.person(cast.org, "E-1"), course, cast.owner)
    for n in range(12):
        question = Question.objects.create(organization=cast.org, course=course, position=n, text=f"Q{n:02}")
        answers(target, question, right=n, wrong=5)
    assert [row.text for row in q.most_missed_questions(cast.org, TODAY)] == [f"Q{n:02}" for n in range(10)]


# ---- reminders, campaigns, acknowledgements ----------------------------------------------------------------------


def test_last_reminder_with_its_read_rate(cast: Cast) -> None:
    for days, title in ((20, "Older"), (3, "Latest")):
        reminder = SecurityReminder.objects.create(
            organization=cast.org,
            title=title,
            body="Lock your screen.",
            scheduled_for=at(ago(days)),
            status=SecurityReminder.Status.SENT,
            sent_at=at(ago(days)),
        )
    for n in range(4):
        ReminderDelivery.objects.create(
            organization=cast.org,
            reminder=reminder,
            person=make.person(cast.org, f"E-{n}"),
            read_at=at(ago(2)) if n == 0 else None,
        )
    found = q.last_reminder(cast.org)
    assert found is not None
    assert (found.title, found.sent_on, found.deliveries, found.read, found.read_rate) == ("Latest", ago(3), 4, 1, 25)
    assert q.last_reminder(cast.other_org) is None


def test_latest_campaigns_rates(cast: Cast) -> None:
    older = make.campaign(cast.org, "Older", launched_at=at(ago(60)))
    newer = make.campaign(cast.org, "Newer", launched_at=at(ago(5)))
    PhishingCampaign.objects.create(organization=cast.org, name="Not launched", source="other")
    outcomes = [
        PhishingOutcome.SENT,
        PhishingOutcome.OPENED,
        PhishingOutcome.CLICKED,
        PhishingOutcome.SUBMITTED,
        PhishingOutcome.NOT_SENT,
        PhishingOutcome.ERROR,
    ]
    for n, status in enumerate(outcomes):
        make.phishing_result(newer, f"p{n}@clinic.test", status=status, reported=n in (0, 1, 4))
    make.phishing_result(older, "a@clinic.test", status=PhishingOutcome.CLICKED)
    latest, before = q.latest_campaigns(cast.org)
    assert (latest.name, latest.sent, latest.clicked, latest.reported) == ("Newer", 4, 2, 2)
    assert (latest.click_rate, latest.report_rate) == (50.0, 50.0)
    assert (before.name, before.click_rate, before.report_rate) == ("Older", 100.0, 0.0)


def test_pending_acknowledgements(cast: Cast) -> None:
    policy = AckDocument.objects.create(organization=cast.org, title="Acceptable use", kind=AckDocument.Kind.POLICY)
    guide = AckDocument.objects.create(
        organization=cast.org, title="Lost device", kind=AckDocument.Kind.QUICK_REFERENCE
    )
    versions = [
        AckDocumentVersion.objects.create(
            organization=cast.org, document=document, number=1, body="Text", status=status
        )
        for document, status in ((policy, "published"), (guide, "published"))
    ]
    draft = AckDocumentVersion.objects.create(organization=cast.org, document=policy, number=2, body="Draft")
    people = [make.person(cast.org, f"E-{n}") for n in range(3)]
    gone = make.person(cast.org, "E-9", termination_at=at(ago(10)))
    for version in (*versions, draft):
        for who in (*people, gone):
            AckRequest.objects.create(organization=cast.org, version=version, person=who, due_on=TODAY)
    Acknowledgement.objects.create(
        organization=cast.org, version=versions[0], person=people[0], method=Acknowledgement.Method.IN_APP
    )
    for who in people:
        Acknowledgement.objects.create(
            organization=cast.org, version=versions[1], person=who, method=Acknowledgement.Method.IN_APP
        )
    assert q.pending_acknowledgements(cast.org) == {"requests": 2, "documents": 1}
    assert q.pending_acknowledgements(cast.other_org) == {"requests": 0, "documents": 0}


def test_open_assignments_of_current_people(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1")
    make.assignment(make.person(cast.org, "E-1"), course, due_on=TODAY)
    make.assignment(make.person(cast.org, "E-2", status=Person.Status.LEAVE), course, due_on=ago(1))
    make.assignment(make.person(cast.org, "E-3", termination_at=at(ago(5))), course, due_on=ago(1))
    make.assignment(make.person(cast.org, "E-4"), course, due_on=ago(1), status=Done, completed_on=ago(2))
    assert q.open_assignments(cast.org, TODAY) == {"open": 2, "overdue": 1}
    assert q.open_assignments(cast.org, TODAY + timedelta(days=1)) == {"open": 2, "overdue": 2}
