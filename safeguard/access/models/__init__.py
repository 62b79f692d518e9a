from safeguard.access.models.accounts import (
    Account,
    AccountDesignation,
    AccountSnapshot,
    AccountStatus,
    Classification,
    MatchMethod,
    System,
    account_key,
)
from safeguard.access.models.breakglass import BreakGlassAccount, BreakGlassActivation
from safeguard.access.models.profiles import AccessException, ProfileGrant, RoleProfile
from safeguard.access.models.reviews import Finding, ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.access.models.settings import AccessSettings

__all__ = [
    "AccessException",
    "AccessSettings",
    "Account",
    "AccountDesignation",
    "AccountSnapshot",
    "AccountStatus",
    "BreakGlassAccount",
    "BreakGlassActivation",
    "Classification",
    "Finding",
    "MatchMethod",
    "ProfileGrant",
    "ReviewCampaign",
    "ReviewItem",
    "ReviewerAttestation",
    "RoleProfile",
    "System",
    "account_key",
]
