"""One access function per protected access-management record: tenant-scoped, the same 404 for missing and
forbidden.

Systems, accounts, profiles and exceptions: view-program to read, manage-program to change. A review item is
reached by the reviewer it is assigned to (review-access permission) or by those who manage the program; an
exception can be approved by the person's manager (review-access) as well as by the security official.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from django.db.models import Model, QuerySet
from django.http import Http404

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
from safeguard.core.access import parse_public_id, require_perm
from safeguard.core.models import Membership
from safeguard.core.roles import Perm

M = TypeVar("M", bound=Model)


def _one(queryset: QuerySet[M], membership: Membership, public_id: str | UUID, what: str) -> M:
    found = queryset.filter(organization=membership.organization, public_id=parse_public_id(public_id)).first()
    if found is None:
        raise Http404(f"No such {what}.")
    return found


def _program(membership: Membership, write: bool) -> None:
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)


def get_system_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> System:
    _program(membership, write)
    return _one(System.objects.select_related("asset", "asset__owner"), membership, public_id, "system")


def get_snapshot_for_user(membership: Membership, public_id: str | UUID) -> AccountSnapshot:
    _program(membership, False)
    return _one(AccountSnapshot.objects.select_related("system__asset"), membership, public_id, "snapshot")


def get_account_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Account:
    _program(membership, write)
    return _one(
        Account.objects.select_related("system__asset", "snapshot", "person", "owner"), membership, public_id, "account"
    )


def get_profile_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> RoleProfile:
    _program(membership, write)
    return _one(RoleProfile.objects.all(), membership, public_id, "role profile")


def get_exception_for_user(membership: Membership, public_id: str | UUID) -> AccessException:
    """Readable by the program's viewers and by reviewers (managers approve their reports' exceptions); whether
    this member may decide it is the service's rule."""
    if not membership.has(Perm.REVIEW_ACCESS):
        _program(membership, False)
    return _one(
        AccessException.objects.select_related(
            "person", "person__manager", "system__asset", "requested_by", "approver", "revoked_by"
        ),
        membership,
        public_id,
        "access exception",
    )


def get_campaign_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> ReviewCampaign:
    if write:
        _program(membership, True)
    elif not membership.has(Perm.REVIEW_ACCESS):
        _program(membership, False)
    return _one(ReviewCampaign.objects.select_related("started_by", "closed_by"), membership, public_id, "review")


def get_review_item_for_user(membership: Membership, public_id: str | UUID) -> ReviewItem:
    """An item its reviewer may decide; those who manage the program reach every item."""
    item = _one(
        ReviewItem.objects.select_related("campaign", "system__asset", "person", "reviewer"),
        membership,
        public_id,
        "review item",
    )
    if item.reviewer_id != membership.user_id:
        _program(membership, True)
    else:
        require_perm(membership, Perm.REVIEW_ACCESS)
    return item


def get_break_glass_account_for_user(
    membership: Membership, public_id: str | UUID, *, write: bool = False
) -> BreakGlassAccount:
    _program(membership, write)
    return _one(BreakGlassAccount.objects.select_related("system__asset"), membership, public_id, "break-glass account")


def get_activation_for_user(
    membership: Membership, public_id: str | UUID, *, write: bool = False
) -> BreakGlassActivation:
    _program(membership, write)
    return _one(
        BreakGlassActivation.objects.select_related("account__system__asset", "used_by", "reviewed_by"),
        membership,
        public_id,
        "break-glass use",
    )
