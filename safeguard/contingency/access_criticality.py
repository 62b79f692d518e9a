"""Access to a dependency between two assets. A dependency has no id of its own: the two assets' public ids name
it. The same 404 for another organization's assets as for a dependency that does not exist."""

from __future__ import annotations

from django.http import Http404

from safeguard.contingency.access import Key
from safeguard.contingency.models import AssetDependency
from safeguard.core.access import parse_public_id, require_program
from safeguard.core.models import Membership


def get_dependency(
    membership: Membership, asset_id: Key, depends_on_id: Key, *, write: bool = False
) -> AssetDependency:
    require_program(membership, write)
    found = (
        AssetDependency.objects.select_related("asset", "depends_on")
        .filter(
            organization=membership.organization,
            asset__public_id=parse_public_id(asset_id),
            depends_on__public_id=parse_public_id(depends_on_id),
        )
        .first()
    )
    if found is None:
        raise Http404("No such dependency.")
    return found
