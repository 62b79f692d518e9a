"""Access to a printed copy of a plan. A print has no organization of its own: its version's decides. The same
404 for another organization's print as for a missing one."""

from __future__ import annotations

from django.http import Http404

from safeguard.contingency.access import Key
from safeguard.contingency.models import PlanPrint
from safeguard.core.access import parse_public_id, require_program
from safeguard.core.models import Membership


def get_plan_print(membership: Membership, public_id: Key) -> PlanPrint:
    require_program(membership, False)
    found = (
        PlanPrint.objects.select_related("version__plan", "printed_by")
        .filter(version__organization=membership.organization, public_id=parse_public_id(public_id))
        .first()
    )
    if found is None:
        raise Http404("No such printed copy.")
    return found
