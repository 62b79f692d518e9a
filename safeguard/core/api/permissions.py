"""How an API request reaches an organization: the same membership and permission rules as the pages."""

from __future__ import annotations

from rest_framework import exceptions
from rest_framework.request import Request

from safeguard.core.access import get_membership_for_user, require_perm
from safeguard.core.audit import Actor
from safeguard.core.models import ApiToken, Membership
from safeguard.core.org_views import mfa_satisfied
from safeguard.core.roles import Perm

SESSION_NEEDS_MFA = "This organization requires a one-time code: verify your session or use an API token made after it."
BEARER_NEEDS_MFA = (
    "This organization requires MFA, and this token was made in a session that did not pass it. "
    "Set up MFA under Account, sign in with a one-time code, then create a new token."
)


class MfaRequired(exceptions.PermissionDenied):
    default_code = "mfa_required"


def api_membership(request: Request, org_slug: str, perm: Perm | None = Perm.VIEW_PROGRAM) -> Membership:
    """The caller's current membership of the org in the URL (404 otherwise), then MFA and `perm` (403).

    The organization's MFA rule is checked on every request, against the credential: a browser session must be
    verified, and a token must have been made by a verified session. So a token made without MFA stops reaching
    an organization from the moment it requires MFA, or from the moment its user joins one that does.
    """
    membership = get_membership_for_user(request.user, org_slug)
    if not mfa_satisfied(request, membership.organization):
        raise MfaRequired(BEARER_NEEDS_MFA if isinstance(request.auth, ApiToken) else SESSION_NEEDS_MFA)
    if perm is not None:
        require_perm(membership, perm)
    return membership


def api_actor(request: Request) -> Actor:
    return Actor(user=request.user if request.user.is_authenticated else None, ip=request.META.get("REMOTE_ADDR"))
