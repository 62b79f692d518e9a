import uuid

from django.db import models

from safeguard.workforce.models.people import default_time_zone


class ContingencySettings(models.Model):
    """Per organization: how often each tier's restore test is due, the grace before a backup run counts as
    missing, the zone imports read times without an offset in, and whether the readiness view shows the proposed
    rule's 72-hour restoration target."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.OneToOneField("core.Organization", on_delete=models.PROTECT, related_name="+")
    restore_cadence_tier1 = models.CharField(max_length=16, default="quarterly")
    restore_cadence_tier2 = models.CharField(max_length=16, default="quarterly")
    restore_cadence_tier3 = models.CharField(max_length=16, default="semiannual")
    restore_cadence_tier4 = models.CharField(max_length=16, default="annual")
    backup_grace_hours = models.PositiveIntegerField(default=6)
    show_72_hour_target = models.BooleanField(default=True)
    import_time_zone = models.CharField(
        max_length=64,
        default=default_time_zone,
        help_text="How imports read a time given without a UTC offset (an explicit offset always wins).",
    )

    def __str__(self) -> str:
        return f"Contingency settings of {self.organization_id}"
