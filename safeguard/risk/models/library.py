"""The organization's editable library of threat events and vulnerabilities, seeded from our starter set."""

import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


class ThreatSource(models.TextChoices):
    """NIST SP 800-30 threat source types."""

    ADVERSARIAL = "adversarial", "Adversarial"
    ACCIDENTAL = "accidental", "Accidental"
    STRUCTURAL = "structural", "Structural (equipment, software, environment controls)"
    ENVIRONMENTAL = "environmental", "Environmental (natural or man-made disaster)"


class VulnerabilityArea(models.TextChoices):
    """Where the weakness sits, in the Security Rule's own three kinds of safeguard."""

    ADMINISTRATIVE = "administrative", "Administrative"
    PHYSICAL = "physical", "Physical"
    TECHNICAL = "technical", "Technical"


class Threat(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="threats")
    name = models.CharField(max_length=200)
    source_type = models.CharField(max_length=32, choices=ThreatSource.choices)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    seed_key = models.CharField(max_length=64, blank=True, help_text="Set on entries seeded from the starter set.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("organization", Lower("name"), name="threat_name_unique_in_org")]

    def __str__(self) -> str:
        return self.name


class Vulnerability(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="vulnerabilities")
    name = models.CharField(max_length=200)
    area = models.CharField(max_length=32, choices=VulnerabilityArea.choices)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    seed_key = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "vulnerabilities"
        constraints = [models.UniqueConstraint("organization", Lower("name"), name="vulnerability_name_unique_in_org")]

    def __str__(self) -> str:
        return self.name
