"""Choices the risk forms share: the members a form may name as an owner or a decider."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Role


def member_choices(organization: Organization, *, keep: User | None = None, former: bool = False) -> QuerySet[User]:
    """Members who may own risk work or decide here: not auditors, who only read. Current members only unless
    `former` (someone sanctioned may have left since); `keep` is the present owner, listed so an unchanged form
    still shows who it is (the service refuses them if they can no longer own it)."""
    memberships = Membership.objects.all() if former else Membership.objects.current()
    members = memberships.filter(organization=organization).exclude(role=Role.AUDITOR).values("user_id")
    kept = Q(pk=keep.pk) if keep is not None else Q(pk__in=[])
    return User.objects.filter(Q(pk__in=members) | kept).order_by("email")
