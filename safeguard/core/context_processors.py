from typing import Any

from django.http import HttpRequest

from safeguard.core.models import Membership
from safeguard.core.roles import Perm


def organization(request: HttpRequest) -> dict[str, Any]:
    """The current organization and the user's other memberships, for the header's switcher."""
    if not request.user.is_authenticated:
        return {}
    memberships = list(Membership.objects.current().filter(user=request.user).select_related("organization"))
    membership = getattr(request, "membership", None)
    return {
        "current_org": getattr(request, "org", None),
        "current_membership": membership,
        "my_memberships": memberships,
        "perms_program": bool(membership and membership.has(Perm.VIEW_PROGRAM)),
        "perms_manage_program": bool(membership and membership.has(Perm.MANAGE_PROGRAM)),
        "perms_audit": bool(membership and membership.has(Perm.VIEW_AUDIT)),
        "perms_manage_org": bool(membership and membership.has(Perm.MANAGE_ORG)),
        "perms_sign": bool(membership and membership.has(Perm.SIGN_DECISIONS)),
        "perms_sanctions": bool(membership and membership.has(Perm.VIEW_SANCTIONS)),
        "perms_manage_sanctions": bool(membership and membership.has(Perm.MANAGE_SANCTIONS)),
        "perms_review_access": bool(membership and membership.has(Perm.REVIEW_ACCESS)),
        "perms_activity": bool(membership and membership.has(Perm.VIEW_ACTIVITY)),
    }
