from safeguard.core.models.audit import AuditEvent, ChainHead
from safeguard.core.models.evidence import Evidence, EvidenceLink, EvidenceVersion
from safeguard.core.models.imports import FileImport
from safeguard.core.models.obligations import Obligation, ObligationCompletion
from safeguard.core.models.organizations import ApiToken, Membership, Organization, User
from safeguard.core.models.signatures import Signature

__all__ = [
    "ApiToken",
    "AuditEvent",
    "ChainHead",
    "Evidence",
    "EvidenceLink",
    "EvidenceVersion",
    "FileImport",
    "Membership",
    "Obligation",
    "ObligationCompletion",
    "Organization",
    "Signature",
    "User",
]
