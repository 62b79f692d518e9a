"""Reads of incidents shared by the pages and the API."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import ROLE_PERMISSIONS, Perm
from safeguard.incidents.models import Incident
from safeguard.incidents.services import OPEN_STATUSES


def incidents(organization: Organization, status: str = "") -> QuerySet[Incident]:
    rows = (
        Incident.objects.filter(organization=organization).select_related("owner").annotate(alert_count=Count("alerts"))
    )
    if status == "open":
        return rows.filter(status__in=OPEN_STATUSES)
    return rows.filter(status=status) if status else rows


def possible_owners(organization: Organization) -> list[User]:
    roles = [role for role, perms in ROLE_PERMISSIONS.items() if {Perm.TRIAGE_ALERTS, Perm.MANAGE_PROGRAM} & perms]
    members = Membership.objects.current().filter(organization=organization, role__in=roles).select_related("user")
    return [member.user for member in members.order_by("user__email")]
