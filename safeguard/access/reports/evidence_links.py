"""Access records evidence may be linked to: a review campaign (its evidence package, or files linked by hand)."""

from safeguard.access.models import ReviewCampaign
from safeguard.core.models import Organization
from safeguard.core.services.evidence import linkable, uuid_or_none

CAMPAIGN_TYPE = "access.reviewcampaign"


@linkable(CAMPAIGN_TYPE)
def _campaign_exists(organization: Organization, target_id: str) -> bool:
    public_id = uuid_or_none(target_id)
    return (
        public_id is not None and ReviewCampaign.objects.filter(organization=organization, public_id=public_id).exists()
    )
