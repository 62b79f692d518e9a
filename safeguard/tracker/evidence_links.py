"""Tracker records evidence may be linked to: attestations and addressable decisions, named by public id."""

from safeguard.core.models import Organization
from safeguard.core.services.evidence import linkable, uuid_or_none
from safeguard.tracker.models import AddressableDecision, Attestation

ATTESTATION_TYPE = "tracker.attestation"
DECISION_TYPE = "tracker.addressabledecision"


@linkable(ATTESTATION_TYPE)
def _attestation_exists(organization: Organization, target_id: str) -> bool:
    public_id = uuid_or_none(target_id)
    return public_id is not None and Attestation.objects.filter(organization=organization, public_id=public_id).exists()


@linkable(DECISION_TYPE)
def _decision_exists(organization: Organization, target_id: str) -> bool:
    public_id = uuid_or_none(target_id)
    return (
        public_id is not None
        and AddressableDecision.objects.filter(organization=organization, public_id=public_id).exists()
    )
