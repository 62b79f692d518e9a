"""Risk analyses and the risk register.

An analysis freezes its scope (the assets in service when it started) and its method (a copy of the
organization's RiskMethod). The register is the living set of risks: a risk is assessed by one analysis at a
time (`Risk.analysis`); when a new analysis starts, the open risks carry forward into it. On approval the
analysis keeps `approved_content`, the exact content the security official signed, so the record of what was
approved survives later changes to the register.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class RiskAnalysis(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="risk_analyses")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    method = models.JSONField(help_text="The RiskMethod as it was when the analysis started.")
    methodology = models.TextField(help_text="How this analysis was done: part of the record.")
    started_at = models.DateTimeField(default=timezone.now)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approval = models.OneToOneField(
        "core.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="risk_analysis"
    )
    approved_content = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name_plural = "risk analyses"
        indexes = [models.Index(fields=["organization", "status", "approved_at"], name="analysis_org_status")]

    def __str__(self) -> str:
        return self.title


class AnalysisScopeItem(models.Model):
    """An asset in an analysis's frozen scope, with what it was called and what kind it was at the start."""

    analysis = models.ForeignKey(RiskAnalysis, on_delete=models.CASCADE, related_name="scope_items")
    asset = models.ForeignKey("risk.Asset", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32)
    status = models.CharField(max_length=16)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("analysis", "asset", name="scope_item_unique")]

    def __str__(self) -> str:
        return self.name


class Treatment(models.TextChoices):
    NONE = "", "Not decided"
    MITIGATE = "mitigate", "Mitigate"
    ACCEPT = "accept", "Accept"
    TRANSFER = "transfer", "Transfer"
    AVOID = "avoid", "Avoid"


class RiskQuerySet(models.QuerySet["Risk"]):
    def open(self) -> "RiskQuerySet":
        return self.filter(status=Risk.Status.OPEN)


class Risk(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="risks")
    number = models.PositiveIntegerField(help_text="Shown as R-0001; numbered per organization.")
    title = models.CharField(max_length=200)
    analysis = models.ForeignKey(
        RiskAnalysis,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="risks",
        help_text="The analysis assessing it now; empty for a risk recorded between analyses.",
    )
    assets = models.ManyToManyField("risk.Asset", blank=True, related_name="risks")
    threat = models.ForeignKey("risk.Threat", null=True, blank=True, on_delete=models.PROTECT, related_name="risks")
    vulnerability = models.ForeignKey(
        "risk.Vulnerability", null=True, blank=True, on_delete=models.PROTECT, related_name="risks"
    )
    description = models.TextField(blank=True)
    existing_controls = models.TextField(blank=True)
    likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    impact = models.PositiveSmallIntegerField(null=True, blank=True)
    inherent_score = models.PositiveSmallIntegerField(null=True, blank=True)
    inherent_level = models.CharField(max_length=32, blank=True)
    planned_controls = models.TextField(blank=True)
    residual_likelihood = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_impact = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_score = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_level = models.CharField(max_length=32, blank=True)
    # The level's rank in its method (0 = lowest), so "at or above the threshold" is one indexed comparison.
    inherent_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    residual_rank = models.PositiveSmallIntegerField(null=True, blank=True)
    requirements = models.ManyToManyField("catalog.Requirement", blank=True, related_name="+")
    treatment = models.CharField(max_length=16, choices=Treatment.choices, default=Treatment.NONE, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="owned_risks"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = RiskQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [models.UniqueConstraint("organization", "number", name="risk_number_unique_in_org")]
        indexes = [
            models.Index(fields=["organization", "status", "inherent_rank"], name="risk_org_status_rank"),
            models.Index(fields=["organization", "analysis"], name="risk_org_analysis"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return f"R-{self.number:04d}"
