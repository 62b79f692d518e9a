import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyError(Exception):
    """Raised by any attempt to change or remove an audit event."""


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be updated.")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")


class AuditEvent(models.Model):
    """One change, written in the same transaction as the change and chained per organization.

    hash = SHA-256(prev_hash + canonical JSON of the event); see safeguard.core.audit.
    Events with no organization (sign-in, MFA enrolment) form a chain of their own.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(
        "core.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    sequence = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=254, help_text="Email or system process at the time of the event.")
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=80, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="Field name → [before, after].")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "sequence"], name="audit_sequence_unique_per_org"),
            # NULLs are distinct in the constraint above, so the accounts chain needs its own.
            models.UniqueConstraint(
                fields=["sequence"],
                condition=models.Q(organization__isnull=True),
                name="audit_sequence_unique_accounts",
            ),
        ]
        indexes = [models.Index(fields=["organization", "-sequence"], name="audit_org_seq_desc")]
        ordering = ["-sequence"]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} {self.object_repr}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only: an existing event cannot be saved again.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Audit events are append-only: they cannot be deleted.")


class ChainHead(models.Model):
    """The last event of each audit chain, updated in the same transaction as each append.

    Locking this row serializes writers of one chain (on every database), and comparing it with the newest event
    detects events deleted from the end of the chain, which a forward walk alone cannot see.
    """

    chain = models.CharField(max_length=64, unique=True, help_text="Organization public id, or 'accounts'.")
    organization = models.OneToOneField(
        "core.Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="audit_chain_head"
    )
    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"{self.chain} at #{self.sequence}"
