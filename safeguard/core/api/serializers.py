"""Serializers every area shares: the error envelope (for the schema), a person reference and a time that must
carry its UTC offset."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class AwareDateTimeField(serializers.DateTimeField):
    """A moment with its UTC offset: a wall-clock time alone would be guessed in the server's zone, and a delay
    measured from it could be an hour off across a daylight-saving change."""

    def enforce_timezone(self, value: datetime) -> datetime:
        if timezone.is_naive(value):
            raise serializers.ValidationError("Give the time with its UTC offset, e.g. 2026-03-01T14:30:00-05:00.")
        return super().enforce_timezone(value)


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
