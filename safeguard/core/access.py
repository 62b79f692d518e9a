"""Access functions: the only way views and the API reach an organization and its records.

"Missing" and "belongs to another organization" give the same 404; a member without the permission gets 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from safeguard.core.models import Evidence, EvidenceVersion, FileImport, Membership, Obligation, Organization
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


M = TypeVar("M", bound=Model)


def one_in_org(queryset: QuerySet[M], membership: Membership, public_id: str | UUID, what: str) -> M:
    """The record of the member's organization with this public id; the same 404 for missing and elsewhere."""
    found = queryset.filter(organization=membership.organization, public_id=parse_public_id(public_id)).first()
    if found is None:
        raise Http404(f"No such {what}.")
    return found


def require_program(membership: Membership, write: bool) -> None:
    """Reading the program needs view-program, changing it manage-program."""
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)


def parse_public_id(value: str | UUID) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value))
    except ValueError:
        raise Http404("No such record.") from None


def get_evidence_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Evidence:
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)
    evidence = (
        Evidence.objects.filter(
            organization=membership.organization, public_id=parse_public_id(public_id), is_deleted=False
        )
        .select_related("created_by")
        .first()
    )
    if evidence is None:
        raise Http404("No such evidence.")
    return evidence


def get_obligation_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Obligation:
    """Program managers reach every obligation; anyone else only the ones they own."""
    obligation = (
        Obligation.objects.filter(organization=membership.organization, public_id=parse_public_id(public_id))
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


def obligations_for_user(membership: Membership) -> QuerySet[Obligation]:
    """The obligations a member may list: all of the organization's with VIEW_PROGRAM, else only their own."""
    rows = Obligation.objects.filter(organization=membership.organization)
    if membership.has(Perm.VIEW_PROGRAM):
        return rows
    return rows.filter(owner_id=membership.user_id)


def get_evidence_version_for_user(membership: Membership, public_id: str | UUID, number: int) -> EvidenceVersion:
    """One version of a live evidence item, for members who may view the program (auditors included)."""
    evidence = get_evidence_for_user(membership, public_id)
    version = evidence.versions.select_related("evidence", "uploaded_by").filter(number=number).first()
    if version is None:
        raise Http404("No such version.")
    return version


def get_member_for_user(membership: Membership, public_id: str | UUID) -> Membership:
    """Another membership of the same organization (current or not), for members who manage the organization."""
    require_perm(membership, Perm.MANAGE_ORG)
    member = (
        Membership.objects.filter(organization=membership.organization, public_id=parse_public_id(public_id))
        .select_related("user")
        .first()
    )
    if member is None:
        raise Http404("No such member.")
    return member


def get_file_import_for_user(membership: Membership, public_id: str | UUID) -> FileImport:
    """An import of the member's organization; the importer's own permission decides who may see it."""
    from safeguard.core.imports import ImportRefused, importer_for

    job = (
        FileImport.objects.filter(organization=membership.organization, public_id=parse_public_id(public_id))
        .select_related("created_by")
        .first()
    )
    if job is None:
        raise Http404("No such import.")
    try:
        require_perm(membership, importer_for(job.kind).permission)
    except ImportRefused:
        raise Http404("No such import.") from None
    return job
