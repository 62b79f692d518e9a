"""The contingency settings page: program viewers read it, program managers change it (the cadences and the
grace shape the program's duties, like its other settings the security official keeps)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render

from safeguard.contingency.forms_criticality import SettingsForm
from safeguard.contingency.services.settings import SETTINGS_FIELDS, contingency_settings, settings_update
from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError


@org_view(Perm.VIEW_PROGRAM)
def settings_edit(request: OrgRequest) -> HttpResponse:
    current = contingency_settings(request.org)
    can_manage = request.membership.has(Perm.MANAGE_PROGRAM)
    posted = request.method == "POST"
    if posted and not can_manage:
        raise PermissionDenied("Only program managers can change the contingency settings.")
    form = SettingsForm(request.POST if posted else None, initial={n: getattr(current, n) for n in SETTINGS_FIELDS})
    if posted and form.is_valid():
        try:
            settings_update(organization=request.org, actor=Actor.from_request(request), **form.cleaned_data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            messages.success(request, "Saved the contingency settings.")
            return redirect("contingency:settings_edit", request.org.slug)
    if not can_manage:
        for field in form.fields.values():
            field.disabled = True
    return render(request, "contingency/settings_form.html", {"form": form, "can_manage": can_manage})
