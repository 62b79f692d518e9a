"""Detection rules over the API: list (filters by mode and kind), read, upload Sigma YAML (all or nothing),
change the mode, overrides, suppression or YAML, delete custom rules; validate YAML without saving; test YAML on
a sample file (in the background: 202 with the test's address, which answers its state, progress and result);
install or update the HIPAA pack. View-activity reads; manage-activity changes. The same services and queries as
the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.activity.access import get_rule, get_rule_test, get_source
from safeguard.activity.engine import RuleError
from safeguard.activity.models import DetectionRule, RuleTest, SourceFormat
from safeguard.activity.rules_queries import rule_with_counts, rules_listed
from safeguard.activity.services import rules as services
from safeguard.activity.services.rule_pack import rule_pack_install
from safeguard.activity.services.rule_testing import rule_test_start
from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.roles import Perm

TAGS = ["activity rules"]


class DetectionRuleProblemSerializer(serializers.Serializer):
    rule = serializers.CharField(help_text="The rule's name (or its position when it has none).")
    field = serializers.CharField(help_text="The part at fault, e.g. detection.selection.user_nmae.")
    message = serializers.CharField()


class DetectionRuleSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=DetectionRule.Kind.choices)
    level = serializers.CharField()
    mode = serializers.ChoiceField(choices=DetectionRule.Mode.choices)
    origin = serializers.ChoiceField(choices=DetectionRule.Origin.choices)
    pack_version = serializers.CharField()
    edited = serializers.BooleanField(help_text="A pack rule changed here: pack updates leave it alone.")
    overrides = serializers.DictField(help_text='E.g. {"threshold": 8, "timespan": "15m"}.')
    suppression_seconds = serializers.IntegerField(allow_null=True)
    citations = serializers.ListField(child=serializers.CharField())
    yaml = serializers.CharField()
    last_run_at = serializers.DateTimeField(allow_null=True)
    last_duration_ms = serializers.IntegerField(allow_null=True)
    last_anchor_count = serializers.IntegerField(allow_null=True)
    shadow_count = serializers.IntegerField()
    alert_count = serializers.IntegerField()
    updated_at = serializers.DateTimeField()


class DetectionRuleFilterSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=DetectionRule.Mode.choices, required=False)
    kind = serializers.ChoiceField(choices=DetectionRule.Kind.choices, required=False)


class DetectionRuleYamlSerializer(serializers.Serializer):
    yaml = serializers.CharField(max_length=services.MAX_YAML_CHARS, help_text="One or more Sigma documents.")


class DetectionRuleUpdateSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=DetectionRule.Mode.choices, required=False)
    threshold = serializers.IntegerField(required=False, allow_null=True, help_text="Correlations: the count.")
    timespan = serializers.CharField(required=False, allow_blank=True, help_text="Correlations: e.g. 15m, 2h.")
    suppression_seconds = serializers.IntegerField(required=False, allow_null=True)
    yaml = serializers.CharField(required=False, max_length=services.MAX_YAML_CHARS)


class RuleValidationResultSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    problems = DetectionRuleProblemSerializer(many=True)


class DetectionRuleTestUploadSerializer(serializers.Serializer):
    yaml = serializers.CharField(max_length=services.MAX_YAML_CHARS)
    format = serializers.ChoiceField(choices=SourceFormat.choices)
    file = serializers.FileField()
    rule_id = serializers.UUIDField(required=False, help_text="The stored rule this text is a draft of.")
    source_id = serializers.UUIDField(required=False, help_text="A source whose mapping and zone read the file.")


class DetectionRuleTestSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    url = serializers.SerializerMethodField(help_text="This test: poll it until the state is done or failed.")
    rule_id = serializers.UUIDField(source="rule.public_id", allow_null=True, default=None)
    source_id = serializers.UUIDField(source="source.public_id", allow_null=True, default=None)
    state = serializers.ChoiceField(choices=RuleTest.State.choices)
    file_name = serializers.CharField()
    source_format = serializers.CharField()
    sha256 = serializers.CharField()
    size_bytes = serializers.IntegerField()
    lines_read = serializers.IntegerField(help_text="Progress: lines (or records) of the file read so far.")
    events_read = serializers.IntegerField()
    rejected = serializers.IntegerField()
    matches = serializers.IntegerField(help_text="Alerts the rule would raise (results holds the first 100).")
    results = serializers.ListField(child=serializers.DictField())
    errors = serializers.ListField(  # type: ignore[assignment]  # the test's rejected lines, not the serializer's
        child=serializers.DictField(), help_text="Rejected lines (the first 50)."
    )
    failure = serializers.CharField(help_text="Why the test could not finish, when the state is failed.")
    tested_at = serializers.DateTimeField(help_text="When the test was asked for.")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.URLField())
    def get_url(self, test: RuleTest) -> str:
        return str(self.context["request"].build_absolute_uri(_test_path(self.context["org_slug"], test)))


class RulePackRequestSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False)


class RulePackReportSerializer(serializers.Serializer):
    version = serializers.CharField()
    created = serializers.ListField(child=serializers.CharField())
    updated = serializers.ListField(child=serializers.CharField())
    kept = serializers.ListField(child=serializers.CharField(), help_text="Edited here, or a custom rule's name.")
    unchanged = serializers.ListField(child=serializers.CharField())


def problems_response(error: RuleError) -> Response:
    problems = [{"rule": p.rule, "field": p.field, "message": p.message} for p in error.problems]
    body = {
        "code": "invalid_rule",
        "message": "The rule text has problems; nothing was saved.",
        "fields": {"yaml": [f"{p['rule']}: {p['field']}: {p['message']}" for p in problems]},
        "problems": problems,
    }
    return Response({"error": body}, status=status.HTTP_400_BAD_REQUEST)


def _out(rule: DetectionRule) -> dict[str, Any]:
    return dict(DetectionRuleSerializer(rule_with_counts(rule)).data)


def _test_path(org_slug: str, test: RuleTest) -> str:
    return reverse("api:activity_rule_test", kwargs={"org_slug": org_slug, "test_id": test.public_id})


def _test_out(request: Request, org_slug: str, test: RuleTest) -> dict[str, Any]:
    return dict(DetectionRuleTestSerializer(test, context={"request": request, "org_slug": org_slug}).data)


class RuleListView(ApiView):
    @extend_schema(
        summary="List detection rules",
        description="By name, with the last run's figures, alert and shadow counts. Filters: mode, kind.",
        parameters=[DetectionRuleFilterSerializer],
        responses={200: DetectionRuleSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        filters = DetectionRuleFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return self.paginated(rules_listed(membership.organization, **filters.validated_data), DetectionRuleSerializer)

    @extend_schema(
        summary="Upload Sigma rules",
        description="One or more documents; each becomes a disabled custom rule. All or nothing: any problem "
        "(per rule and field) refuses the whole text. Needs the manage-activity permission.",
        request=DetectionRuleYamlSerializer,
        responses={201: DetectionRuleSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = DetectionRuleYamlSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        try:
            created = services.rules_upload(
                organization=membership.organization, actor=api_actor(request), yaml_text=values.validated_data["yaml"]
            )
        except RuleError as error:
            return problems_response(error)
        return Response([_out(rule) for rule in created], status=status.HTTP_201_CREATED)


class RuleDetailView(ApiView):
    @extend_schema(
        summary="One detection rule",
        responses={200: DetectionRuleSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(_out(get_rule(membership, rule_id)))

    @extend_schema(
        summary="Change a detection rule",
        description="Any of: mode; overrides (threshold, timespan: both replace the current overrides when either "
        "is given; blank removes); suppression_seconds (null: the rule's default); yaml (validated first; a pack "
        "rule becomes edited). All in one transaction. Needs the manage-activity permission.",
        request=DetectionRuleUpdateSerializer,
        responses={200: DetectionRuleSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        rule = get_rule(membership, rule_id, Perm.MANAGE_ACTIVITY)
        values = DetectionRuleUpdateSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        organization, actor = membership.organization, api_actor(request)
        try:
            with transaction.atomic():
                if "yaml" in data:
                    rule = services.rule_yaml_edit(
                        organization=organization, actor=actor, rule=rule, yaml_text=data["yaml"]
                    )
                if "threshold" in data or "timespan" in data:
                    rule = services.rule_overrides_set(
                        organization=organization,
                        actor=actor,
                        rule=rule,
                        threshold=data.get("threshold"),
                        timespan=data.get("timespan") or None,
                    )
                if "suppression_seconds" in data:
                    rule = services.rule_suppression_set(
                        organization=organization, actor=actor, rule=rule, seconds=data["suppression_seconds"]
                    )
                if "mode" in data:
                    rule = services.rule_mode_set(organization=organization, actor=actor, rule=rule, mode=data["mode"])
        except RuleError as error:
            return problems_response(error)
        return Response(_out(rule))

    @extend_schema(
        summary="Delete a custom rule",
        description="Only a rule written here that raised no alert and that no other rule counts; pack rules are "
        "disabled instead. Needs the manage-activity permission.",
        responses={204: None, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def delete(self, request: Request, org_slug: str, rule_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        rule = get_rule(membership, rule_id, Perm.MANAGE_ACTIVITY)
        services.rule_delete(organization=membership.organization, actor=api_actor(request), rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RuleValidateView(ApiView):
    @extend_schema(
        summary="Validate Sigma YAML",
        description="Nothing is saved. References to the organization's stored rules resolve. 200 either way.",
        request=DetectionRuleYamlSerializer,
        responses={200: RuleValidationResultSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        values = DetectionRuleYamlSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        try:
            services.validate_rules_text(membership.organization, values.validated_data["yaml"])
        except RuleError as error:
            problems = [{"rule": p.rule, "field": p.field, "message": p.message} for p in error.problems]
            return Response({"valid": False, "problems": problems})
        return Response({"valid": True, "problems": []})


class RuleTestView(ApiView):
    parser_classes = [MultiPartParser]  # noqa: RUF012

    @extend_schema(
        summary="Test Sigma YAML on a sample file",
        description="The request and the rule are checked at once (a problem answers 400 and keeps nothing); the "
        "file is then read in the background into a throw-away store with the organization's enrichment. The 202 "
        "answer is the queued test: follow its `url` (also the Location header) until its state is done, when "
        "`results` holds the alerts the rule would raise over the file's time span (the first 100), or failed, "
        "when `failure` says why. Needs the manage-activity permission.",
        request={"multipart/form-data": DetectionRuleTestUploadSerializer},
        responses={202: DetectionRuleTestSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = DetectionRuleTestUploadSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        rule = get_rule(membership, data["rule_id"]) if "rule_id" in data else None
        source = get_source(membership, data["source_id"]) if "source_id" in data else None
        try:
            with api_field_names({"source": "source_id"}):
                test = rule_test_start(
                    organization=membership.organization,
                    actor=api_actor(request),
                    yaml_text=data["yaml"],
                    source_format=data["format"],
                    upload=data["file"],
                    rule=rule,
                    source=source,
                )
        except RuleError as error:
            return problems_response(error)
        test = get_rule_test(membership, test.public_id)
        headers = {"Location": request.build_absolute_uri(_test_path(org_slug, test))}
        return Response(_test_out(request, org_slug, test), status=status.HTTP_202_ACCEPTED, headers=headers)


class RuleTestDetailView(ApiView):
    @extend_schema(
        summary="One rule test",
        description="Its state (queued, running, done, failed), progress (lines read) and, once done, the alerts "
        "the rule would raise on the sample.",
        responses={200: DetectionRuleTestSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, test_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.VIEW_ACTIVITY)
        return Response(_test_out(request, org_slug, get_rule_test(membership, test_id)))


class RulePackView(ApiView):
    @extend_schema(
        summary="Install or update the HIPAA rule pack",
        description="Creates missing pack rules, updates unedited ones (keeping mode and tuning), keeps edited "
        "ones. dry_run reports without writing. Needs the manage-activity permission.",
        request=RulePackRequestSerializer,
        responses={200: RulePackReportSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_ACTIVITY)
        values = RulePackRequestSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        report = rule_pack_install(
            organization=membership.organization, actor=api_actor(request), dry_run=values.validated_data["dry_run"]
        )
        return Response(RulePackReportSerializer(report.as_dict()).data)
