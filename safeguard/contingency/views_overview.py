"""The contingency home page: recovery readiness per tier and per asset, and links to every part of the plan.
Program viewers (auditors included) read it."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from safeguard.contingency.models import Tier
from safeguard.contingency.queries_overview import readiness
from safeguard.core.chores import as_of
from safeguard.core.org_views import OrgRequest, org_view

PAGE_SIZE = 50


def _tier_filter(value: str | None) -> int | None:
    return int(value) if value in {str(tier) for tier in Tier.values} else None


@org_view()
def readiness_home(request: OrgRequest) -> HttpResponse:
    today = timezone.localdate()
    found = readiness(request.org, today=today, now=as_of(today))
    tier = _tier_filter(request.GET.get("tier"))
    rows = [row for row in found.rows if tier is None or row.profile.tier == tier]
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"readiness": found, "page": page, "tier": tier, "tiers": Tier.choices}
    return render(request, "contingency/home.html", context)
