"""Completions of courses (in Safeguard, imported from an LMS, or recorded by hand) and quiz attempts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Completion(models.Model):
    class Source(models.TextChoices):
        IN_APP = "in_app", "Completed in Safeguard"
        IMPORT = "import", "Imported from an LMS file"
        MANUAL = "manual", "Recorded by hand"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="training_completions")
    course = models.ForeignKey("training.Course", on_delete=models.PROTECT, related_name="completions")
    completed_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Percent, when there was a quiz.")
    source = models.CharField(max_length=8, choices=Source.choices)
    course_version = models.PositiveIntegerField(default=1)
    attempt = models.OneToOneField(
        "training.QuizAttempt", null=True, blank=True, on_delete=models.PROTECT, related_name="completion"
    )
    file_import = models.ForeignKey(
        "core.FileImport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    external_reference = models.CharField(max_length=200, blank=True, help_text="The LMS's record id, if given.")
    evidence = models.ForeignKey(
        "core.Evidence",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="A certificate or sign-in sheet from elsewhere, for one recorded by hand.",
    )
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["person", "course", "completed_at"], name="completion_once_per_moment")
        ]
        indexes = [
            models.Index(fields=["organization", "course", "completed_at"], name="completion_org_course_at"),
            models.Index(fields=["organization", "person", "course"], name="completion_org_person_course"),
            models.Index(fields=["organization", "completed_at"], name="completion_org_at"),
        ]

    def __str__(self) -> str:
        return f"Completion of {self.course_id} by {self.person_id}"


class QuizAttempt(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="quiz_attempts")
    course = models.ForeignKey("training.Course", on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveSmallIntegerField(help_text="1 for the person's first attempt at this course.")
    course_version = models.PositiveIntegerField(default=1)
    # The order this attempt shows: question public ids, and per question its choices' public ids.
    question_order = models.JSONField(default=list)
    choice_order = models.JSONField(default=dict)
    started_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Percent of questions right.")
    passed = models.BooleanField(null=True, blank=True)
    counts = models.BooleanField(
        default=True, help_text="Counts against the attempt limit; cleared when more attempts are granted."
    )

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["person", "course", "number"], name="attempt_number_unique")]
        indexes = [models.Index(fields=["organization", "course", "submitted_at"], name="attempt_org_course_at")]

    def __str__(self) -> str:
        return f"Attempt {self.number} at {self.course_id} by {self.person_id}"


class AttemptAnswer(models.Model):
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="answers")
    # Kept when a question is later removed from the course: the attempt still reads as it was.
    question = models.ForeignKey(
        "training.Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    question_text = models.TextField()
    chosen = models.JSONField(default=list, help_text="Public ids of the choices picked.")
    correct = models.BooleanField()

    class Meta:
        ordering = ["attempt_id", "pk"]
        indexes = [models.Index(fields=["organization", "question", "correct"], name="answer_org_question")]

    def __str__(self) -> str:
        return f"Answer in attempt {self.attempt_id}"


class LessonRead(models.Model):
    """A person read a lesson: the quiz opens once every lesson of the course is read."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="+")
    lesson = models.ForeignKey("training.Lesson", on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["person", "lesson"], name="lesson_read_once")]

    def __str__(self) -> str:
        return f"{self.person_id} read {self.lesson_id}"
