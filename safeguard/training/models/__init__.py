from safeguard.training.models.acknowledgements import AckDocument, AckDocumentVersion, Acknowledgement, AckRequest
from safeguard.training.models.assignments import (
    ROSTER_AUDIENCES,
    Assignment,
    AssignmentRule,
    AudienceKind,
    Cadence,
)
from safeguard.training.models.completions import AttemptAnswer, Completion, LessonRead, QuizAttempt
from safeguard.training.models.curriculum import Choice, Course, CourseKind, Delivery, Lesson, Question, Topic
from safeguard.training.models.phishing import PhishingCampaign, PhishingOutcome, PhishingResult
from safeguard.training.models.reminders import ReminderDelivery, SecurityReminder
from safeguard.training.models.settings import TrainingSettings

__all__ = [
    "ROSTER_AUDIENCES",
    "AckDocument",
    "AckDocumentVersion",
    "AckRequest",
    "Acknowledgement",
    "Assignment",
    "AssignmentRule",
    "AttemptAnswer",
    "AudienceKind",
    "Cadence",
    "Choice",
    "Completion",
    "Course",
    "CourseKind",
    "Delivery",
    "LessonRead",
    "Lesson",
    "PhishingCampaign",
    "PhishingOutcome",
    "PhishingResult",
    "Question",
    "QuizAttempt",
    "ReminderDelivery",
    "SecurityReminder",
    "Topic",
    "TrainingSettings",
]
