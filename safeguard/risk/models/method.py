"""How an organization rates risk: a likelihood × impact matrix with level definitions and thresholds."""

from django.db import models
from django.utils import timezone


class RiskMethod(models.Model):
    """The organization's current method. An analysis copies it when it starts, so later edits never
    change how an earlier analysis was rated.

    likelihood_levels / impact_levels: [{"value": 1, "label": "Rare", "definition": "..."}, ...] ascending.
    thresholds: [{"level": "low", "label": "Low", "min_score": 1}, ...] ascending by min_score; a score
    (likelihood × impact) takes the highest level whose min_score it reaches.
    """

    organization = models.OneToOneField("core.Organization", on_delete=models.PROTECT, related_name="risk_method")
    profile = models.CharField(max_length=16, default="5x5", help_text="The profile the method started from.")
    likelihood_levels = models.JSONField()
    impact_levels = models.JSONField()
    thresholds = models.JSONField()
    treatment_threshold = models.CharField(
        max_length=32, default="medium", help_text="Risks at or above this level must have a treatment."
    )
    methodology = models.TextField()
    reanalysis_months = models.PositiveSmallIntegerField(default=12)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Risk method of {self.organization} ({self.profile})"
