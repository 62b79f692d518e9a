"""Who must take which course by when: rules that assign courses to audiences, and the assignments they make."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class AudienceKind(models.TextChoices):
    EVERYONE = "everyone", "Everyone on the roster"
    DEPARTMENT = "department", "People in these departments"
    JOB_ROLE = "job_role", "People in these job roles"
    WORKER_TYPE = "worker_type", "People of these worker types"
    NEW_HIRES = "new_hires", "New hires"
    PRIVILEGED = "privileged", "People holding privileged access"
    PHISHING_CLICKERS = "phishing_clickers", "People who clicked in a phishing simulation"
    SANCTIONED = "sanctioned", "People named in a sanction"


# The kinds a reminder or a policy can be addressed to: the rest are events that happen to people.
ROSTER_AUDIENCES = (AudienceKind.EVERYONE, AudienceKind.DEPARTMENT, AudienceKind.JOB_ROLE, AudienceKind.WORKER_TYPE)


class Cadence(models.TextChoices):
    ONCE = "once", "Once"
    ANNUAL = "annual", "Every year from the last completion"
    CALENDAR = "calendar", "Every year by a fixed date"


class AssignmentRule(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="assignment_rules")
    name = models.CharField(max_length=200)
    course = models.ForeignKey("training.Course", on_delete=models.PROTECT, related_name="rules")
    audience = models.CharField(max_length=20, choices=AudienceKind.choices)
    audience_values = models.JSONField(
        default=list, blank=True, help_text="The departments, job roles or worker types the audience names."
    )
    cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.ONCE)
    due_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days to complete, from the hire date, the click, the sanction or the assignment."
    )
    calendar_month = models.PositiveSmallIntegerField(null=True, blank=True)
    calendar_day = models.PositiveSmallIntegerField(null=True, blank=True)
    notice_days = models.PositiveSmallIntegerField(
        default=30, help_text="For a yearly course: how many days before the due date the next round is assigned."
    )
    starts_on = models.DateField(
        help_text="Hires, clicks and sanctions from this day on are assigned; earlier ones are not."
    )
    active = models.BooleanField(default=True)
    starter_key = models.CharField(max_length=40, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="assignment_rule_name_unique")]

    def __str__(self) -> str:
        return self.name


class Assignment(models.Model):
    """One person's duty to complete one course by a date. At most one is open per person and course: when
    several rules ask for the same course, the open assignment answers all of them."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        EXCUSED = "excused", "Excused"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="training_assignments")
    course = models.ForeignKey("training.Course", on_delete=models.PROTECT, related_name="assignments")
    rule = models.ForeignKey(
        AssignmentRule, null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    reason = models.CharField(max_length=300, help_text="Why the person was assigned, e.g. “Hired 2026-03-02”.")
    # What made this round due, stable across re-evaluations: "hire", "join", "cycle:2027-01-31", "phish:<id>"…
    trigger_key = models.CharField(max_length=200, blank=True)
    window_start = models.DateField(help_text="A completion on or after this day satisfies the assignment.")
    assigned_on = models.DateField()
    due_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completion = models.ForeignKey(
        "training.Completion", null=True, blank=True, on_delete=models.PROTECT, related_name="assignments"
    )
    completed_on = models.DateField(null=True, blank=True, help_text="The completion's day, for timeliness.")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    close_reason = models.TextField(blank=True, help_text="Why it was cancelled or excused.")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who assigned it by hand; blank when a rule did.",
    )
    # Assigned because of a sanction: the reason is shown only to those who may read the sanctions log.
    confidential = models.BooleanField(default=False)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    reminded_on = models.DateField(null=True, blank=True)
    escalated_on = models.DateField(null=True, blank=True, help_text="When the manager was told it is overdue.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "course"], condition=models.Q(status="open"), name="assignment_one_open_per_course"
            )
        ]
        indexes = [
            models.Index(fields=["organization", "status", "due_on"], name="assignment_org_status_due"),
            models.Index(fields=["organization", "person", "course"], name="assignment_org_person_course"),
            models.Index(fields=["organization", "course", "status"], name="assignment_org_course_status"),
        ]

    def __str__(self) -> str:
        return f"Assignment of {self.course_id} to {self.person_id}"
