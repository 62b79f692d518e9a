from django.db import models


class AccessSettings(models.Model):
    organization = models.OneToOneField("core.Organization", on_delete=models.PROTECT, related_name="access_settings")
    inactive_days = models.PositiveSmallIntegerField(
        default=90, help_text="Days without a login that count as inactive."
    )
    review_interval_days = models.PositiveSmallIntegerField(
        default=92, help_text="How often every ePHI system's access must be reviewed (a quarter)."
    )
    review_due_days = models.PositiveSmallIntegerField(default=14, help_text="Days reviewers get to decide.")
    revocation_due_days = models.PositiveSmallIntegerField(default=7, help_text="Days to carry out a revocation.")
    break_glass_review_hours = models.PositiveSmallIntegerField(default=24)

    def __str__(self) -> str:
        return f"Access settings of {self.organization_id}"
