"""Access functions for tracker records: tenant-scoped, the same 404 for "missing" and "another organization's"."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404

from safeguard.core.access import parse_public_id, require_perm
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.tracker.models import AddressableDecision, Attestation


def get_attestation_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Attestation:
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)
    attestation = (
        Attestation.objects.filter(organization=membership.organization, public_id=parse_public_id(public_id))
        .select_related("requirement", "attested_by")
        .first()
    )
    if attestation is None:
        raise Http404("No such attestation.")
    return attestation


def get_decision_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> AddressableDecision:
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)
    decision = (
        AddressableDecision.objects.filter(organization=membership.organization, public_id=parse_public_id(public_id))
        .select_related("requirement", "created_by", "signature__signer")
        .first()
    )
    if decision is None:
        raise Http404("No such decision.")
    return decision
