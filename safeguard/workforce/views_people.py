"""Roster pages: the people, one person (workflows, issued items), the hand-entry form, the HR file upload and
the roster sources. Everyone who views the program reads the roster; changing it needs manage-program."""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import FileImport
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.file_imports import import_start
from safeguard.workforce.access import get_issued_item_for_user, get_person_for_user, get_roster_source_for_user
from safeguard.workforce.forms_people import (
    IssuedItemForm,
    PersonFilterForm,
    PersonForm,
    RecoverForm,
    RosterImportForm,
    RosterSourceForm,
)
from safeguard.workforce.models import IssuedItem, Person, RosterSource
from safeguard.workforce.roster_import import KIND
from safeguard.workforce.services import roster as services
from safeguard.workforce.services.people import person_write

PAGE_SIZE = 50
WORKFLOWS_SHOWN = 50
RECENT_IMPORTS = 10


@org_view(Perm.VIEW_PROGRAM)
def person_list(request: OrgRequest) -> HttpResponse:
    filters = PersonFilterForm(request.GET, departments=services.departments(request.org))
    applied = filters.cleaned_data if filters.is_valid() else {}
    people = Person.objects.filter(organization=request.org).select_related("manager")
    people = services.filtered_people(people, applied).order_by("family_name", "given_name", "employee_id")
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(applied.values()),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "workforce/person_list.html", context)


def _detail(request: OrgRequest, person: Person, item_form: IssuedItemForm | None = None) -> HttpResponse:
    context = {
        "person": person,
        "reports": Person.objects.filter(manager=person).count(),
        "workflows": person.workflows.order_by("-opened_at")[:WORKFLOWS_SHOWN],
        "items": IssuedItem.objects.filter(person=person).select_related("recovered_by"),
        "item_form": item_form or IssuedItemForm(),
        "recover_form": RecoverForm(),
        "can_manage": request.membership.has(Perm.MANAGE_PROGRAM),
    }
    return render(request, "workforce/person_detail.html", context)


@org_view(Perm.VIEW_PROGRAM)
def person_detail(request: OrgRequest, person_id: UUID) -> HttpResponse:
    return _detail(request, get_person_for_user(request.membership, person_id))


def _save_person(request: OrgRequest, form: PersonForm, person: Person | None) -> Person | None:
    actor = Actor.from_request(request)
    try:
        saved, change = person_write(
            organization=request.org,
            actor=actor,
            person=person,
            values=form.person_values(),
            source=Person.Source.MANUAL,
            trigger=f"Entered by hand by {actor.display}",
        )
    except ServiceError as error:
        show_service_error(form, error, {"termination_at": "termination_date"})
        return None
    opened = f": a {change.kind} workflow is open" if change.opens_workflow else ""
    messages.success(request, f"Saved {saved.full_name}{opened}.")
    return saved


@org_view(Perm.MANAGE_PROGRAM)
def person_create(request: OrgRequest) -> HttpResponse:
    form = PersonForm(request.POST or None, organization=request.org)
    if request.method == "POST" and form.is_valid():
        saved = _save_person(request, form, None)
        if saved is not None:
            return redirect("workforce:person_detail", request.org.slug, saved.public_id)
    return render(request, "workforce/person_form.html", {"form": form, "person": None})


@org_view(Perm.MANAGE_PROGRAM)
def person_edit(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id, write=True)
    initial = PersonForm.initial_for(person, settings.TIME_ZONE)
    form = PersonForm(request.POST or None, initial=initial, organization=request.org)
    if request.method == "POST" and form.is_valid() and _save_person(request, form, person) is not None:
        return redirect("workforce:person_detail", request.org.slug, person.public_id)
    return render(request, "workforce/person_form.html", {"form": form, "person": person})


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def issued_item_create(request: OrgRequest, person_id: UUID) -> HttpResponse:
    person = get_person_for_user(request.membership, person_id, write=True)
    form = IssuedItemForm(request.POST)
    if form.is_valid():
        try:
            item = services.item_issue(
                organization=request.org, actor=Actor.from_request(request), person=person, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Recorded {item} as issued.")
            return redirect("workforce:person_detail", request.org.slug, person.public_id)
    return _detail(request, person, form)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def issued_item_recover(request: OrgRequest, issued_item_id: UUID) -> HttpResponse:
    item = get_issued_item_for_user(request.membership, issued_item_id, write=True)
    form = RecoverForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        services.item_recover(organization=request.org, actor=Actor.from_request(request), item=item, note=note)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Recorded {item} as recovered.")
    return redirect("workforce:person_detail", request.org.slug, item.person.public_id)


# ---- the HR file and its sources ----------------------------------------------------------------------------


@org_view(Perm.MANAGE_PROGRAM)
def roster_import(request: OrgRequest) -> HttpResponse:
    has_people = Person.objects.filter(organization=request.org).exists()
    posted = request.method == "POST"
    form = RosterImportForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        organization=request.org,
        initial={"initial_load": not has_people},
    )
    if posted and form.is_valid():
        actor, data = Actor.from_request(request), form.cleaned_data
        try:
            with transaction.atomic():
                source = data["source"] or services.roster_source_create(
                    organization=request.org, actor=actor, name=data["new_source_name"], time_zone=data["time_zone"]
                )
                job = import_start(
                    organization=request.org,
                    actor=actor,
                    kind=KIND,
                    upload=data["file"],
                    options={"source": str(source.public_id), "initial_load": data["initial_load"]},
                )
        except ServiceError as error:
            show_service_error(form, error, {"name": "new_source_name", "options": "source"})
        else:
            return redirect("core:file_import_detail", request.org.slug, job.public_id)
    recent = FileImport.objects.filter(organization=request.org, kind=KIND).select_related("created_by")
    context = {"form": form, "recent": recent.order_by("-created_at")[:RECENT_IMPORTS], "has_people": has_people}
    return render(request, "workforce/roster_import.html", context)


@org_view(Perm.VIEW_PROGRAM)
def roster_source_list(request: OrgRequest) -> HttpResponse:
    sources = RosterSource.objects.filter(organization=request.org).order_by("name")
    context = {"sources": sources, "can_manage": request.membership.has(Perm.MANAGE_PROGRAM)}
    return render(request, "workforce/roster_source_list.html", context)


@org_view(Perm.MANAGE_PROGRAM)
def roster_source_edit(request: OrgRequest, source_id: UUID) -> HttpResponse:
    source = get_roster_source_for_user(request.membership, source_id, write=True)
    form = RosterSourceForm(request.POST or None, initial={"name": source.name, "time_zone": source.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            services.roster_source_update(
                organization=request.org, actor=Actor.from_request(request), source=source, **form.cleaned_data
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved {source.name}.")
            return redirect("workforce:roster_source_list", request.org.slug)
    return render(request, "workforce/roster_source_form.html", {"form": form, "source": source})
