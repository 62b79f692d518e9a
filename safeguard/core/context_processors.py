from typing import Any

from django.http import HttpRequest

from safeguard.core.models import Membership


def organization(request: HttpRequest) -> dict[str, Any]:
    """The current organization and the user's other memberships, for the header's switcher."""
    if not request.user.is_authenticated:
        return {}
    memberships = list(Membership.objects.current().filter(user=request.user).select_related("organization"))
    return {
        "current_org": getattr(request, "org", None),
        "current_membership": getattr(request, "membership", None),
        "my_memberships": memberships,
    }
