import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Evidence(models.Model):
    """A piece of documentation kept as proof. Its content lives in immutable versions."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="evidence")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    effective_date = models.DateField(help_text="When the document took effect or the activity happened.")
    retain_until = models.DateField(help_text="Not deletable before this date (164.316(b)(2)(i): six years).")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    is_deleted = models.BooleanField(default=False)
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return self.title


def _version_path(instance: "EvidenceVersion", filename: str) -> str:
    # Never the user's file name: a generated name under the organization's folder.
    return f"evidence/{instance.evidence.organization.public_id}/{uuid.uuid4().hex}"


class EvidenceVersion(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=_version_path, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["evidence", "number"], name="evidence_version_unique")]
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.evidence} v{self.number}"


class EvidenceLink(models.Model):
    """Ties evidence to any record, named by its type label and public id (or citation for requirements)."""

    evidence = models.ForeignKey(Evidence, on_delete=models.PROTECT, related_name="links")
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=80)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["evidence", "target_type", "target_id"], name="evidence_link_unique")
        ]
        indexes = [models.Index(fields=["target_type", "target_id"], name="evidence_link_target")]

    def __str__(self) -> str:
        return f"{self.evidence} → {self.target_type}:{self.target_id}"
