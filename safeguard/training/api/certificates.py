"""Verifying a certificate over the API: a program viewer posts the code printed on a certificate and learns
whether Safeguard issued it for this organization, the facts it signs and how the record compares today."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView
from safeguard.core.api.permissions import api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm
from safeguard.training.api.completions import CompletionCourseRefSerializer, CompletionPersonRefSerializer
from safeguard.training.certificate_codes import CODE_MAX, CertificateCheck, certificate_check

TAGS = ["training completions"]


class CertificateVerifySerializer(serializers.Serializer):
    code = serializers.CharField(
        max_length=CODE_MAX * 2, help_text="The code printed on the certificate; spaces and line breaks are ignored."
    )


class CertificateFactsSerializer(serializers.Serializer):
    completion_id = serializers.UUIDField()
    employee_id = serializers.CharField()
    course_code = serializers.CharField()
    course_version = serializers.IntegerField()
    completed_at = serializers.CharField(help_text="The completion moment in UTC, ISO 8601, as signed.")
    score = serializers.IntegerField(allow_null=True)


class CertificateRecordSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    person = CompletionPersonRefSerializer()
    course = CompletionCourseRefSerializer()


class CertificateCheckSerializer(serializers.Serializer):
    valid = serializers.BooleanField(help_text="Safeguard signed this code for this organization.")
    facts = CertificateFactsSerializer(allow_null=True, help_text="What the code attests; null when not valid.")
    on_record = serializers.BooleanField(help_text="The completion it names is still on record.")
    matches_record = serializers.BooleanField(help_text="The record still shows every signed fact.")
    differences = serializers.ListField(
        child=serializers.CharField(), help_text="Names of the signed facts the record now shows differently."
    )
    completion = CertificateRecordSerializer(allow_null=True, help_text="The record, when still on record.")


def check_body(check: CertificateCheck) -> dict[str, Any]:
    return {
        "valid": check.valid,
        "facts": check.facts,
        "on_record": check.on_record,
        "matches_record": check.matches_record,
        "differences": check.differences,
        "completion": check.completion,
    }


class CertificateVerifyView(ApiView):
    @extend_schema(
        summary="Verify a certificate",
        description="Post the verification code printed on a certificate. The answer says whether Safeguard "
        "signed it for this organization (a code changed by one character, cut short or made for another "
        "organization is not valid), the facts it signs (completion id, employee id, course code and version, "
        "completion moment in UTC, score) and whether the completion is still on record with the same facts. "
        "Needs the view-program permission.",
        request=CertificateVerifySerializer,
        responses={200: CertificateCheckSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_PROGRAM)
        values = CertificateVerifySerializer(data=request.data)
        values.is_valid(raise_exception=True)
        check = certificate_check(membership.organization, values.validated_data["code"])
        return Response(CertificateCheckSerializer(check_body(check)).data)
