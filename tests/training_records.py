"""One training record of each kind, made straight through the ORM, for tests that need a record to point at
(the MFA sweep). The learner's records belong to the roster person who is `user` (same email), so that person's
own pages open too. Services have their own tests; these rows only have to exist."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from safeguard.core.models import Organization, User
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    AckRequest,
    QuizAttempt,
    ReminderDelivery,
    SecurityReminder,
)
from safeguard.workforce.models import Person
from tests.training_factories import assignment, campaign, completion, course, rule, topic


def training_records(organization: Organization, user: User) -> dict[str, str]:
    """Route parameter name → public id of a training record of that kind in `organization`; `user` must already
    be a roster person there (tests/access_records.py makes one)."""
    now = timezone.now()
    person = Person.objects.get(organization=organization, email__iexact=user.email)
    subject = topic(organization, "phishing", ["164.308(a)(5)(ii)(B)"])
    taught = course(organization, "SEC-101", topics=[subject])
    lesson = taught.lessons.first()
    question = taught.questions.first()
    assert lesson is not None and question is not None
    assigned = assignment(person, taught, due_on=timezone.localdate() + timedelta(days=30), rule=rule(taught))
    attempt = QuizAttempt.objects.create(
        organization=organization,
        person=person,
        course=taught,
        user=user,
        number=1,
        question_order=[str(q.public_id) for q in taught.questions.all()],
        choice_order={str(q.public_id): [str(c.public_id) for c in q.choices.all()] for q in taught.questions.all()},
    )
    submitted = QuizAttempt.objects.create(
        organization=organization,
        person=person,
        course=taught,
        user=user,
        number=2,
        question_order=attempt.question_order,
        choice_order=attempt.choice_order,
        submitted_at=now,
        score=50,
        passed=False,
    )
    done = completion(person, taught, at=now - timedelta(days=1), score=100)
    reminder = SecurityReminder.objects.create(
        organization=organization,
        title="Lock your screen",
        body="Press Windows+L.",
        scheduled_for=now - timedelta(days=1),
        status=SecurityReminder.Status.SENT,
        sent_at=now - timedelta(days=1),
        recipients=1,
    )
    scheduled = SecurityReminder.objects.create(
        organization=organization,
        title="Report suspicious email",
        body="Use the Report button.",
        scheduled_for=now + timedelta(days=7),
        status=SecurityReminder.Status.SCHEDULED,
    )
    delivery = ReminderDelivery.objects.create(organization=organization, reminder=reminder, person=person)
    document = AckDocument.objects.create(
        organization=organization, title="Acceptable use policy", kind=AckDocument.Kind.POLICY
    )
    version = AckDocumentVersion.objects.create(
        organization=organization,
        document=document,
        number=1,
        body="Use systems for work.",
        status=AckDocumentVersion.Status.PUBLISHED,
        published_at=now - timedelta(days=1),
        published_by=user,
    )
    AckRequest.objects.create(
        organization=organization, version=version, person=person, due_on=timezone.localdate() + timedelta(days=30)
    )
    return {
        "topic_id": str(subject.public_id),
        "course_id": str(taught.public_id),
        "lesson_id": str(lesson.public_id),
        "question_id": str(question.public_id),
        "rule_id": str(assigned.rule.public_id) if assigned.rule else "",
        "assignment_id": str(assigned.public_id),
        "attempt_id": str(attempt.public_id),
        # Pages that answer only in one state: a result needs a submitted attempt, editing a reminder needs one
        # not sent yet (route_arguments in tests/test_mfa_enforcement.py picks these by route).
        "submitted_attempt_id": str(submitted.public_id),
        "scheduled_reminder_id": str(scheduled.public_id),
        "completion_id": str(done.public_id),
        "campaign_id": str(campaign(organization, "MFA sweep").public_id),
        "reminder_id": str(reminder.public_id),
        "delivery_id": str(delivery.public_id),
        "document_id": str(document.public_id),
        "version_id": str(version.public_id),
    }
