"""Audit sign-ins and sign-outs that happen outside Safeguard's own sign-in pages (the admin site, Django's logout).

Safeguard's pages record their own events, with details a signal cannot carry (how the second factor was given,
an idle timeout), and say so with `sign_in_audited_here` / `sign_out_audited_here` before calling Django's login or
logout; the receivers then stay quiet, so no sign-in is recorded twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp.plugins.otp_static.models import StaticDevice

from safeguard.core.audit import Actor
from safeguard.core.models import User
from safeguard.core.services import accounts

SIGN_IN_AUDITED = "_safeguard_sign_in_audited"
SIGN_OUT_AUDITED = "_safeguard_sign_out_audited"


def sign_in_audited_here(request: HttpRequest) -> None:
    """The caller records this request's next sign-in itself."""
    setattr(request, SIGN_IN_AUDITED, True)


def sign_out_audited_here(request: HttpRequest) -> None:
    """The caller records this request's next sign-out itself."""
    setattr(request, SIGN_OUT_AUDITED, True)


def _audited_elsewhere(request: HttpRequest, marker: str) -> bool:
    """Whether someone else records this event: the calling page did, or no page is being served at all.

    A request that no URL resolved (the test client's force_login/login/logout, code run from a shell) has no person
    behind a browser; there is nothing to record. Middleware runs before the URL is resolved, so a middleware that
    signs someone out records it itself (IdleSessionMiddleware does).
    """
    if getattr(request, marker, False):
        delattr(request, marker)  # the mark covers one event: a later one in the same request is still recorded
        return True
    return request.resolver_match is None


def _second_factor(user: User) -> str:
    """How an OTP-aware sign-in form (the admin site's) checked the second factor, if it did."""
    device = getattr(user, "otp_device", None)
    if device is None:
        return "password"
    return "recovery_code" if isinstance(device, StaticDevice) else "totp"


@receiver(user_logged_in, dispatch_uid="safeguard_audit_sign_in")
def audit_sign_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or _audited_elsewhere(request, SIGN_IN_AUDITED):
        return
    accounts.login_record_success(
        actor=Actor(user, ip=request.META.get("REMOTE_ADDR")), user=user, method=_second_factor(user), path=request.path
    )


@receiver(user_logged_out, dispatch_uid="safeguard_audit_sign_out")
def audit_sign_out(sender: Any, request: HttpRequest | None, user: User | None, **kwargs: Any) -> None:
    if request is None or user is None or _audited_elsewhere(request, SIGN_OUT_AUDITED):
        return  # user is None when the session was not signed in
    accounts.logout_record(actor=Actor(user, ip=request.META.get("REMOTE_ADDR")), user=user)
