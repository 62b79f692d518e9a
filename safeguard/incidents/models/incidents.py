"""Security incidents (164.308(a)(6)). This first version is the record an escalated alert opens: title,
severity, owner, status and the linked alerts; response, breach risk assessment and notification come later."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class IncidentSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class IncidentStatus(models.TextChoices):
    """OCSF Incident Finding's status_id values."""

    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Incident(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="incidents")
    reference = models.CharField(max_length=20, help_text="INC-2026-0001: numbered per organization and year.")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=16, choices=IncidentSeverity.choices)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.NEW)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    is_suspected_breach = models.BooleanField(
        default=False, help_text="Unsecured PHI may have been used or disclosed: a breach risk assessment follows."
    )
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["organization", "reference"], name="incident_reference_unique")]
        indexes = [models.Index(fields=["organization", "status"], name="incident_org_status")]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"
