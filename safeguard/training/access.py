"""One access function per protected training record: tenant-scoped, the same 404 for missing and forbidden.

Program records (courses, rules, assignments, completions, campaigns, reminders, documents): view-program to
read, manage-program to change. What a workforce member may reach about themselves (their assignments, the
courses they take, their certificates, reminders and documents to acknowledge) is decided in learner_access.py.
"""

from __future__ import annotations

from uuid import UUID

from safeguard.core.access import one_in_org, require_program
from safeguard.core.models import Membership
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    Assignment,
    AssignmentRule,
    Completion,
    Course,
    Lesson,
    PhishingCampaign,
    PhishingResult,
    Question,
    SecurityReminder,
    Topic,
)


def get_topic_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Topic:
    require_program(membership, write)
    return one_in_org(Topic.objects.all(), membership, public_id, "topic")


def get_course_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Course:
    require_program(membership, write)
    return one_in_org(Course.objects.all(), membership, public_id, "course")


def get_lesson_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Lesson:
    require_program(membership, write)
    return one_in_org(Lesson.objects.select_related("course"), membership, public_id, "lesson")


def get_question_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Question:
    require_program(membership, write)
    return one_in_org(
        Question.objects.select_related("course").prefetch_related("choices"), membership, public_id, "question"
    )


def get_rule_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> AssignmentRule:
    require_program(membership, write)
    return one_in_org(AssignmentRule.objects.select_related("course"), membership, public_id, "assignment rule")


def get_assignment_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Assignment:
    require_program(membership, write)
    return one_in_org(
        Assignment.objects.select_related("person", "course", "rule", "completion"),
        membership,
        public_id,
        "assignment",
    )


def get_completion_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Completion:
    require_program(membership, write)
    return one_in_org(
        Completion.objects.select_related("person", "course", "recorded_by"), membership, public_id, "completion"
    )


def get_campaign_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> PhishingCampaign:
    require_program(membership, write)
    return one_in_org(PhishingCampaign.objects.all(), membership, public_id, "phishing campaign")


def get_phishing_result_for_user(membership: Membership, public_id: str | UUID) -> PhishingResult:
    require_program(membership, False)
    return one_in_org(
        PhishingResult.objects.select_related("campaign", "person"), membership, public_id, "phishing result"
    )


def get_reminder_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> SecurityReminder:
    require_program(membership, write)
    return one_in_org(SecurityReminder.objects.all(), membership, public_id, "security reminder")


def get_document_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> AckDocument:
    require_program(membership, write)
    return one_in_org(AckDocument.objects.select_related("topic"), membership, public_id, "document")


def get_document_version_for_user(
    membership: Membership, public_id: str | UUID, *, write: bool = False
) -> AckDocumentVersion:
    require_program(membership, write)
    return one_in_org(AckDocumentVersion.objects.select_related("document"), membership, public_id, "document version")
