"""`Authorization: Bearer sgb_…`: a backup hook token, taken by the post-job hook's POST only (every other endpoint
authenticates people, and answers 401 to this key). The token acts for no user."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from safeguard.contingency.models import BackupHookToken
from safeguard.contingency.services.hook_tokens import TOKEN_PREFIX, hook_token_find


class BackupHookTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, BackupHookToken] | None:
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if len(header) != 2 or header[0] != self.keyword or not header[1].startswith(TOKEN_PREFIX):
            return None  # a personal token, or none: the next authentication class decides
        token = hook_token_find(header[1])
        if token is None:
            raise exceptions.AuthenticationFailed("Unknown backup hook token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                f"This backup hook token was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC: make a new one under "
                "Contingency → Backups → Backup tool tokens."
            )
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class BackupHookTokenScheme(OpenApiAuthenticationExtension):
    target_class = "safeguard.contingency.api.hook_token_auth.BackupHookTokenAuthentication"
    name = "backupHookToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return build_bearer_security_scheme_object(
            header_name="Authorization",
            token_prefix="Bearer",  # noqa: S106  (the scheme's name, not a secret)
            bearer_format=f"{TOKEN_PREFIX}… (a backup hook token: records backup runs, nothing else)",
        )


class MemberOrHookToken(permissions.BasePermission):
    """A signed-in member (their role is checked by the view), or a backup hook token."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated) or isinstance(request.auth, BackupHookToken)
