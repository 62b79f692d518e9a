"""Access to the alert area's own records (suppressions, escalation levels): tenant-scoped, the same 404 for
missing and another organization's, 403 without the permission. Alerts and rules go through access.py."""

from __future__ import annotations

from uuid import UUID

from safeguard.activity.models import EscalationLevel, Suppression
from safeguard.core.access import one_in_org, require_perm
from safeguard.core.models import Membership
from safeguard.core.roles import Perm


def get_suppression(membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY) -> Suppression:
    require_perm(membership, perm)
    return one_in_org(Suppression.objects.select_related("rule"), membership, public_id, "suppression")


def get_escalation_level(
    membership: Membership, public_id: str | UUID, perm: Perm = Perm.VIEW_ACTIVITY
) -> EscalationLevel:
    require_perm(membership, perm)
    return one_in_org(EscalationLevel.objects.select_related("notify_user"), membership, public_id, "escalation level")
