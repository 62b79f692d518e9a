"""Background work of assignment rules. Each task takes ids and is idempotent."""

from datetime import datetime

from django_tasks import task

from safeguard.core.models import Organization
from safeguard.training.services.assignment_rules import assignments_sync
from safeguard.training.services.assignment_sync import sync_claim


@task()
def sync_assignments(organization_id: int, requested_at: str = "") -> None:
    """Re-evaluate every active rule of the organization: open what is due, cancel what no longer applies. Skipped
    when an evaluation started after the request (it already covered the change)."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return
    if requested_at and not sync_claim(organization, datetime.fromisoformat(requested_at)):
        return
    assignments_sync(organization=organization)
