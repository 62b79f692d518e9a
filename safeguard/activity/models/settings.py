from django.db import models

from safeguard.activity.models.enrichment import weekdays_default


class ActivitySettings(models.Model):
    organization = models.OneToOneField("core.Organization", on_delete=models.PROTECT, related_name="activity_settings")
    micro_batch_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="Minutes between evaluations of new events."
    )
    nightly_rerun_days = models.PositiveSmallIntegerField(
        default=2, help_text="Days of event time the nightly run evaluates again, for late events."
    )
    event_retention_days = models.PositiveIntegerField(
        default=2190, help_text="Days events are kept (2,190 = 6 years, as for review records)."
    )
    raw_retention_days = models.PositiveIntegerField(
        default=365, help_text="Days each event's raw line is kept before only the normalized fields remain."
    )
    business_start_hour = models.PositiveSmallIntegerField(
        default=7, help_text="Business hours for people with no shift: from this local hour…"
    )
    business_end_hour = models.PositiveSmallIntegerField(default=19, help_text="…to this one.")
    business_weekdays = models.JSONField(default=weekdays_default, help_text="ISO days: Monday = 1 … Sunday = 7.")
    # When the micro-batch last finished: the next one evaluates anchors from here (less a margin for late events).
    evaluated_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_nightly_on = models.DateField(null=True, blank=True, editable=False)
    reference_version = models.PositiveIntegerField(
        default=0, editable=False, help_text="Raised when enrichment data changes, so the store reloads it."
    )

    def __str__(self) -> str:
        return f"Activity settings of {self.organization_id}"
