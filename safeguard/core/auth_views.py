"""Sign-in pages: password, one-time code, MFA enrollment and recovery codes, the account page, lockout.

A user with an authenticator app is not signed in after the password alone: the session holds a pending sign-in
until the code is checked, and only then does Django's login run (followed by django-otp's, which marks the
session verified).
"""

from __future__ import annotations

import base64
import time
from typing import Any, cast
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import views as django_auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from safeguard.core.audit import Actor
from safeguard.core.forms import show_service_error
from safeguard.core.forms_auth import CodeForm, LoginForm, ResetForm, TotpCodeForm
from safeguard.core.models import User
from safeguard.core.org_views import mfa_verified
from safeguard.core.services import accounts
from safeguard.core.services.errors import ServiceError
from safeguard.core.signals_auth import sign_in_audited_here

PENDING_USER = "auth_pending_user"
PENDING_BACKEND = "auth_pending_backend"
PENDING_SINCE = "auth_pending_since"
CODE_FAILURES = "auth_code_failures"
PENDING_SECONDS = 10 * 60
MAX_CODE_FAILURES = 5


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """django-axes calls this (AXES_LOCKOUT_CALLABLE) once an email/address pair has too many failures."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    next_url = _next_url(request)
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            return _password_accepted(request, form.get_user(), next_url)
        locked = bool(getattr(request, "axes_locked_out", False))
        accounts.login_record_failure(ip=_ip(request), email=request.POST.get("username", ""), locked_out=locked)
    return render(request, "registration/login.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
def mfa_verify(request: HttpRequest) -> HttpResponse:
    """The second step: for a pending sign-in, or for a signed-in session an organization wants verified."""
    next_url = _next_url(request)
    user, pending = _user_to_verify(request)
    if user is None:
        return redirect(_with_next(resolve_url(settings.LOGIN_URL), next_url))
    if not pending and mfa_verified(request):
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if accounts.confirmed_totp_device(user) is None:
        if pending:
            _forget_pending(request)
            return redirect(settings.LOGIN_URL)
        return redirect(_with_next(reverse("mfa_setup"), next_url))
    if AxesProxyHandler.is_locked(request, {"username": user.email}):
        auth.logout(request)
        return lockout_response(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = accounts.mfa_check_code(actor=Actor(user, ip=_ip(request)), user=user, code=form.cleaned_data["code"])
        if check.device is not None:
            return _code_accepted(request, user, check.device, next_url)
        if not check.wait_seconds and (stop := _code_refused(request, user)) is not None:
            return stop
        form.add_error("code", accounts.refusal_message(check))
    return render(request, "core/account/mfa_verify.html", {"form": form, "next": next_url})


@login_required
@sensitive_post_parameters("code")
@never_cache
def mfa_setup(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    next_url = _next_url(request)
    if accounts.confirmed_totp_device(user) is not None and not mfa_verified(request):
        # Replacing the app needs a session verified with the current one (or a recovery code).
        return redirect(_with_next(reverse("mfa_verify"), request.get_full_path()))
    actor = Actor.from_request(request)
    device = accounts.mfa_device_start(actor=actor, user=user)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = accounts.mfa_enroll(actor=actor, user=user, device=device, code=form.cleaned_data["code"])
        except ServiceError as error:
            _add_error(form, error)
        else:
            otp_login(request, device)
            return _show_recovery_codes(request, codes, next_url)
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": _qr_svg(device),
        "secret": _secret(device),
        "replacing": accounts.confirmed_totp_device(user) is not None,
    }
    return render(request, "core/account/mfa_setup.html", context)


@login_required
@sensitive_post_parameters("code")
@never_cache
def mfa_recovery_codes(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    if accounts.confirmed_totp_device(user) is None:
        return redirect("mfa_setup")
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = accounts.recovery_codes_regenerate(
                actor=Actor.from_request(request), user=user, code=form.cleaned_data["code"]
            )
        except ServiceError as error:
            _add_error(form, error)
        else:
            return _show_recovery_codes(request, codes, "")
    context = {"form": form, "codes_left": accounts.recovery_codes_left(user)}
    return render(request, "core/account/recovery_codes_regenerate.html", context)


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = cast(User, request.user)
    device = accounts.confirmed_totp_device(user)
    context = {
        "mfa_device": device,
        "codes_left": accounts.recovery_codes_left(user) if device else 0,
        "verified": mfa_verified(request),
    }
    return render(request, "core/account/account.html", context)


class PasswordChangeView(django_auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form: Any) -> HttpResponse:
        revoked = accounts.password_change(
            actor=Actor.from_request(self.request), user=form.user, password=form.cleaned_data["new_password1"]
        )
        auth.update_session_auth_hash(self.request, form.user)
        messages.success(
            self.request, f"Your password was changed. Your other sessions were signed out.{_revoked_note(revoked)}"
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetView(django_auth_views.PasswordResetView):
    form_class = ResetForm
    subject_template_name = "registration/password_reset_subject.txt"


@method_decorator(sensitive_post_parameters("new_password1", "new_password2"), name="dispatch")
class PasswordResetConfirmView(django_auth_views.PasswordResetConfirmView):
    def form_valid(self, form: Any) -> HttpResponse:
        user = form.user
        revoked = accounts.password_reset_complete(
            actor=Actor(user, ip=_ip(self.request)), user=user, password=form.cleaned_data["new_password1"]
        )
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        if revoked.anything:
            messages.info(self.request, _revoked_note(revoked).strip())
        return HttpResponseRedirect(self.get_success_url())


def _revoked_note(revoked: accounts.Revoked) -> str:
    """What the change revoked, as a sentence to append to its confirmation ("" when there was nothing)."""
    parts = []
    if revoked.api_tokens:
        parts.append(f"{revoked.api_tokens} API token{'s' if revoked.api_tokens != 1 else ''}")
    if revoked.calendar_feed:
        parts.append("your calendar feed address")
    if not parts:
        return ""
    return f" Also revoked, in case someone else had them: {' and '.join(parts)}. Make new ones where you need them."


def _password_accepted(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    if accounts.confirmed_totp_device(user) is None:
        sign_in_audited_here(request)
        auth.login(request, user)
        accounts.login_record_success(actor=Actor.from_request(request), user=user, method="password")
        return redirect(next_url or settings.LOGIN_REDIRECT_URL)
    if request.user.is_authenticated and request.user.pk != user.pk:
        auth.logout(request)
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_BACKEND] = getattr(user, "backend", settings.AUTHENTICATION_BACKENDS[-1])
    request.session[PENDING_SINCE] = int(time.time())
    request.session[CODE_FAILURES] = 0
    return redirect(_with_next(reverse("mfa_verify"), next_url))


def _user_to_verify(request: HttpRequest) -> tuple[User | None, bool]:
    """(the user the code is for, whether their sign-in is still pending)."""
    pending_pk = request.session.get(PENDING_USER)
    if pending_pk is not None:
        fresh = int(time.time()) - int(request.session.get(PENDING_SINCE, 0)) <= PENDING_SECONDS
        user = User.objects.filter(pk=pending_pk, is_active=True).first() if fresh else None
        if user is not None:
            return user, True
        _forget_pending(request)
        messages.info(request, "The sign-in took too long. Sign in again.")
    if request.user.is_authenticated:
        return cast(User, request.user), False
    return None, False


def _code_accepted(request: HttpRequest, user: User, device: Device, next_url: str) -> HttpResponse:
    backend = request.session.get(PENDING_BACKEND, settings.AUTHENTICATION_BACKENDS[-1])
    _forget_pending(request)
    if not request.user.is_authenticated or request.user.pk != user.pk:
        sign_in_audited_here(request)
        auth.login(request, user, backend=backend)
    otp_login(request, device)
    used_recovery = isinstance(device, StaticDevice)
    accounts.login_record_success(
        actor=Actor.from_request(request), user=user, method="recovery_code" if used_recovery else "totp"
    )
    if used_recovery:
        left = accounts.recovery_codes_left(user)
        messages.warning(
            request,
            f"You signed in with a recovery code; {left} left. If you lost your phone, set up the app again.",
        )
    return redirect(next_url or settings.LOGIN_REDIRECT_URL)


def _code_refused(request: HttpRequest, user: User) -> HttpResponse | None:
    """Count a wrong code toward the email/address lockout and the session's own limit; sign out at either."""
    failures = int(request.session.get(CODE_FAILURES, 0)) + 1
    request.session[CODE_FAILURES] = failures
    user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)
    if getattr(request, "axes_locked_out", False):
        auth.logout(request)
        return lockout_response(request)
    if failures >= MAX_CODE_FAILURES:
        auth.logout(request)
        messages.error(request, "You were signed out after too many wrong codes. Sign in again.")
        return redirect(settings.LOGIN_URL)
    return None


def _forget_pending(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_BACKEND, PENDING_SINCE, CODE_FAILURES):
        request.session.pop(key, None)


def _show_recovery_codes(request: HttpRequest, codes: list[str], next_url: str) -> HttpResponse:
    """Shown once, in the response to the POST that made them; never stored for later display."""
    shown = [accounts.format_recovery_code(code) for code in codes]
    return render(request, "core/account/recovery_codes.html", {"codes": shown, "next": next_url})


def _next_url(request: HttpRequest) -> str:
    """The `next` parameter if it stays on this site, else ""."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return candidate if candidate and safe else ""


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def _add_error(form: Form, error: ServiceError) -> None:
    show_service_error(form, error)


def _qr_svg(device: TOTPDevice) -> SafeString:
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, border=2, dark="#000", light="#fff", title="QR code for your authenticator app"
    )
    # segno writes the markup itself from our own otpauth:// URL; nothing in it comes from another user.
    return mark_safe(svg)  # noqa: S308


def _secret(device: TOTPDevice) -> str:
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
