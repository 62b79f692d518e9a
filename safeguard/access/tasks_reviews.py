"""Background work of access reviews: what follows closing a campaign."""

from django_tasks import task

from safeguard.access.services.decisions import campaign_finish


@task()
def finish_campaign(campaign_id: int) -> None:
    """Record the authorizations the managers' keep decisions give, then build the evidence package; idempotent."""
    campaign_finish(campaign_id=campaign_id)
