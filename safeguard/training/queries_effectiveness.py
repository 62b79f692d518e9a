"""Is the training program working? Reads the checks, the effectiveness page, the training home page, the API and
the dashboard widgets share. Every figure is aggregated in the database: the query count does not grow with the
workforce. "The last 12 months" is checks_common's window: the 365 days ending today, today included.

Timeliness per person (the 164.308(a)(5) check, the home page and the widget): an active person is on time when
- no assignment of theirs is open past its due date, and none that fell due in the last 12 months was completed
  after it; and
- they completed some course in the last 12 months, or hold an open assignment not yet due (a new hire inside their
  window).
Excused and cancelled assignments count for nothing.

Timeliness per assignment (the effectiveness page, overall and per department): the assignments that fell due in
the last 12 months (due before today), excused and cancelled ones left out, are on time, late, or still open (so
overdue). The per-department figures are the departments page's rows (queries_assignments.department_overview), so
both pages agree.

Rates judged against a threshold (on time, completed) are whole percents rounded down, as the checks judge them
(checks_common.whole_percent); so are reminder read rates, as on the reminder pages. Rates no threshold judges (quiz
scores and pass rates, missed answers, phishing clicks and reports) keep one decimal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    OuterRef,
    Q,
)
from django.db.models.functions import Cast
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.training.checks_common import NAMED, PERSON_ORDER, day_start, meets, whole_percent, window_start
from safeguard.training.models import (
    AckDocumentVersion,
    Acknowledgement,
    AckRequest,
    Assignment,
    AttemptAnswer,
    Completion,
    PhishingCampaign,
    PhishingOutcome,
    QuizAttempt,
    ReminderDelivery,
    SecurityReminder,
)
from safeguard.training.queries import active_people
from safeguard.training.queries_assignments import DepartmentRow, department_overview, overview_total
from safeguard.workforce.models import Person

OPEN, COMPLETED = Assignment.Status.OPEN, Assignment.Status.COMPLETED
MIN_ANSWERS = 5  # a question needs this many answers before its miss rate means anything
MOST_MISSED = 10
NOT_DELIVERED = (PhishingOutcome.NOT_SENT, PhishingOutcome.ERROR)
CLICKED = (PhishingOutcome.CLICKED, PhishingOutcome.SUBMITTED)


def rate(part: int, whole: int) -> float | None:
    """A share in percent with one decimal, or None when there is nothing to divide by: only for figures no threshold
    judges (use checks_common.whole_percent for those a threshold does)."""
    return round(100 * part / whole, 1) if whole else None


# ---- timeliness per person ---------------------------------------------------------------------------------------


def _overdue(today: date) -> Exists:
    return Exists(Assignment.objects.filter(person=OuterRef("pk"), status=OPEN, due_on__lt=today))


def _completed_late(today: date) -> Exists:
    return Exists(
        Assignment.objects.filter(
            person=OuterRef("pk"),
            status=COMPLETED,
            due_on__gte=window_start(today),
            due_on__lt=today,
            completed_on__gt=F("due_on"),
        )
    )


def _recent_completion(today: date) -> Exists:
    return Exists(
        Completion.objects.filter(
            person=OuterRef("pk"),
            completed_at__gte=day_start(window_start(today)),
            completed_at__lt=day_start(today + timedelta(days=1)),
        )
    )


def _pending(today: date) -> Exists:
    return Exists(Assignment.objects.filter(person=OuterRef("pk"), status=OPEN, due_on__gte=today))


def on_time_filter(today: date) -> Q:
    return Q(~_overdue(today), ~_completed_late(today)) & (Q(_recent_completion(today)) | Q(_pending(today)))


@dataclass(frozen=True)
class PeopleTimeliness:
    active: int
    on_time: int
    overdue: int  # people with an assignment open past its due date
    late: int  # people with none overdue but one completed late
    nothing_recent: int  # the rest of those not on time: no completion in 365 days and nothing pending
    not_on_time: list[Person]  # the first ten, by name

    @property
    def rate(self) -> int | None:
        """The on-time rate, a whole percent rounded down: the figure the 164.308(a)(5) check judges."""
        return whole_percent(self.on_time, self.active)

    def meets(self, threshold: int) -> bool:
        return meets(self.on_time, self.active, threshold)

    @property
    def not_on_time_count(self) -> int:
        return self.active - self.on_time


def people_timeliness(organization: Organization, today: date, *, names: bool = True) -> PeopleTimeliness:
    """The active people's timeliness: one aggregate query, and one more for the first ten names."""
    people = active_people(organization)
    on_time = on_time_filter(today)
    overdue, late = _overdue(today), _completed_late(today)
    counts = people.aggregate(
        active=Count("pk"),
        on_time=Count("pk", filter=on_time),
        overdue=Count("pk", filter=Q(overdue)),
        late=Count("pk", filter=Q(~overdue, late)),
    )
    missing = counts["active"] - counts["on_time"]
    listed = list(people.exclude(on_time).order_by(*PERSON_ORDER)[:NAMED]) if names and missing else []
    return PeopleTimeliness(
        active=counts["active"],
        on_time=counts["on_time"],
        overdue=counts["overdue"],
        late=counts["late"],
        nothing_recent=missing - counts["overdue"] - counts["late"],
        not_on_time=listed,
    )


