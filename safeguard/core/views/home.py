"""Pages that belong to no single organization: the landing redirect, the health probe, the calendar feed."""

from typing import cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from safeguard.core.calendar_feed import calendar_feed  # noqa: F401  (routed from safeguard.urls)
from safeguard.core.models import Membership, User


@login_required
def home(request: HttpRequest) -> HttpResponse:
    memberships = list(
        Membership.objects.current().filter(user=cast(User, request.user)).select_related("organization")
    )
    # ?org= comes from the header's organization switcher (which works without JavaScript too).
    preferred = request.GET.get("org") or request.session.get("current_org")
    for membership in memberships:
        if membership.organization.slug == preferred:
            return redirect("tracker:dashboard", org_slug=preferred)
    if len(memberships) == 1:
        return redirect("tracker:dashboard", org_slug=memberships[0].organization.slug)
    return render(request, "core/choose_org.html", {"memberships": memberships})


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})
