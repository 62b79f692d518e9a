"""Serializers every area shares: the error envelope (for the schema) and a person reference."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, permission_denied, mfa_required, …")
    message = serializers.CharField(help_text="One sentence for a person.")
    fields = serializers.DictField(  # type: ignore[assignment]  # named like a Serializer attribute
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Input path (e.g. 'expires_on' or 'items[0].name') → messages.",
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


_ERROR_TEXT = {
    400: "The input was malformed, or a rule refused the change (nothing was written).",
    401: "No valid API token (or session) was presented.",
    403: (
        "Your role in this organization does not allow this, or (code mfa_required) the organization requires MFA"
        " and this session or token has not passed it."
    ),
    404: "No such organization for you, or no such record in it.",
}


def error_responses(*codes: int) -> dict[int, Any]:
    """The envelope for 401 and each given status code, to merge into extend_schema(responses=...)."""
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_TEXT[code]) for code in sorted({401, *codes})}


class PersonSerializer(serializers.Serializer):
    public_id = serializers.UUIDField(read_only=True)
    email = serializers.EmailField(read_only=True)
    name = serializers.CharField(source="get_full_name", read_only=True)