def open_assignments(organization: Organization, today: date) -> dict[str, int]:
    """Open assignments of current people (active or on leave), and how many of them are past due: one query."""
    return Assignment.objects.filter(
        organization=organization,
        status=OPEN,
        person__status__in=(Person.Status.ACTIVE, Person.Status.LEAVE),
        person__scim_deleted=False,
    ).aggregate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))


# ---- timeliness per assignment -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeliness:
    label: str
    due: int
    on_time: int
    late: int
    open_overdue: int
    avg_days_late: float | None

    @property
    def completed(self) -> int:
        return self.on_time + self.late

    @property
    def completion_rate(self) -> int | None:
        return whole_percent(self.completed, self.due)

    @property
    def on_time_rate(self) -> int | None:
        return whole_percent(self.on_time, self.due)


def _timeliness(label: str, row: DepartmentRow) -> Timeliness:
    return Timeliness(
        label=label,
        due=row.due_in_window,
        on_time=row.on_time,
        late=row.late,
        open_overdue=row.open_in_window,
        avg_days_late=row.avg_days_late,
    )


@dataclass(frozen=True)
class TimelinessReport:
    overall: Timeliness
    departments: list[Timeliness]  # only those where something fell due; blank as "(none)"


def timeliness_report(organization: Organization, today: date) -> TimelinessReport:
    """The assignments that fell due in the last 12 months, overall and per department (the departments page's
    rows): two queries."""
    rows = department_overview(organization, today)
    return TimelinessReport(
        overall=_timeliness("All", overview_total(rows)),
        departments=[_timeliness(row.department or "(none)", row) for row in rows if row.due_in_window],
    )


def assignment_timeliness(organization: Organization, today: date) -> Timeliness:
    return timeliness_report(organization, today).overall


def timeliness_by_department(organization: Organization, today: date) -> list[Timeliness]:
    return timeliness_report(organization, today).departments


# ---- quizzes -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseQuiz:
    public_id: str
    code: str
    title: str
    attempts: int
    average_score: float | None
    first_attempts: int
    first_passed: int

    @property
    def first_pass_rate(self) -> float | None:
        return rate(self.first_passed, self.first_attempts)


