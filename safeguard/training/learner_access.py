"""What a member reaches as a learner, with or without program permissions: the same 404 for missing and forbidden.

A member is a learner through their roster person (same email, see queries.person_for_user). A learner opens any
published course of their organization, assigned or not, never a draft or retired one; they reach only their own
quiz attempts. A certificate is reachable by the person it names and by those who may view the program.
"""

from __future__ import annotations

from uuid import UUID

from django.http import Http404

from safeguard.core.access import one_in_org, parse_public_id
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.training.models import Completion, Course, Lesson, QuizAttempt
from safeguard.training.queries import person_for_user
from safeguard.workforce.models import Person


class NotOnRoster(Exception):
    """The member has no roster person in this organization: there is no training of theirs to show."""


def learner_person(membership: Membership) -> Person:
    person = person_for_user(membership.organization, membership.user)
    if person is None:
        raise NotOnRoster
    return person


def get_course_for_learner(membership: Membership, public_id: str | UUID) -> Course:
    courses = Course.objects.filter(status=Course.Status.PUBLISHED)
    return one_in_org(courses, membership, public_id, "course")


def get_lesson_for_learner(membership: Membership, course: Course, public_id: str | UUID) -> Lesson:
    lesson = (
        Lesson.objects.filter(course=course, organization=membership.organization, public_id=parse_public_id(public_id))
        .select_related("course")
        .first()
    )
    if lesson is None:
        raise Http404("No such lesson.")
    return lesson


def get_attempt_for_learner(membership: Membership, person: Person, public_id: str | UUID) -> QuizAttempt:
    attempts = QuizAttempt.objects.filter(person=person).select_related("course", "person")
    return one_in_org(attempts, membership, public_id, "quiz attempt")


def get_certificate_completion_for_user(membership: Membership, public_id: str | UUID) -> Completion:
    """A completion whose certificate the member may read: their own, or any when they may view the program."""
    completion = one_in_org(
        Completion.objects.select_related("person", "course", "organization"), membership, public_id, "certificate"
    )
    if membership.has(Perm.VIEW_PROGRAM):
        return completion
    person = person_for_user(membership.organization, membership.user)
    if person is None or completion.person_id != person.pk:
        raise Http404("No such certificate.")
    return completion
