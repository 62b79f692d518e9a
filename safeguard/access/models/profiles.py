"""Role profiles (minimum necessary access per job) and the exceptions granted beyond them."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class RoleProfile(models.Model):
    """What a job role in a department may hold. A blank department or job role matches any: a person gets the
    union of every profile that matches them."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="role_profiles")
    name = models.CharField(max_length=200)
    department = models.CharField(max_length=100, blank=True, help_text="Blank: every department.")
    job_role = models.CharField(max_length=100, blank=True, help_text="Blank: every job role.")
    requires_clearance = models.BooleanField(
        default=False, help_text="People in this profile need a clearance result before their first access."
    )
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "department", "job_role"], name="profile_one_per_job"),
            models.UniqueConstraint(fields=["organization", "name"], name="profile_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ProfileGrant(models.Model):
    """One system role a profile allows. Role "*" allows any role of the system that is not privileged."""

    profile = models.ForeignKey(RoleProfile, on_delete=models.CASCADE, related_name="grants")
    system = models.ForeignKey("access.System", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=200)
    privileged = models.BooleanField(default=False, help_text="The role is privileged (administrative).")

    class Meta:
        ordering = ["system_id", "role"]
        constraints = [models.UniqueConstraint(fields=["profile", "system", "role"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.role} on {self.system_id}"


class AccessException(models.Model):
    """Access beyond a person's profile: justified, approved by their manager or the security official, and
    expiring."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        REVOKED = "revoked", "Revoked"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="access_exceptions")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="access_exceptions")
    system = models.ForeignKey("access.System", on_delete=models.PROTECT, related_name="exceptions")
    role = models.CharField(max_length=200)
    privileged = models.BooleanField(default=False)
    justification = models.TextField()
    expires_on = models.DateField(help_text="Last day the exception is in force.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["organization", "status", "expires_on"], name="exception_org_status")]

    def __str__(self) -> str:
        return f"Exception: {self.role} on {self.system_id} for {self.person_id}"
