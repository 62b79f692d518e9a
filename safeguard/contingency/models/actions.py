"""Corrective actions: what a missed restore test, an exercise's lessons or an emergency activation require
doing, with an owner and a due date. One links to the risk register's risk when the finding is one."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class CorrectiveAction(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    class Origin(models.TextChoices):
        RESTORE_TEST = "restore_test", "Restore test"
        EXERCISE = "exercise", "Exercise"
        ACTIVATION = "activation", "Emergency activation"
        BACKUP = "backup", "Backup monitoring"
        OTHER = "other", "Other"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=16, choices=Origin.choices)
    restore_test = models.ForeignKey(
        "contingency.RestoreTest", null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    exercise = models.ForeignKey(
        "contingency.Exercise", null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    activation = models.ForeignKey(
        "contingency.EmergencyActivation", null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    asset = models.ForeignKey("risk.Asset", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    risk = models.ForeignKey("risk.Risk", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    completion_note = models.TextField(blank=True)
    evidence = models.ForeignKey("core.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["due_on", "title"]
        indexes = [models.Index(fields=["organization", "status", "due_on"], name="corrective_action_org_due")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="done") | models.Q(completed_on__isnull=False),
                name="corrective_action_done_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title
