"""Background work of acknowledgements. Each task takes ids and is idempotent."""

from django.utils import timezone
from django_tasks import task

from safeguard.core.audit import Actor
from safeguard.training.models import AckDocumentVersion
from safeguard.training.services.ack_emails import ack_emails_send

MAILER = Actor.system("training.acknowledgements")


@task()
def send_ack_requests(version_id: int) -> None:
    """Email each person asked to acknowledge the version and not emailed yet (a personal link each)."""
    version = AckDocumentVersion.objects.select_related("document__organization").filter(pk=version_id).first()
    if version is not None:
        now = timezone.now()
        ack_emails_send(actor=MAILER, version=version, kind="request", today=timezone.localdate(now), now=now)
