"""The training records an organization archive carries, references first."""

from safeguard.core.portability.registry import register
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    Acknowledgement,
    AckRequest,
    Assignment,
    AssignmentRule,
    AttemptAnswer,
    Choice,
    Completion,
    Course,
    Lesson,
    LessonRead,
    PhishingCampaign,
    PhishingResult,
    Question,
    QuizAttempt,
    ReminderDelivery,
    SecurityReminder,
    Topic,
    TrainingSettings,
)

register(TrainingSettings, "organization")
register(Topic, "organization")
register(Course, "organization")
register(Course.topics.through, "course__organization")
register(Course.prerequisites.through, "from_course__organization")
register(Lesson, "organization")
register(Question, "organization")
register(Choice, "question__organization")
register(AssignmentRule, "organization")
register(QuizAttempt, "organization")
register(AttemptAnswer, "organization")
register(LessonRead, "organization")
register(Completion, "organization")
register(Assignment, "organization")
register(PhishingCampaign, "organization")
register(PhishingResult, "organization")
register(SecurityReminder, "organization")
register(SecurityReminder.topics.through, "securityreminder__organization")
register(ReminderDelivery, "organization")
register(AckDocument, "organization")
register(AckDocumentVersion, "organization")
register(AckRequest, "organization")
register(Acknowledgement, "organization")
