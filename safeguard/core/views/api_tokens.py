"""Personal API tokens: list your own, create one (its secret is shown once), revoke one."""

from __future__ import annotations

from datetime import timedelta
from typing import cast
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.models import ApiToken, User
from safeguard.core.org_views import mfa_verified
from safeguard.core.services import api_tokens as services
from safeguard.core.services.errors import ServiceError

PAGE_SIZE = 50
LIFETIMES = [("30", "30 days"), ("90", "90 days"), ("365", "One year"), ("never", "Never (revoke it yourself)")]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What will use it, e.g. “backup monitor”.")
    lifetime = forms.ChoiceField(choices=LIFETIMES, initial="90", label="Expires after")


def _mfa_missing(request: HttpRequest) -> bool:
    """A token skips the one-time code on every use, so only a session that passed MFA may make one
    when any of the user's organizations requires MFA."""
    return not mfa_verified(request) and services.token_needs_mfa(cast(User, request.user))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    form = TokenForm(request.POST or None)
    secret = ""
    if request.method == "POST" and _mfa_missing(request):
        return redirect(f"{reverse('mfa_verify')}?{urlencode({'next': request.path})}")
    if request.method == "POST" and form.is_valid():
        lifetime = form.cleaned_data["lifetime"]
        expires_at = None if lifetime == "never" else timezone.now() + timedelta(days=int(lifetime))
        try:
            _, secret = services.api_token_create(
                user=user,
                actor=Actor.from_request(request),
                name=form.cleaned_data["name"],
                mfa_verified=mfa_verified(request),
                expires_at=expires_at,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            form = TokenForm()
    rows = ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
    context = {
        "form": form,
        "secret": secret,
        "page": Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page")),
        "now": timezone.now(),
        "mfa_missing": _mfa_missing(request),
        "session_verified": mfa_verified(request),
    }
    return render(request, "core/api_tokens/list.html", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: UUID) -> HttpResponse:
    user = cast(User, request.user)
    token = ApiToken.objects.filter(user=user, public_id=token_id).first()
    if token is None:
        raise Http404("No such token.")
    try:
        services.api_token_revoke(user=user, actor=Actor.from_request(request), token=token)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Revoked “{token.name}”: requests with it are refused from now on.")
    return redirect("api_tokens")
