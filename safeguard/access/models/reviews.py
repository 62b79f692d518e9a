"""Access review campaigns: a frozen snapshot of accounts, people, profiles and exceptions; findings computed
from it; a reviewer's keep-or-revoke decision per account; attestations; the evidence package."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from safeguard.access.models.accounts import AccountStatus, Classification


class ReviewCampaign(models.Model):
    class Status(models.TextChoices):
        PREPARING = "preparing", "Freezing the snapshot and computing findings"
        OPEN = "open", "Open for decisions"
        CLOSED = "closed", "Closed"
        FAILED = "failed", "Could not be prepared"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="access_reviews")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREPARING)
    all_systems = models.BooleanField(default=True)
    systems = models.ManyToManyField("access.System", blank=True, related_name="+")
    roster_as_of = models.DateField(help_text="The roster as it stood on this day.")
    inactive_days = models.PositiveSmallIntegerField(default=90)
    due_on = models.DateField()
    frozen = models.JSONField(
        default=dict, blank=True, help_text="What was frozen: snapshots per system, profiles and exceptions."
    )
    item_count = models.PositiveIntegerField(default=0)
    decided_count = models.PositiveIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent prepared.")
    failure = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    package_evidence = models.ForeignKey(
        "core.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class ReviewItem(models.Model):
    """One account as it stood when the campaign froze it, and the reviewer's decision on it."""

    class Decision(models.TextChoices):
        KEEP = "keep", "Keep"
        REVOKE = "revoke", "Revoke"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="items")
    system = models.ForeignKey("access.System", on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey("access.Account", on_delete=models.PROTECT, related_name="+")
    # Frozen copy, so the review reads the same whatever is imported later.
    username = models.CharField(max_length=200)
    display_name = models.CharField(max_length=200, blank=True)
    roles = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=8, choices=AccountStatus.choices)
    last_login_at = models.DateTimeField(null=True, blank=True)
    mfa_enabled = models.BooleanField(null=True, blank=True)
    privileged = models.BooleanField(default=False)
    classification = models.CharField(max_length=8, choices=Classification.choices)
    person = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person_snapshot = models.JSONField(
        default=dict, blank=True, help_text="The person as the roster stood: name, department, job role, status…"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewer_basis = models.CharField(max_length=20, blank=True, help_text="manager, system owner or official.")
    finding_count = models.PositiveSmallIntegerField(default=0)
    decision = models.CharField(max_length=8, choices=Decision.choices, blank=True)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    revoke_due_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, help_text="When the access was actually removed.")
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revocation_note = models.TextField(blank=True)

    class Meta:
        ordering = ["system_id", "username"]
        indexes = [
            models.Index(fields=["campaign", "reviewer", "decision"], name="reviewitem_reviewer"),
            models.Index(fields=["campaign", "system"], name="reviewitem_system"),
        ]

    def __str__(self) -> str:
        return self.username


class Finding(models.Model):
    class Kind(models.TextChoices):
        ORPHAN = "orphan", "Orphan account"
        TERMINATED_ACTIVE = "terminated_active", "Terminated but active"
        INACTIVE = "inactive", "Inactive beyond the limit"
        BEYOND_PROFILE = "beyond_profile", "Access beyond profile without a valid exception"
        EXPIRED_EXCEPTION = "expired_exception", "Expired access exception"
        PRIVILEGED_NO_MFA = "privileged_no_mfa", "Privileged account without MFA"
        SHARED_NO_OWNER = "shared_no_owner", "Shared account without an owner"
        NEVER_USED = "never_used", "Provisioned but never used"
        UNCONFIRMED_MATCH = "unconfirmed_match", "Matched by name only: unconfirmed"

    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="findings")
    item = models.ForeignKey(ReviewItem, null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=500)

    class Meta:
        ordering = ["campaign_id", "kind", "pk"]
        indexes = [models.Index(fields=["campaign", "kind"], name="finding_campaign_kind")]

    def __str__(self) -> str:
        return self.get_kind_display()


class ReviewerAttestation(models.Model):
    """A reviewer's signed statement that they reviewed every account assigned to them in the campaign."""

    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="attestations")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signature = models.ForeignKey("core.Signature", on_delete=models.PROTECT, related_name="+")
    item_count = models.PositiveIntegerField()
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "reviewer"], name="attestation_one_per_reviewer")]

    def __str__(self) -> str:
        return f"Attestation by {self.reviewer_id}"
