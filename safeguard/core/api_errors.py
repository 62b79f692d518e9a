"""One error envelope for the API: {"error": {"code", "message", "fields": {path: [messages]}}}.

A ServiceError from a service (a rule refused the change; nothing was written) becomes a 400 with code "invalid"
and, when the service named the input at fault, that field's message.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from safeguard.core.services.errors import ServiceError


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        out = {}
        for index, value in enumerate(detail):
            out.update(_flatten(value, f"{prefix}[{index}]"))
        return out
    return {prefix or "non_field_errors": [str(detail)]}


def _code(exc: Exception, data: Any) -> str:
    # Django's own exceptions reach DRF unconverted here; name them as DRF would.
    if isinstance(exc, Http404):
        return "not_found"
    if isinstance(exc, PermissionDenied):
        return "permission_denied"
    detail = data.get("detail") if isinstance(data, dict) else None
    return str(getattr(detail, "code", None) or getattr(exc, "default_code", "error"))


def service_error_response(exc: ServiceError) -> Response:
    fields = {exc.field: [exc.message]} if exc.field else {}
    return Response(
        {"error": {"code": "invalid", "message": exc.message, "fields": fields}}, status=status.HTTP_400_BAD_REQUEST
    )


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        set_rollback()
        return service_error_response(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    code = _code(exc, data)
    body: dict[str, Any]
    if isinstance(data, dict) and set(data) == {"detail"}:
        body = {"code": code, "message": str(data["detail"]), "fields": {}}
    else:
        body = {"code": code, "message": "The request is invalid.", "fields": _flatten(data)}
    response.data = {"error": body}
    return response
