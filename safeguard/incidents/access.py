"""Access to incidents: activity viewers read (escalation comments may name patients, so program viewers such as
managers do not); triagers and program managers change. The same 404 for another organization's incident as for
a missing one."""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied

from safeguard.core.access import one_in_org, require_perm
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.incidents.models import Incident

READ_INCIDENTS = Perm.VIEW_ACTIVITY


def may_change_incidents(membership: Membership) -> bool:
    return membership.has(Perm.TRIAGE_ALERTS) or membership.has(Perm.MANAGE_PROGRAM)


def require_incident_write(membership: Membership) -> None:
    if not may_change_incidents(membership):
        raise PermissionDenied(f"Your role ({membership.get_role_display()}) does not allow changing incidents.")


def get_incident(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Incident:
    require_perm(membership, READ_INCIDENTS)
    if write:
        require_incident_write(membership)
    return one_in_org(Incident.objects.select_related("owner", "opened_by"), membership, public_id, "incident")
