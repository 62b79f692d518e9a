"""How an API request reaches an organization: the same membership and permission rules as the pages."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from rest_framework.request import Request

from safeguard.core.access import get_membership_for_user, require_perm
from safeguard.core.audit import Actor
from safeguard.core.models import ApiToken, Membership
from safeguard.core.org_views import mfa_satisfied
from safeguard.core.roles import Perm


def api_membership(request: Request, org_slug: str, perm: Perm | None = Perm.VIEW_PROGRAM) -> Membership:
    """The caller's current membership of the org in the URL (404 otherwise), then `perm` (403).

    A browser session must satisfy the organization's MFA rule, as pages do. A token counts as satisfied:
    tokens can only be created by a session that passed MFA (see safeguard.core.views.api_tokens).
    """
    membership = get_membership_for_user(request.user, org_slug)
    if not isinstance(request.auth, ApiToken) and not mfa_satisfied(request._request, membership.organization):
        raise PermissionDenied("This organization requires a one-time code: verify your session or use an API token.")
    if perm is not None:
        require_perm(membership, perm)
    return membership


def api_actor(request: Request) -> Actor:
    return Actor(user=request.user if request.user.is_authenticated else None, ip=request.META.get("REMOTE_ADDR"))
