"""Joiner–mover–leaver workflows: each roster change opens one, with tasks that have owners and due times."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Workflow(models.Model):
    class Kind(models.TextChoices):
        JOINER = "joiner", "Joiner"
        MOVER = "mover", "Mover"
        LEAVER = "leaver", "Leaver"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="workflows")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="workflows")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    trigger = models.CharField(max_length=200, help_text="What opened it, e.g. the roster file or SCIM.")
    changes = models.JSONField(default=dict, blank=True, help_text="For a mover: field → [before, after].")
    termination_at = models.DateTimeField(null=True, blank=True, help_text="For a leaver: the clock's start.")
    sla_hours = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="For a leaver: the disablement target in force when it opened."
    )
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        indexes = [
            models.Index(fields=["organization", "status", "kind"], name="workflow_org_status"),
            models.Index(fields=["organization", "kind", "termination_at"], name="workflow_org_leavers"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} workflow"


class WorkflowTask(models.Model):
    class Kind(models.TextChoices):
        AUTHORIZE = "authorize", "Manager authorizes access"
        CLEARANCE = "clearance", "Workforce clearance"
        ACK_SANCTION = "ack_sanction", "Acknowledges the sanction policy"
        ACK_SECURITY = "ack_security", "Acknowledges the security policies"
        TRAINING = "training", "Completes required training"
        PROVISION = "provision", "Provision access per role profile"
        CHANGE_ACCESS = "change_access", "Change access to match the new role"
        DEPROVISION = "deprovision", "Disable an account"
        RECOVER = "recover", "Recover badges, keys and devices"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        DONE = "done", "Done"
        WAIVED = "waived", "Waived with approval"
        NOT_NEEDED = "not_needed", "Not needed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    workflow = models.ForeignKey(Workflow, on_delete=models.PROTECT, related_name="tasks")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(max_length=300)
    detail = models.TextField(blank=True, help_text="What exactly to do, e.g. the roles to add and remove.")
    # What the task is about, stable across account snapshots, e.g. "account:<system id>:<username>".
    subject_key = models.CharField(max_length=300, blank=True, db_index=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    completed_at = models.DateTimeField(null=True, blank=True, help_text="When it was marked done in Safeguard.")
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    effective_at = models.DateTimeField(
        null=True, blank=True, help_text="When it actually took effect, e.g. when the account was disabled."
    )
    elapsed_seconds = models.BigIntegerField(
        null=True, blank=True, help_text="For a leaver's account: termination to disablement, measured."
    )
    note = models.TextField(blank=True)
    waiver_reason = models.TextField(blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["workflow_id", "position", "pk"]
        indexes = [models.Index(fields=["organization", "kind", "status"], name="wftask_org_kind_status")]

    def __str__(self) -> str:
        return self.title
