"""The calendar subscription page: shows the member's personal feed URL and rotates its secret."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from safeguard.core.audit import Actor
from safeguard.core.calendar_feed import calendar_feed_url, feed_obligations, mfa_organizations
from safeguard.core.org_views import OrgRequest, mfa_verified, org_view
from safeguard.core.services.calendar import calendar_token_rotate


@require_http_methods(["GET", "HEAD", "POST"])
@org_view(None)
def calendar_settings(request: OrgRequest) -> HttpResponse:
    user = request.membership.user
    if request.method == "POST":
        had_token = bool(user.calendar_token)
        calendar_token_rotate(user=user, actor=Actor.from_request(request), mfa_verified=mfa_verified(request))
        messages.success(
            request,
            "New calendar URL created; the old one no longer works." if had_token else "Calendar URL created.",
        )
        return redirect("core:calendar_settings", request.org.slug)
    mfa_orgs = mfa_organizations(user)
    session_verified = mfa_verified(request)
    context = {
        "feed_url": calendar_feed_url(user.calendar_token) if user.calendar_token else "",
        "event_count": len(feed_obligations(user)),
        # What the current address leaves out, and what a new one made in this session would.
        "excluded": mfa_orgs if user.calendar_token and not user.calendar_token_mfa_verified else [],
        "new_would_exclude": [] if session_verified else mfa_orgs,
        "verify_url": f"{reverse('mfa_verify')}?{urlencode({'next': request.path})}",
    }
    return render(request, "core/obligations/calendar.html", context)
