"""Systems (ePHI assets with user accounts) and their accounts, as dated snapshots of each system's user list."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from safeguard.workforce.models.people import default_time_zone


class System(models.Model):
    """An ePHI asset of the inventory whose user accounts Safeguard tracks and reviews."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="access_systems")
    asset = models.OneToOneField("risk.Asset", on_delete=models.PROTECT, related_name="access_system")
    account_mapping = models.JSONField(default=dict, blank=True, help_text="The last committed column mapping.")
    time_zone = models.CharField(
        max_length=64, default=default_time_zone, help_text="How to read times its lists give without an offset."
    )
    inactive_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Days without a login that count as inactive; blank: the organization's."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["asset__name"]

    def __str__(self) -> str:
        return self.asset.name


class AccountSnapshot(models.Model):
    """One system's user list as of a moment: every account in it, as the file said."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="snapshots")
    taken_at = models.DateTimeField(help_text="When the list was exported: the moment it describes.")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    file_import = models.ForeignKey(
        "core.FileImport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    account_count = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=list, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_at", "-pk"]
        indexes = [models.Index(fields=["system", "-taken_at"], name="snapshot_system_taken")]

    def __str__(self) -> str:
        return f"Accounts of {self.system_id} as of {self.taken_at:%Y-%m-%d %H:%M}"


class AccountStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    DISABLED = "disabled", "Disabled"
    LOCKED = "locked", "Locked"


class Classification(models.TextChoices):
    PERSON = "person", "A person's account"
    PENDING = "pending", "Matched by name: waiting for confirmation"
    SERVICE = "service", "Service account"
    SHARED = "shared", "Shared or generic account"
    ORPHAN = "orphan", "Orphan: nobody on the roster"


class MatchMethod(models.TextChoices):
    EMPLOYEE_ID = "employee_id", "Employee id"
    EMAIL = "email", "Email"
    NAME = "name", "Name"
    MANUAL = "manual", "Set by hand"
    NONE = "", "Not matched"


class Account(models.Model):
    """One account of one snapshot, with the person it was matched to."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="+")
    snapshot = models.ForeignKey(AccountSnapshot, on_delete=models.CASCADE, related_name="accounts")
    row_number = models.PositiveIntegerField(default=0, help_text="The file's row.")
    username = models.CharField(max_length=200)
    email = models.CharField(max_length=254, blank=True)
    employee_id = models.CharField(max_length=64, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    roles = models.JSONField(default=list, blank=True, help_text="Roles and groups, as the system names them.")
    status = models.CharField(max_length=8, choices=AccountStatus.choices, default=AccountStatus.ACTIVE)
    last_login_at = models.DateTimeField(null=True, blank=True)
    mfa_enabled = models.BooleanField(null=True, blank=True)
    created_on = models.DateField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    privileged = models.BooleanField(default=False)
    person = models.ForeignKey(
        "workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    match_method = models.CharField(max_length=12, choices=MatchMethod.choices, blank=True, default="")
    classification = models.CharField(max_length=8, choices=Classification.choices)
    owner = models.ForeignKey(
        "workforce.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_accounts",
        help_text="For a shared or service account: the person answerable for it.",
    )

    class Meta:
        ordering = ["username"]
        indexes = [
            models.Index(fields=["snapshot", "username"], name="account_snapshot_username"),
            models.Index(fields=["snapshot", "classification"], name="account_snapshot_class"),
            models.Index(fields=["person"], name="account_person"),
        ]

    def __str__(self) -> str:
        return self.username

    @property
    def key(self) -> str:
        return account_key(self.system_id, self.username)

    @property
    def is_enabled(self) -> bool:
        return self.status == AccountStatus.ACTIVE


def account_key(system_id: int, username: str) -> str:
    """An account's identity across snapshots, as workflow tasks and designations refer to it."""
    return f"account:{system_id}:{username.strip().lower()}"


class AccountDesignation(models.Model):
    """What a person decided about an account name on a system, carried into every later snapshot: the person it
    belongs to (confirming a name match, or by hand), or that it is a service or shared account, and its owner."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="designations")
    username_key = models.CharField(max_length=200, help_text="The username, lower-cased.")
    person = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    classification = models.CharField(max_length=8, choices=Classification.choices)
    owner = models.ForeignKey("workforce.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["system", "username_key"], name="designation_one_per_account")]

    def __str__(self) -> str:
        return f"{self.username_key}: {self.get_classification_display()}"
