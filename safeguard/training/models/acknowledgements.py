"""Policies and quick-reference guides people must acknowledge, by version."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class AckDocument(models.Model):
    class Kind(models.TextChoices):
        POLICY = "policy", "Policy"
        QUICK_REFERENCE = "quick_reference", "Quick-reference guide"
        # Its versions mirror the approved versions of the sanction policy kept with the risk records.
        SANCTION_POLICY = "sanction_policy", "Sanction policy"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="ack_documents")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    topic = models.ForeignKey(
        "training.Topic", null=True, blank=True, on_delete=models.PROTECT, related_name="documents"
    )
    audience = models.CharField(max_length=20, default="everyone", help_text="One of the roster audiences.")
    audience_values = models.JSONField(default=list, blank=True)
    due_days = models.PositiveSmallIntegerField(default=30, help_text="Days people have to acknowledge a version.")
    starter_key = models.CharField(max_length=40, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "title"], name="ack_document_title_unique"),
            models.UniqueConstraint(
                fields=["organization"], condition=models.Q(kind="sanction_policy"), name="ack_one_sanction_policy"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AckDocumentVersion(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    document = models.ForeignKey(AckDocument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField(help_text="Markdown. Rendered sanitized.")
    summary = models.CharField(max_length=500, blank=True, help_text="What changed from the previous version.")
    file = models.ForeignKey("core.Evidence", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    sanction_policy = models.OneToOneField(
        "risk.SanctionPolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="ack_version"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["document_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="ack_version_number_unique"),
            models.UniqueConstraint(
                fields=["document"], condition=models.Q(status="published"), name="ack_one_published_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class AckRequest(models.Model):
    """A person was asked to acknowledge a version: when, by when, and whether the email went out."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(AckDocumentVersion, on_delete=models.PROTECT, related_name="requests")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="ack_requests")
    requested_at = models.DateTimeField(default=timezone.now)
    due_on = models.DateField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["version_id", "person_id"]
        constraints = [models.UniqueConstraint(fields=["version", "person"], name="ack_request_once")]
        indexes = [models.Index(fields=["organization", "person"], name="ack_request_org_person")]

    def __str__(self) -> str:
        return f"Request of {self.version_id} to {self.person_id}"


class Acknowledgement(models.Model):
    class Method(models.TextChoices):
        IN_APP = "in_app", "In Safeguard"
        EMAIL_LINK = "email_link", "Personal link sent by email"
        PAPER = "paper", "Signed on paper, recorded by hand"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(AckDocumentVersion, on_delete=models.PROTECT, related_name="acknowledgements")
    person = models.ForeignKey("workforce.Person", on_delete=models.PROTECT, related_name="acknowledgements")
    acknowledged_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=10, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    evidence = models.ForeignKey(
        "core.Evidence",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The signed page, for one recorded by hand.",
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-acknowledged_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["version", "person"], name="acknowledgement_once")]
        indexes = [models.Index(fields=["organization", "person"], name="ack_org_person")]

    def __str__(self) -> str:
        return f"Acknowledgement of {self.version_id} by {self.person_id}"
