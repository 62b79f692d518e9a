"""SCIM token pages: the endpoint to give the identity provider, the organization's tokens, create one (its
secret is shown once), revoke one. Tokens are organization settings: owners manage them (manage-org)."""

from __future__ import annotations

from typing import cast
from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import User
from safeguard.core.org_views import OrgRequest, org_view
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.access import get_scim_token_for_user
from safeguard.workforce.forms_scim import ScimTokenForm
from safeguard.workforce.models import ScimToken
from safeguard.workforce.scim import base_url
from safeguard.workforce.services import scim_tokens as services

PAGE_SIZE = 50


@org_view(Perm.MANAGE_ORG)
def scim_token_list(request: OrgRequest) -> HttpResponse:
    tokens = ScimToken.objects.filter(organization=request.org).select_related("created_by").order_by("-pk")
    context = {
        "page": Paginator(tokens, PAGE_SIZE).get_page(request.GET.get("page")),
        "base_url": base_url(request, request.org.slug),
    }
    return render(request, "workforce/scim_token_list.html", context)


@never_cache
@org_view(Perm.MANAGE_ORG)
def scim_token_create(request: OrgRequest) -> HttpResponse:
    form = ScimTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.scim_token_create(
                organization=request.org,
                actor=Actor.from_request(request),
                created_by=cast(User, request.user),
                name=form.cleaned_data["name"],
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            context = {"token": token, "secret": secret, "base_url": base_url(request, request.org.slug)}
            return render(request, "workforce/scim_token_created.html", context)
    return render(request, "workforce/scim_token_create.html", {"form": form})


@require_POST
@org_view(Perm.MANAGE_ORG)
def scim_token_revoke(request: OrgRequest, token_id: UUID) -> HttpResponse:
    token = get_scim_token_for_user(request.membership, token_id)
    try:
        services.scim_token_revoke(organization=request.org, actor=Actor.from_request(request), token=token)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Revoked “{token.name}”: the identity provider's requests are refused from now on.")
    return redirect("workforce:scim_token_list", request.org.slug)
