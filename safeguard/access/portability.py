"""The access records an organization archive carries, references first."""

from safeguard.access.models import (
    AccessException,
    AccessSettings,
    Account,
    AccountDesignation,
    AccountSnapshot,
    BreakGlassAccount,
    BreakGlassActivation,
    Finding,
    ProfileGrant,
    ReviewCampaign,
    ReviewerAttestation,
    ReviewItem,
    RoleProfile,
    System,
)
from safeguard.core.portability.registry import register

register(AccessSettings, "organization")
register(System, "organization")
register(AccountSnapshot, "organization")
register(Account, "organization")
register(AccountDesignation, "organization")
register(RoleProfile, "organization")
register(ProfileGrant, "profile__organization")
register(AccessException, "organization")
register(ReviewCampaign, "organization")
register(ReviewCampaign.systems.through, "reviewcampaign__organization")
register(ReviewItem, "organization")
register(Finding, "organization")
register(ReviewerAttestation, "campaign__organization")
register(BreakGlassAccount, "organization")
register(BreakGlassAccount.custodians.through, "breakglassaccount__organization")
register(BreakGlassActivation, "organization")
