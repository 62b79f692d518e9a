"""The risk method page and the threat/vulnerability library pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk import forms_analyses as forms
from safeguard.risk.access import get_threat_for_user, get_vulnerability_for_user
from safeguard.risk.models import Threat, ThreatSource, Vulnerability, VulnerabilityArea
from safeguard.risk.scoring import Method, level_names, matrix
from safeguard.risk.services import library as services
from safeguard.risk.services.method import method_as_dict, method_for, method_update

PAGE_SIZE = 50
TABS = {"threats": "Threats", "vulnerabilities": "Vulnerabilities"}
SHOW = {"active": "Active", "inactive": "Deactivated", "all": "All"}
HEATS = 4  # colour steps above the lowest: CSS classes heat-0 … heat-4


# --- the method ------------------------------------------------------------------------------------


def heat_of(method: Method, level: str) -> int | None:
    """A level's colour step, spreading the method's levels over heat-0 (lowest) … heat-4 (highest)."""
    names = level_names(method)
    if level not in names:
        return None
    return round(names.index(level) * HEATS / max(len(names) - 1, 1))


def matrix_rows(method: Method) -> list[dict[str, Any]]:
    """The matrix as the templates draw it: rows from the highest likelihood down, impacts ascending."""
    likelihoods = sorted(method["likelihood_levels"], key=lambda level: int(level["value"]), reverse=True)
    return [
        {
            "likelihood": level["value"],
            "label": level["label"],
            "cells": [{"score": r.score, "label": r.label, "heat": heat_of(method, r.level)} for r in row],
        }
        for level, row in zip(likelihoods, matrix(method), strict=True)
    ]


@org_view(Perm.VIEW_PROGRAM)
def method_edit(request: OrgRequest) -> HttpResponse:
    """Everyone in the program reads the method; program managers change it."""
    manage = request.membership.has(Perm.MANAGE_PROGRAM)
    posted = request.method == "POST"
    if posted and not manage:
        raise PermissionDenied("Your role does not allow changing the risk method.")
    current = method_for(request.org)
    method = method_as_dict(current)
    initial = {"reanalysis_months": current.reanalysis_months, "methodology": current.methodology}
    switching = posted and request.POST.get("action") == "profile"
    profile_form = forms.ProfileForm(request.POST if switching else None, initial={"profile": current.profile})
    form = forms.MethodForm(request.POST if posted and not switching else None, method=method, initial=initial)
    bound = profile_form if switching else form
    if posted and bound.is_valid():
        actor = Actor.from_request(request)
        try:
            if switching:
                method_update(organization=request.org, actor=actor, profile=profile_form.cleaned_data["profile"])
            else:
                method_update(organization=request.org, actor=actor, **form.definition())
        except ServiceError as error:
            show_service_error(bound, error)
        else:
            messages.success(request, "Saved. Analyses already started keep the method they started with.")
            return redirect("risk:method_edit", request.org.slug)
    context = {
        "form": form,
        "profile_form": profile_form,
        "method": method,
        "current": current,
        "matrix": matrix_rows(method),
        "can_manage": manage,
        "scale_rows": [
            ("Likelihood levels", form.scale_rows("likelihood")),
            ("Impact levels", form.scale_rows("impact")),
        ],
        "threshold_rows": form.threshold_rows(),
        "settings_fields": [form[name] for name in ("treatment_threshold", "reanalysis_months", "methodology")],
    }
    return render(request, "risk/method_edit.html", context)


# --- the library ------------------------------------------------------------------------------------------------


@org_view(Perm.VIEW_PROGRAM)
def library(request: OrgRequest) -> HttpResponse:
    """Reading the library changes nothing: the starter set is added by starting an analysis or by library_seed."""
    manage = request.membership.has(Perm.MANAGE_PROGRAM)
    tab = request.GET.get("tab", "threats")
    tab = tab if tab in TABS else "threats"
    show = request.GET.get("show", "active")
    show = show if show in SHOW else "active"
    model: type[Threat] | type[Vulnerability] = Threat if tab == "threats" else Vulnerability
    category = "source_type" if tab == "threats" else "area"
    choices = ThreatSource.choices if tab == "threats" else VulnerabilityArea.choices
    picked = request.GET.get("category", "")
    picked = picked if picked in dict(choices) else ""
    entries = model.objects.filter(organization=request.org)
    counts = entries.aggregate(
        active=Count("pk", filter=Q(is_active=True)), inactive=Count("pk", filter=Q(is_active=False)), all=Count("pk")
    )
    if show != "all":
        entries = entries.filter(is_active=show == "active")
    if picked:
        entries = entries.filter(**{category: picked})
    page = Paginator(entries.order_by(category, "name", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    labels = dict(choices)
    for entry in page.object_list:
        entry.category_label = labels.get(getattr(entry, category), "")  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "tab": tab,
        "tabs": TABS.items(),
        "show": show,
        "shows": [(key, label, counts[key]) for key, label in SHOW.items()],
        "categories": choices,
        "category": picked,
        "page": page,
        "can_manage": manage,
        "starters_missing": sum(map(len, services.starters_missing(request.org))) if manage else 0,
    }
    return render(request, "risk/library_list.html", context)


@require_POST
@org_view(Perm.MANAGE_PROGRAM)
def library_seed(request: OrgRequest) -> HttpResponse:
    """Add the starter entries the library lacks (all of them the first time; later, any new in a release)."""
    added = services.library_seed(organization=request.org, actor=Actor.from_request(request))
    if added:
        messages.success(request, f"Added {added} starter entries to the library. Edit or deactivate any of them.")
    else:
        messages.info(request, "The library already has every starter entry.")
    return redirect("risk:library", request.org.slug)


def _entry_form(request: OrgRequest, kind: str, entry: Threat | Vulnerability | None) -> HttpResponse:
    form_class: type[forms.ThreatForm] | type[forms.VulnerabilityForm]
    form_class = forms.ThreatForm if kind == "threat" else forms.VulnerabilityForm
    fields = ("name", "source_type" if kind == "threat" else "area", "description", "is_active")
    initial = {name: getattr(entry, name) for name in fields} if entry is not None else None
    posted = request.method == "POST"
    form = form_class(request.POST if posted else None, initial=initial)
    if entry is None:
        del form.fields["is_active"]
    if posted and form.is_valid():
        actor = Actor.from_request(request)
        try:
            saved = _save(request, kind, entry, actor, form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, f"Saved “{saved.name}”.")
            return redirect(_library_url(request, kind))
    return render(request, "risk/library_form.html", {"form": form, "kind": kind, "entry": entry})


def _save(
    request: OrgRequest, kind: str, entry: Threat | Vulnerability | None, actor: Actor, data: dict[str, Any]
) -> Threat | Vulnerability:
    org = request.org
    if kind == "threat":
        if isinstance(entry, Threat):
            return services.threat_update(organization=org, actor=actor, threat=entry, **data)
        return services.threat_create(organization=org, actor=actor, **data)
    if isinstance(entry, Vulnerability):
        return services.vulnerability_update(organization=org, actor=actor, vulnerability=entry, **data)
    return services.vulnerability_create(organization=org, actor=actor, **data)


def _library_url(request: OrgRequest, kind: str) -> str:
    tab = "threats" if kind == "threat" else "vulnerabilities"
    return f"{reverse('risk:library', args=[request.org.slug])}?tab={tab}"


@org_view(Perm.MANAGE_PROGRAM)
def threat_create(request: OrgRequest) -> HttpResponse:
    return _entry_form(request, "threat", None)


@org_view(Perm.MANAGE_PROGRAM)
def threat_edit(request: OrgRequest, threat_id: UUID) -> HttpResponse:
    return _entry_form(request, "threat", get_threat_for_user(request.membership, threat_id, write=True))


@org_view(Perm.MANAGE_PROGRAM)
def vulnerability_create(request: OrgRequest) -> HttpResponse:
    return _entry_form(request, "vulnerability", None)


@org_view(Perm.MANAGE_PROGRAM)
def vulnerability_edit(request: OrgRequest, vulnerability_id: UUID) -> HttpResponse:
    entry = get_vulnerability_for_user(request.membership, vulnerability_id, write=True)
    return _entry_form(request, "vulnerability", entry)
