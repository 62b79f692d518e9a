from safeguard.core.models.audit import AuditEvent
from safeguard.core.models.evidence import Evidence, EvidenceLink, EvidenceVersion
from safeguard.core.models.obligations import Obligation, ObligationCompletion
from safeguard.core.models.organizations import ApiToken, Membership, Organization, User
from safeguard.core.models.signatures import Signature

__all__ = [
    "ApiToken",
    "AuditEvent",
    "Evidence",
    "EvidenceLink",
    "EvidenceVersion",
    "Membership",
    "Obligation",
    "ObligationCompletion",
    "Organization",
    "Signature",
    "User",
]
