"""The workforce roster: the people HIPAA counts as workforce, whether or not they use Safeguard."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone


def default_time_zone() -> str:
    """The installation's zone: how times written without an offset are read until a source says otherwise."""
    return str(settings.TIME_ZONE)


class WorkerType(models.TextChoices):
    EMPLOYEE = "employee", "Employee"
    CONTRACTOR = "contractor", "Contractor"
    VOLUNTEER = "volunteer", "Volunteer"
    TRAINEE = "trainee", "Trainee"
    STUDENT = "student", "Student"


class Person(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        LEAVE = "leave", "On leave"
        TERMINATED = "terminated", "Terminated"

    class Source(models.TextChoices):
        ROSTER = "roster", "Roster import"
        SCIM = "scim", "SCIM provisioning"
        MANUAL = "manual", "Entered by hand"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="people")
    employee_id = models.CharField(max_length=64, help_text="The HR system's identifier; the roster's key.")
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True, help_text="Work email.")
    user_name = models.CharField(
        max_length=200, blank=True, help_text="The identity provider's login name (SCIM userName)."
    )
    external_id = models.CharField(max_length=255, blank=True, help_text="The provisioning client's id (SCIM).")
    department = models.CharField(max_length=100, blank=True)
    job_role = models.CharField(max_length=100, blank=True)
    manager = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    worker_type = models.CharField(max_length=16, choices=WorkerType.choices, default=WorkerType.EMPLOYEE)
    hire_date = models.DateField(null=True, blank=True)
    termination_at = models.DateTimeField(null=True, blank=True, help_text="When employment or engagement ended.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    scim_deleted = models.BooleanField(
        default=False, help_text="Deleted over SCIM: deactivated and no longer served to the client."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["family_name", "given_name", "employee_id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "employee_id"], name="person_one_per_employee_id"),
            models.UniqueConstraint(
                "organization",
                Lower("user_name"),
                condition=~models.Q(user_name=""),
                name="person_one_per_user_name",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "status"], name="person_org_status"),
            models.Index(fields=["organization", "email"], name="person_org_email"),
            models.Index(fields=["organization", "department", "job_role"], name="person_org_job"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.employee_id})"

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.given_name, self.family_name) if part) or self.employee_id


class RosterSource(models.Model):
    """Where roster files come from (an HR system's export): its column mapping and the time zone of its times."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="roster_sources")
    name = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict, blank=True, help_text="Our field → the export's column header.")
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, help_text="How to read termination times given without an offset."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="roster_source_name_unique")]

    def __str__(self) -> str:
        return self.name


class IssuedItem(models.Model):
    """A badge, key, device or token issued to a person, to be recovered when they leave."""

    class Kind(models.TextChoices):
        BADGE = "badge", "Badge"
        KEY = "key", "Key"
        DEVICE = "device", "Device"
        TOKEN = "token", "Security token"
        OTHER = "other", "Other"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="issued_items")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    label = models.CharField(max_length=200, help_text="What it is: asset tag, serial number, key number.")
    issued_on = models.DateField(null=True, blank=True)
    recovered_at = models.DateTimeField(null=True, blank=True)
    recovered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["person_id", "kind", "label"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.label}"


class Clearance(models.Model):
    """A workforce clearance procedure's result (164.308(a)(3)(ii)(B)), e.g. a background check."""

    class Result(models.TextChoices):
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        PENDING = "pending", "Pending"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="clearances")
    kind = models.CharField(max_length=100, default="Background check")
    result = models.CharField(max_length=8, choices=Result.choices)
    completed_on = models.DateField(null=True, blank=True, help_text="When the result came back.")
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-completed_on", "-recorded_at"]

    def __str__(self) -> str:
        return f"{self.kind}: {self.get_result_display()}"


class Authorization(models.Model):
    """A record that someone with authority approved a person's access to ePHI (164.308(a)(3)(ii)(A))."""

    class Basis(models.TextChoices):
        JOINER = "joiner", "Joiner workflow approval"
        REVIEW = "review", "Access review decision"
        RECORDED = "recorded", "Recorded by hand"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="authorizations")
    basis = models.CharField(max_length=8, choices=Basis.choices)
    authorized_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    authorized_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-authorized_at"]

    def __str__(self) -> str:
        return f"Authorization of {self.person_id} by {self.authorized_by_id}"


class WorkforceSettings(models.Model):
    organization = models.OneToOneField(
        "core.Organization", on_delete=models.PROTECT, related_name="workforce_settings"
    )
    leaver_sla_hours = models.PositiveSmallIntegerField(
        default=24, help_text="Hours from termination within which every account must be disabled."
    )
    joiner_due_days = models.PositiveSmallIntegerField(default=14)
    mover_due_days = models.PositiveSmallIntegerField(default=7)

    def __str__(self) -> str:
        return f"Workforce settings of {self.organization_id}"


class ScimToken(models.Model):
    """A bearer token an identity provider or HR system uses to provision this organization's people over SCIM."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="scim_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
