"""Background work of security reminders. Each task takes ids and is idempotent."""

from django_tasks import task

from safeguard.training.models import SecurityReminder
from safeguard.training.services.reminder_sending import SENDER, reminder_send


@task()
def send_reminder(reminder_id: int) -> None:
    """Send one reminder a manager asked to send now; nothing when it was sent (or cancelled) meanwhile."""
    reminder = SecurityReminder.objects.select_related("organization").filter(pk=reminder_id).first()
    if reminder is not None:
        reminder_send(organization=reminder.organization, actor=SENDER, reminder=reminder)
