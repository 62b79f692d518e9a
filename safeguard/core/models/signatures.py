import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Signature(models.Model):
    """A sign-off: who signed what, meaning what, and a hash of the content as it was signed."""

    class Meaning(models.TextChoices):
        APPROVED = "approved", "Approved"
        ACCEPTED_RISK = "accepted_risk", "Accepted risk"
        ATTESTED = "attested", "Attested"
        APPOINTED = "appointed", "Appointed"
        REVIEWED = "reviewed", "Reviewed"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey("core.Organization", on_delete=models.PROTECT, related_name="signatures")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signer_role = models.CharField(max_length=32)
    meaning = models.CharField(max_length=32, choices=Meaning.choices)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=80)
    content_sha256 = models.CharField(max_length=64)
    statement = models.TextField(blank=True)
    signed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_at"]

    def __str__(self) -> str:
        return f"{self.get_meaning_display()} by {self.signer} on {self.signed_at:%Y-%m-%d}"
