"""The organization's settings: name, kind, MFA, and the applicability facts behind "not applicable" verdicts."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from safeguard.core.audit import Actor
from safeguard.core.forms.administration import OrgSettingsForm
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services import organizations as services
from safeguard.core.services.errors import ServiceError
from safeguard.core.views.members import show_error


@org_view(Perm.MANAGE_ORG)
def org_settings(request: OrgRequest) -> HttpResponse:
    org = request.org
    initial = {field: getattr(org, field) for field in services.SETTINGS_FIELDS}
    form = OrgSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.org_update_settings(organization=org, actor=Actor.from_request(request), **form.cleaned_data)
        except ServiceError as error:
            show_error(form, error)
        else:
            changed = [name for name, value in form.cleaned_data.items() if initial[name] != value]
            messages.success(request, "Settings saved." if changed else "Nothing changed.")
            return redirect("core:org_settings", org.slug)
    return render(request, "core/administration/settings.html", {"form": form})
