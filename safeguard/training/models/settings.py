from django.db import models


class TrainingSettings(models.Model):
    organization = models.OneToOneField("core.Organization", on_delete=models.PROTECT, related_name="training_settings")
    completion_threshold = models.PositiveSmallIntegerField(
        default=95, help_text="Percent of active workforce who must complete required courses on time."
    )
    ack_threshold = models.PositiveSmallIntegerField(
        default=95, help_text="Percent of active workforce who must acknowledge the current sanction policy."
    )
    reminder_cadence_months = models.PositiveSmallIntegerField(
        default=1, help_text="A security reminder is expected at least this often (months)."
    )
    reminder_periods = models.PositiveSmallIntegerField(
        default=3, help_text="How many of the latest periods the reminder check looks at."
    )
    remind_days_before = models.PositiveSmallIntegerField(
        default=7, help_text="Days before an assignment's due date when the person is reminded."
    )
    escalate_days_after = models.PositiveSmallIntegerField(
        default=1, help_text="Days after the due date when the person's manager is told."
    )
    certificate_signatory = models.CharField(
        max_length=200, blank=True, help_text="Name and title printed on certificates, e.g. the security official."
    )

    # When the latest evaluation of the assignment rules started: a request made before it is already answered.
    assignments_synced_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return f"Training settings of {self.organization_id}"
