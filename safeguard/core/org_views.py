"""The decorator every organization page uses: membership from the URL, MFA, then the permission."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse

from safeguard.core.access import get_membership_for_user, require_perm
from safeguard.core.models import ApiToken, Membership, Organization
from safeguard.core.roles import Perm

if TYPE_CHECKING:
    from rest_framework.request import Request


class OrgRequest(HttpRequest):
    org: Organization
    membership: Membership


def mfa_verified(request: HttpRequest | Request) -> bool:
    """Whether the credential behind this request passed MFA: the session (django-otp marks it verified after a
    one-time code) or, for an API call, the token, which remembers whether the session that made it was verified."""
    token = getattr(request, "auth", None)
    if isinstance(token, ApiToken):
        return token.mfa_verified
    return bool(getattr(request.user, "is_verified", lambda: False)())


def mfa_satisfied(request: HttpRequest | Request, organization: Organization) -> bool:
    return not organization.mfa_required or mfa_verified(request)


def org_view(
    perm: Perm | None = Perm.VIEW_PROGRAM,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    """Resolve /o/<org_slug>/ to the user's membership (404 otherwise), demand MFA, then `perm` (403)."""

    def decorator(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership = get_membership_for_user(request.user, org_slug)
            if not mfa_satisfied(request, membership.organization):
                return redirect(f"{reverse('mfa_verify')}?{urlencode({'next': request.get_full_path()})}")
            if perm is not None:
                require_perm(membership, perm)
            request.org = membership.organization  # type: ignore[attr-defined]
            request.membership = membership  # type: ignore[attr-defined]
            request.session["current_org"] = membership.organization.slug
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
