"""The curriculum: topics (what the Security Rule asks people to know), courses, their lessons and quiz."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Topic(models.Model):
    """A subject of training (phishing, passwords and MFA…) and the catalog citations it serves."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="training_topics")
    key = models.SlugField(max_length=40, help_text="A stable name, e.g. malicious_software.")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    citations = models.JSONField(
        default=list, blank=True, help_text="Catalog citations the topic serves, e.g. 164.308(a)(5)(ii)(B)."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="topic_key_unique")]

    def __str__(self) -> str:
        return self.name


class CourseKind(models.TextChoices):
    INITIAL = "initial", "Initial (new workforce members)"
    ANNUAL = "annual", "Annual refresher"
    ROLE_BASED = "role_based", "Role-based"
    MICRO = "micro", "Micro-lesson"
    REMEDIAL = "remedial", "Remedial"


class Delivery(models.TextChoices):
    IN_APP = "in_app", "In Safeguard (lessons and quiz)"
    EXTERNAL = "external", "External (an LMS or vendor; completions imported)"


class Course(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="courses")
    code = models.CharField(max_length=40, help_text="A short unique code, e.g. SEC-101: how files name the course.")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=CourseKind.choices)
    delivery = models.CharField(max_length=8, choices=Delivery.choices, default=Delivery.IN_APP)
    summary = models.TextField(blank=True, help_text="Markdown: what the course is about.")
    external_url = models.URLField(blank=True, help_text="For an external course: where people take it.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    topics = models.ManyToManyField(Topic, blank=True, related_name="courses")
    prerequisites = models.ManyToManyField("self", symmetrical=False, blank=True, related_name="required_by")
    pass_mark = models.PositiveSmallIntegerField(default=80, help_text="Percent of the quiz to answer correctly.")
    max_attempts = models.PositiveSmallIntegerField(
        default=3, help_text="Failed quiz attempts allowed before a program manager must grant more; 0: unlimited."
    )
    randomize = models.BooleanField(default=True, help_text="Shuffle the questions and their choices per attempt.")
    minutes = models.PositiveSmallIntegerField(default=10, help_text="About how long the course takes.")
    version = models.PositiveIntegerField(default=1, help_text="Raised each time published content changes.")
    starter_key = models.CharField(
        max_length=40, blank=True, help_text="The starter course this one was installed from, if any."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["organization", "code"], name="course_code_unique")]
        indexes = [models.Index(fields=["organization", "status", "kind"], name="course_org_status_kind")]

    def __str__(self) -> str:
        return f"{self.title} ({self.code})"

    @property
    def has_quiz(self) -> bool:
        return self.delivery == Delivery.IN_APP


class Lesson(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="lessons")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown. Rendered sanitized: no scripts, no javascript: links.")

    class Meta:
        ordering = ["course_id", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "One correct answer"
        MULTIPLE = "multiple", "Several correct answers (all must be chosen)"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.TextField()
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.SINGLE)
    explanation = models.TextField(blank=True, help_text="Shown after the attempt: why the answer is right.")

    class Meta:
        ordering = ["course_id", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class Choice(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    position = models.PositiveSmallIntegerField(default=0)
    text = models.CharField(max_length=500)
    correct = models.BooleanField(default=False)

    class Meta:
        ordering = ["question_id", "position", "pk"]

    def __str__(self) -> str:
        return self.text[:80]
