from django.http import HttpResponse
from django.shortcuts import render

from safeguard.core.org_views import OrgRequest, org_view
from safeguard.tracker.models import Verdict


@org_view()
def dashboard(request: OrgRequest) -> HttpResponse:
    verdicts = (
        Verdict.objects.filter(organization=request.org).select_related("requirement").order_by("requirement__position")
    )
    return render(request, "tracker/dashboard.html", {"verdicts": verdicts})
