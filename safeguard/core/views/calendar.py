"""The calendar subscription page: shows the member's personal feed URL and rotates its secret."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from safeguard.core.audit import Actor
from safeguard.core.calendar_feed import calendar_feed_url, feed_obligations
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.services.calendar import calendar_token_rotate


@require_http_methods(["GET", "HEAD", "POST"])
@org_view(None)
def calendar_settings(request: OrgRequest) -> HttpResponse:
    user = request.membership.user
    if request.method == "POST":
        had_token = bool(user.calendar_token)
        calendar_token_rotate(user=user, actor=Actor.from_request(request))
        messages.success(
            request,
            "New calendar URL created; the old one no longer works." if had_token else "Calendar URL created.",
        )
        return redirect("core:calendar_settings", request.org.slug)
    context = {
        "feed_url": calendar_feed_url(user.calendar_token) if user.calendar_token else "",
        "event_count": len(feed_obligations(user)),
    }
    return render(request, "core/obligations/calendar.html", context)
