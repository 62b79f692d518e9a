"""Background work of assignment rules. Each task takes ids and is idempotent."""

from django_tasks import task

from safeguard.core.models import Organization
from safeguard.training.services.assignment_rules import assignments_sync


@task()
def sync_assignments(organization_id: int) -> None:
    """Re-evaluate every active rule of the organization: open what is due, cancel what no longer applies."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is not None:
        assignments_sync(organization=organization)
