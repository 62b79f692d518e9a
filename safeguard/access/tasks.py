"""Background work of the access app. Each task takes ids and is idempotent."""

from django_tasks import task

from safeguard.access.services.campaigns import campaign_prepare_run


@task()
def prepare_campaign(campaign_id: int) -> None:
    """Freeze a new review campaign's snapshot, compute its findings and assign its reviewers."""
    campaign_prepare_run(campaign_id=campaign_id)
