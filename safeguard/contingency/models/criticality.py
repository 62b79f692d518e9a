"""The applications and data criticality analysis (164.308(a)(7)(ii)(E)): per asset, the business functions it
supports, its tier and its recovery objectives; dependencies between assets give the recovery order. An approval
signs the whole analysis as it stood, so a later change to an objective shows as not yet approved."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Tier(models.IntegerChoices):
    PATIENT_SAFETY = 1, "Tier 1: patient safety, within hours"
    CRITICAL = 2, "Tier 2: critical operations, within a day"
    IMPORTANT = 3, "Tier 3: important, within days"
    DEFERRABLE = 4, "Tier 4: can wait weeks"


class RecoveryProfile(models.Model):
    """One asset's place in the criticality analysis. Objectives are whole minutes: RPO is the data age the
    organization can lose, RTO the time to restore service, MTD the downtime after which harm is unacceptable."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    asset = models.OneToOneField("risk.Asset", on_delete=models.PROTECT, related_name="recovery_profile")
    in_scope = models.BooleanField(default=True, help_text="Out of scope: holds no ePHI and supports no function.")
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    business_functions = models.TextField(help_text="What the organization cannot do while it is down.")
    mtd_minutes = models.PositiveIntegerField(help_text="Maximum tolerable downtime.")
    rto_minutes = models.PositiveIntegerField(help_text="Recovery time objective.")
    rpo_minutes = models.PositiveIntegerField(help_text="Recovery point objective: the data age that may be lost.")
    manual_workarounds = models.TextField(blank=True, help_text="How work goes on while it is down.")
    # Blank: the cadence the organization's settings give the tier.
    restore_test_cadence = models.CharField(max_length=16, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["tier", "asset__name"]
        indexes = [models.Index(fields=["organization", "tier"], name="recovery_profile_org_tier")]
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__gte=1, tier__lte=4), name="recovery_profile_tier_1_4"),
            models.CheckConstraint(
                condition=models.Q(rto_minutes__lte=models.F("mtd_minutes")), name="recovery_profile_rto_within_mtd"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset} (tier {self.tier})"


class AssetDependency(models.Model):
    """`asset` needs `depends_on` running first: recovery restores `depends_on` before `asset`."""

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    asset = models.ForeignKey("risk.Asset", on_delete=models.PROTECT, related_name="recovery_dependencies")
    depends_on = models.ForeignKey("risk.Asset", on_delete=models.PROTECT, related_name="recovery_dependents")
    note = models.CharField(max_length=200, blank=True, help_text="What it needs, e.g. 'authentication'.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset__name", "depends_on__name"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "depends_on"], name="asset_dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(asset=models.F("depends_on")), name="asset_dependency_not_itself"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset} needs {self.depends_on}"


class CriticalityApproval(models.Model):
    """A signed approval of the analysis: `content` is what was signed (every in-scope profile and dependency as
    they stood), so the tracker can tell which profiles changed or appeared since."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    signature = models.OneToOneField("core.Signature", on_delete=models.PROTECT, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(default=timezone.now)
    content = models.JSONField(help_text="The profiles and dependencies as signed.")
    content_sha256 = models.CharField(max_length=64)
    next_review_on = models.DateField()
    statement = models.TextField(blank=True)

    class Meta:
        ordering = ["-approved_at"]
        get_latest_by = "approved_at"
        indexes = [models.Index(fields=["organization", "-approved_at"], name="criticality_approval_org")]

    def __str__(self) -> str:
        return f"Criticality analysis approved {self.approved_at:%Y-%m-%d}"