def quiz_scores(organization: Organization, today: date) -> list[CourseQuiz]:
    """Per course, the quiz attempts submitted in the 365 days ending today: average score, first-attempt pass
    rate. One query."""
    first = Q(number=1)
    rows = (
        QuizAttempt.objects.filter(
            organization=organization,
            submitted_at__gte=day_start(window_start(today)),
            submitted_at__lt=day_start(today + timedelta(days=1)),
        )
        .values("course__public_id", "course__code", "course__title")
        .annotate(
            attempts=Count("pk"),
            average=Avg("score"),
            first_attempts=Count("pk", filter=first),
            first_passed=Count("pk", filter=first & Q(passed=True)),
        )
        .order_by("course__title", "course__code")
    )
    return [
        CourseQuiz(
            public_id=str(row["course__public_id"]),
            code=row["course__code"],
            title=row["course__title"],
            attempts=row["attempts"],
            average_score=round(row["average"], 1) if row["average"] is not None else None,
            first_attempts=row["first_attempts"],
            first_passed=row["first_passed"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class MissedQuestion:
    text: str
    course_code: str
    course_title: str
    answers: int
    wrong: int

    @property
    def miss_rate(self) -> float | None:
        return rate(self.wrong, self.answers)


def most_missed_questions(organization: Organization, today: date) -> list[MissedQuestion]:
    """The ten questions answered wrong most often (share of wrong answers, at least five answers) in attempts
    submitted in the 365 days ending today. One query."""
    rows = (
        AttemptAnswer.objects.filter(
            organization=organization,
            question__isnull=False,
            attempt__submitted_at__gte=day_start(window_start(today)),
            attempt__submitted_at__lt=day_start(today + timedelta(days=1)),
        )
        .values("question_id", "question__text", "question__course__code", "question__course__title")
        .annotate(answers=Count("pk"), wrong=Count("pk", filter=Q(correct=False)))
        .filter(answers__gte=MIN_ANSWERS, wrong__gt=0)
        .annotate(miss=ExpressionWrapper(Cast("wrong", FloatField()) / F("answers"), output_field=FloatField()))
        .order_by("-miss", "-wrong", "question_id")[:MOST_MISSED]
    )
    return [
        MissedQuestion(
            text=row["question__text"],
            course_code=row["question__course__code"],
            course_title=row["question__course__title"],
            answers=row["answers"],
            wrong=row["wrong"],
        )
        for row in rows
    ]


# ---- reminders, phishing, acknowledgements -----------------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRead:
    title: str
    public_id: str
    sent_on: date | None
    deliveries: int
    read: int

    @property
    def read_rate(self) -> int | None:
        """Rounded down, as on the reminder pages and in the reminder check."""
        return whole_percent(self.read, self.deliveries)


def last_reminder(organization: Organization) -> ReminderRead | None:
    """The security reminder sent last, with its deliveries and read receipts: one query."""
    found = (
        SecurityReminder.objects.filter(
            organization=organization, status=SecurityReminder.Status.SENT, sent_at__isnull=False
        )
        .annotate(
            delivered=Count("deliveries"),
            read=Count("deliveries", filter=Q(deliveries__read_at__isnull=False)),
        )
        .order_by("-sent_at", "-pk")
        .first()
    )
    if found is None:
        return None
    return ReminderRead(
        title=found.title,
        public_id=str(found.public_id),
        sent_on=timezone.localdate(found.sent_at) if found.sent_at else None,
        deliveries=found.delivered,
        read=found.read,
    )


def deliveries_read(reminder_ids: list[int]) -> tuple[int, int]:
    """Deliveries of these reminders, and how many were read: one query."""
    counts = ReminderDelivery.objects.filter(reminder_id__in=reminder_ids).aggregate(
        total=Count("pk"), read=Count("pk", filter=Q(read_at__isnull=False))
    )
    return counts["total"], counts["read"]


@dataclass(frozen=True)
class CampaignRates:
    name: str
    public_id: str
    launched_on: date | None
    sent: int
    clicked: int
    reported: int

    @property
    def click_rate(self) -> float | None:
        return rate(self.clicked, self.sent)

    @property
    def report_rate(self) -> float | None:
        return rate(self.reported, self.sent)


def latest_campaigns(organization: Organization, count: int = 2) -> list[CampaignRates]:
    """The latest launched phishing campaigns, newest first, with their click and report rates: one query.
    Sent counts recipients the email reached (not "not sent" nor "sending failed"); clicked counts those who
    clicked or went on to submit data."""
    delivered = ~Q(results__status__in=NOT_DELIVERED)
    rows = (
        PhishingCampaign.objects.filter(organization=organization, launched_at__isnull=False)
        .annotate(
            sent_count=Count("results", filter=delivered),
            clicked_count=Count("results", filter=delivered & Q(results__status__in=CLICKED)),
            reported_count=Count("results", filter=delivered & Q(results__reported=True)),
        )
        .order_by("-launched_at", "-pk")[:count]
    )
    return [
        CampaignRates(
            name=row.name,
            public_id=str(row.public_id),
            launched_on=timezone.localdate(row.launched_at) if row.launched_at else None,
            sent=row.sent_count,
            clicked=row.clicked_count,
            reported=row.reported_count,
        )
        for row in rows
    ]


def pending_acknowledgements(organization: Organization) -> dict[str, int]:
    """Requests to acknowledge a published version not yet answered, of current people: how many, over how many
    documents. One query."""
    answered = Acknowledgement.objects.filter(version=OuterRef("version"), person=OuterRef("person"))
    return AckRequest.objects.filter(
        organization=organization,
        version__status=AckDocumentVersion.Status.PUBLISHED,
        person__status__in=(Person.Status.ACTIVE, Person.Status.LEAVE),
        person__scim_deleted=False,
    ).aggregate(
        requests=Count("pk", filter=~Q(Exists(answered))),
        documents=Count("version__document", filter=~Q(Exists(answered)), distinct=True),
    )
