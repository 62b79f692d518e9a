"""Incident pages: the list (open first), an incident with its linked alerts, and editing its status, owner and
facts. Activity viewers read (not every program viewer: escalation comments may name patients); triagers and
program managers change."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import redirect, render

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.services.errors import ServiceError
from safeguard.incidents import queries, services
from safeguard.incidents.access import READ_INCIDENTS, get_incident, may_change_incidents, require_incident_write
from safeguard.incidents.forms import IncidentFilterForm, IncidentForm

PAGE_SIZE = 50


@org_view(READ_INCIDENTS)
def incident_list(request: OrgRequest) -> HttpResponse:
    form = IncidentFilterForm(request.GET)
    status = form.cleaned_data["status"] if form.is_valid() else ""
    opened = Case(When(status__in=services.OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField())
    rows = queries.incidents(request.org, status).annotate(closed=opened).order_by("closed", "-opened_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "incidents/incident_list.html", {"page": page, "form": form})


@org_view(READ_INCIDENTS)
def incident_detail(request: OrgRequest, incident_id: UUID) -> HttpResponse:
    incident = get_incident(request.membership, incident_id)
    alerts = incident.alerts.select_related("rule").order_by("-first_seen")
    context = {"incident": incident, "alerts": alerts, "can_change": may_change_incidents(request.membership)}
    return render(request, "incidents/incident_detail.html", context)


@org_view(READ_INCIDENTS)
def incident_edit(request: OrgRequest, incident_id: UUID) -> HttpResponse:
    require_incident_write(request.membership)
    incident = get_incident(request.membership, incident_id, write=True)
    initial = {name: getattr(incident, name) for name in services.EDITABLE}
    posted = request.method == "POST"
    form = IncidentForm(request.POST if posted else None, initial=initial, owners=queries.possible_owners(request.org))
    if posted and form.is_valid():
        try:
            services.incident_update(request.org, Actor.from_request(request), incident=incident, **form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved.")
            return redirect("incidents:incident_detail", request.org.slug, incident.public_id)
    return render(request, "incidents/incident_form.html", {"form": form, "incident": incident})
