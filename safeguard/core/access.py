"""Access functions: the only way views and the API reach an organization and its records.

"Missing" and "belongs to another organization" give the same 404; a member without the permission gets 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.http import Http404

from safeguard.core.models import Evidence, Membership, Obligation, Organization
from safeguard.core.roles import Perm

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from safeguard.core.models import User


def get_membership_for_user(user: User | AnonymousUser, org_slug: str) -> Membership:
    if not user.is_authenticated:
        raise Http404("No such organization.")
    membership = (
        Membership.objects.current()
        .select_related("organization", "user")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )
    if membership is None:
        raise Http404("No such organization.")
    return membership


def require_perm(membership: Membership, perm: Perm) -> None:
    if not membership.has(perm):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) does not allow this.")


def _uuid(value: str | UUID) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise Http404("No such record.") from None


def get_evidence_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Evidence:
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)
    evidence = (
        Evidence.objects.filter(organization=membership.organization, public_id=_uuid(public_id), is_deleted=False)
        .select_related("created_by")
        .first()
    )
    if evidence is None:
        raise Http404("No such evidence.")
    return evidence


def get_obligation_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Obligation:
    """Program managers reach every obligation; anyone else only the ones they own."""
    obligation = (
        Obligation.objects.filter(organization=membership.organization, public_id=_uuid(public_id))
        .select_related("owner")
        .first()
    )
    if obligation is None:
        raise Http404("No such obligation.")
    if obligation.owner_id == membership.user_id and not membership.role == "auditor":
        return obligation
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)
    return obligation


def dangerously_get_organization(slug: str) -> Organization:
    """Unscoped lookup for administrator commands, never for requests."""
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise Organization.DoesNotExist(f"No organization with slug {slug!r}.")
    return organization
