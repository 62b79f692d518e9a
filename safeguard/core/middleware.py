import time
from collections.abc import Callable
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from safeguard.core.audit import Actor
from safeguard.core.models import User
from safeguard.core.services.accounts import session_expired_record
from safeguard.core.signals_auth import sign_out_audited_here


class IdleSessionMiddleware:
    """Sign out a session that has been idle longer than SESSION_IDLE_MINUTES, and audit it as expired."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and "_auth_user_id" in request.session:
            now = int(time.time())
            last_seen = request.session.get("last_seen", now)
            if now - int(last_seen) > settings.SESSION_IDLE_MINUTES * 60:
                user = cast(User, request.user)
                sign_out_audited_here(request)
                logout(request)
                session_expired_record(
                    actor=Actor(user, ip=request.META.get("REMOTE_ADDR")),
                    user=user,
                    idle_minutes=settings.SESSION_IDLE_MINUTES,
                )
                messages.info(
                    request,
                    f"You were signed out after {settings.SESSION_IDLE_MINUTES} minutes without activity.",
                )
            else:
                request.session["last_seen"] = now
        return self.get_response(request)
