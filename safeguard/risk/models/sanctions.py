"""The sanction policy (versioned, approved, reviewed yearly) and the confidential sanctions log."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class SanctionPolicy(models.Model):
    """One version of the policy. Approving a version supersedes the one approved before it."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        APPROVED = "approved", "Approved"
        SUPERSEDED = "superseded", "Superseded"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="sanction_policies")
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200, default="Sanction policy")
    body = models.TextField(help_text="The policy text as the workforce will read it.")
    document = models.ForeignKey(
        "core.Evidence",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The signed or formatted document, when the policy also lives as a file.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    approval = models.OneToOneField(
        "core.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="sanction_policy"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    last_reviewed_at = models.DateTimeField(
        null=True, blank=True, help_text="Approval or the latest signed review, whichever is later."
    )

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "sanction policies"
        constraints = [models.UniqueConstraint("organization", "version", name="sanction_policy_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class SanctionLevel(models.TextChoices):
    COACHING = "coaching", "Coaching"
    WRITTEN_WARNING = "written_warning", "Written warning"
    RETRAINING = "retraining", "Retraining"
    SUSPENSION = "suspension", "Suspension"
    TERMINATION = "termination", "Termination"


class SanctionRecord(models.Model):
    """A sanction applied to a workforce member. Confidential: reads are audited, values never enter the trail."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="sanctions")
    # Workforce members are not always users of this system; the workforce module will link its people here.
    person_name = models.CharField(max_length=200)
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_on = models.DateField(help_text="When the violation happened.")
    decided_on = models.DateField()
    violation = models.TextField()
    policy_breached = models.CharField(max_length=200)
    # Incident records come with the incidents module; until then the incident is referenced by its number.
    incident_reference = models.CharField(max_length=100, blank=True)
    level = models.CharField(max_length=32, choices=SanctionLevel.choices)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_on", "-created_at"]
        indexes = [models.Index(fields=["organization", "decided_on"], name="sanction_org_decided")]

    def __str__(self) -> str:
        return f"Sanction {self.public_id}"
