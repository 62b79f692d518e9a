"""Recovery commitments of business associates that run an asset: what they state (RTO/RPO), the evidence, and
when it was last verified. A stated objective looser than ours is a gap. The business associate is named here
until business associates get their own module."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class VendorRecovery(models.Model):
    class EvidenceKind(models.TextChoices):
        CONTRACT = "contract", "Contract / BAA clause"
        REPORT = "report", "Audit report (e.g. SOC 2)"
        ATTESTATION = "attestation", "Written attestation"
        TEST_RESULT = "test_result", "Their restore test result"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    asset = models.OneToOneField("risk.Asset", on_delete=models.PROTECT, related_name="vendor_recovery")
    business_associate = models.CharField(max_length=200)
    stated_rto_minutes = models.PositiveIntegerField(null=True, blank=True)
    stated_rpo_minutes = models.PositiveIntegerField(null=True, blank=True)
    evidence_kind = models.CharField(max_length=16, choices=EvidenceKind.choices, blank=True)
    evidence = models.ForeignKey("core.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    verified_on = models.DateField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["business_associate", "asset__name"]

    def __str__(self) -> str:
        return f"{self.business_associate} for {self.asset}"
