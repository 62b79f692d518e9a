"""One access function per protected access-management record: tenant-scoped, the same 404 for missing and
forbidden.

Systems, accounts, profiles and exceptions: view-program to read, manage-program to change. A review item is
reached by the reviewer it is assigned to (review-access permission) or by those who manage the program; an
exception can be approved by the person's manager (review-access) as well as by the security official.
"""

from __future__ import annotations

from uuid import UUID

from safeguard.access.models import (
    AccessException,
    Account,
    AccountSnapshot,
    BreakGlassAccount,
    BreakGlassActivation,
    ReviewCampaign,
    ReviewItem,
    RoleProfile,
    System,
)
from safeguard.core.access import one_in_org, require_perm, require_program
from safeguard.core.models import Membership
from safeguard.core.roles import Perm


def get_system_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> System:
    require_program(membership, write)
    return one_in_org(System.objects.select_related("asset", "asset__owner"), membership, public_id, "system")


def get_snapshot_for_user(membership: Membership, public_id: str | UUID) -> AccountSnapshot:
    require_program(membership, False)
    return one_in_org(AccountSnapshot.objects.select_related("system__asset"), membership, public_id, "snapshot")


def get_account_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Account:
    require_program(membership, write)
    return one_in_org(
        Account.objects.select_related("system__asset", "snapshot", "person", "owner"), membership, public_id, "account"
    )


def get_profile_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> RoleProfile:
    require_program(membership, write)
    return one_in_org(RoleProfile.objects.all(), membership, public_id, "role profile")


def get_exception_for_user(membership: Membership, public_id: str | UUID) -> AccessException:
    """Readable by the program's viewers and by reviewers (managers approve their reports' exceptions); whether
    this member may decide it is the service's rule."""
    if not membership.has(Perm.REVIEW_ACCESS):
        require_program(membership, False)
    return one_in_org(
        AccessException.objects.select_related(
            "person", "person__manager", "system__asset", "requested_by", "approver", "revoked_by"
        ),
        membership,
        public_id,
        "access exception",
    )


def get_campaign_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> ReviewCampaign:
    if write:
        require_program(membership, True)
    elif not membership.has(Perm.REVIEW_ACCESS):
        require_program(membership, False)
    return one_in_org(ReviewCampaign.objects.select_related("started_by", "closed_by"), membership, public_id, "review")


def get_review_item_for_user(membership: Membership, public_id: str | UUID) -> ReviewItem:
    """An item its reviewer may decide; those who manage the program reach every item."""
    item = one_in_org(
        ReviewItem.objects.select_related("campaign", "system__asset", "person", "reviewer"),
        membership,
        public_id,
        "review item",
    )
    if item.reviewer_id != membership.user_id:
        require_program(membership, True)
    else:
        require_perm(membership, Perm.REVIEW_ACCESS)
    return item


def get_break_glass_account_for_user(
    membership: Membership, public_id: str | UUID, *, write: bool = False
) -> BreakGlassAccount:
    require_program(membership, write)
    return one_in_org(
        BreakGlassAccount.objects.select_related("system__asset"), membership, public_id, "break-glass account"
    )


def get_activation_for_user(
    membership: Membership, public_id: str | UUID, *, write: bool = False
) -> BreakGlassActivation:
    require_program(membership, write)
    return one_in_org(
        BreakGlassActivation.objects.select_related("account__system__asset", "used_by", "reviewed_by"),
        membership,
        public_id,
        "break-glass use",
    )
