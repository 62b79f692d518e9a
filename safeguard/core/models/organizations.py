import uuid
from datetime import date

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from safeguard.core.roles import Perm, Role, role_has


class EmailUserManager(UserManager["User"]):
    def _create_user_object(self, username, email, password, **extra_fields):
        email = self.normalize_email(email or username)
        user = self.model(email=email, **extra_fields)
        user.password = ""
        user.set_password(password)
        return user

    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A person who signs in. Identified by email; belongs to organizations through memberships."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Secret part of the personal iCalendar feed URL; rotating it revokes old subscriptions.
    calendar_token = models.CharField(max_length=64, blank=True, default="")
    # Whether the feed link was made in a session verified with MFA: only then may it list MFA-required orgs.
    calendar_token_mfa_verified = models.BooleanField(default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []  # noqa: RUF012
    objects = EmailUserManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Organization(models.Model):
    """A tenant: a covered entity, business associate, hybrid entity, or an org an MSP manages."""

    class Kind(models.TextChoices):
        COVERED_ENTITY = "covered_entity", "Covered entity"
        BUSINESS_ASSOCIATE = "business_associate", "Business associate"
        HYBRID = "hybrid", "Hybrid entity"
        MSP_MANAGED = "msp_managed", "Managed by an MSP"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=Kind.choices, default=Kind.COVERED_ENTITY)
    mfa_required = models.BooleanField(
        default=True, help_text="Members must sign in with a one-time code before seeing this organization."
    )
    # Applicability facts that decide "not applicable" verdicts (164.308(a)(4)(ii)(A), 164.314(b)).
    is_clearinghouse = models.BooleanField(
        default=False, help_text="The organization is, or contains, a health care clearinghouse."
    )
    is_group_health_plan = models.BooleanField(
        default=False, help_text="The organization is a group health plan whose plan sponsor receives ePHI."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, today: date | None = None) -> "MembershipQuerySet":
        today = today or timezone.localdate()
        return self.filter(is_active=True).filter(
            models.Q(access_ends_on__isnull=True) | models.Q(access_ends_on__gte=today)
        )


class Membership(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    access_ends_on = models.DateField(null=True, blank=True, help_text="Last day of access; required for auditors.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="membership_one_per_user_org"),
            models.CheckConstraint(
                condition=~models.Q(role=Role.AUDITOR) | models.Q(access_ends_on__isnull=False),
                name="membership_auditor_has_end_date",
            ),
        ]
        ordering = ["organization__name", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} at {self.organization}"

    def has(self, perm: Perm) -> bool:
        return role_has(self.role, perm)

    def is_current(self, today: date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.is_active and (self.access_ends_on is None or self.access_ends_on >= today)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; it acts with its user's roles."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Created in a session verified with MFA: only such tokens reach organizations that require MFA.
    mfa_verified = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
