"""The events page: the organization's stored audit-log events, filtered and paged newest first, and one event
with every field and its raw line. Event contents are PHI, so both need the view-events permission (auditors,
who review the program, do not have it), and each search and each event opened is written to the audit trail."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render

from safeguard.activity.forms_events import EventFilterForm
from safeguard.activity.models import LogSource
from safeguard.activity.queries_events import EventSearch, events_with_uid, expected_page
from safeguard.activity.services.event_reads import event_read_record, event_search_record
from safeguard.core.access import parse_public_id
from safeguard.core.audit import Actor
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm

PAGE_SIZE = 50


@org_view(Perm.VIEW_EVENTS)
def event_list(request: OrgRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None, organization=request.org)
    number = request.GET.get("page")
    search = EventSearch(request.org, form.filters(), expect=expected_page(number, PAGE_SIZE))
    page: Page[dict[str, Any]] = Paginator(search, PAGE_SIZE).get_page(number)
    event_search_record(
        request.org,
        Actor.from_request(request),
        filters=search.filters,
        page=page.number,
        rows=list(page.object_list),
        total=page.paginator.count,
    )
    context = {"form": form, "page": page, "events": page.object_list, "filtered": bool(request.GET.keys() - {"page"})}
    return render(request, "activity/events_list.html", context)


@org_view(Perm.VIEW_EVENTS)
def event_detail(request: OrgRequest, event_uid: str) -> HttpResponse:
    source = None
    if source_id := request.GET.get("source"):
        source = LogSource.objects.filter(organization=request.org, public_id=parse_public_id(source_id)).first()
        if source is None:
            raise Http404("No such log source.")
    events = events_with_uid(request.org, event_uid, source)
    if not events:
        raise Http404("No such event.")
    event_read_record(request.org, Actor.from_request(request), uid=event_uid, rows=events)
    return render(request, "activity/events_detail.html", {"events": events, "event_uid": event_uid})
