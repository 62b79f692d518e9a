"""Output shapes every risk API area shares: a signature and a reference to a named record."""

from __future__ import annotations

from rest_framework import serializers

from safeguard.core.api.serializers import PersonSerializer
from safeguard.core.models import Signature


class SignatureSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    meaning = serializers.ChoiceField(choices=Signature.Meaning.choices)
    signer = PersonSerializer()
    signer_role = serializers.CharField(help_text="The signer's role when they signed.")
    statement = serializers.CharField()
    content_sha256 = serializers.CharField(help_text="SHA-256 of the content signed.")
    signed_at = serializers.DateTimeField()


class NamedRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
