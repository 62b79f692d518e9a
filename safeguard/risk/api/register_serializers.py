"""Serializers of the risk register API: output shapes and input shapes (shape only; rules live in services)."""

from __future__ import annotations

from typing import get_args

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from safeguard.core.api.serializers import PersonSerializer
from safeguard.risk.api.common import NamedRefSerializer, SignatureSerializer
from safeguard.risk.models import MitigationAction, ReanalysisTrigger, Risk, RiskAcceptance
from safeguard.risk.models import Treatment as TreatmentChoice
from safeguard.risk.queries import AcceptanceState, acceptance_state
from safeguard.risk.queries_register import NOT_DECIDED, OPEN_STATUSES, SORTS

ACCEPTANCE_STATES = list(get_args(AcceptanceState))


class RegisterRiskRefSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    reference = serializers.CharField()
    title = serializers.CharField()


class RegisterRiskSerializer(RegisterRiskRefSerializer):
    number = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Risk.Status.choices)
    analysis_id = serializers.UUIDField(source="analysis.public_id", allow_null=True, default=None)
    likelihood = serializers.IntegerField(allow_null=True)
    impact = serializers.IntegerField(allow_null=True)
    inherent_score = serializers.IntegerField(allow_null=True)
    inherent_level = serializers.CharField()
    residual_likelihood = serializers.IntegerField(allow_null=True)
    residual_impact = serializers.IntegerField(allow_null=True)
    residual_score = serializers.IntegerField(allow_null=True)
    residual_level = serializers.CharField()
    treatment = serializers.ChoiceField(choices=TreatmentChoice.choices, help_text="Empty while not decided.")
    owner = PersonSerializer(allow_null=True)
    open_actions = serializers.IntegerField()
    overdue_actions = serializers.IntegerField()
    accepted_until = serializers.DateField(
        allow_null=True, help_text="Expiry of the signed acceptance in force; on that day it no longer is."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    closed_at = serializers.DateTimeField(allow_null=True)


class MitigationActionSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    risk = RegisterRiskRefSerializer()
    title = serializers.CharField()
    owner = PersonSerializer()
    due_on = serializers.DateField()
    acceptance_criteria = serializers.CharField()
    status = serializers.ChoiceField(choices=MitigationAction.Status.choices)
    overdue = serializers.SerializerMethodField()
    completed_on = serializers.DateField(allow_null=True)
    completed_by = PersonSerializer(allow_null=True)
    completion_note = serializers.CharField(help_text="The completion note, or why the action was cancelled.")
    evidence_id = serializers.UUIDField(source="evidence.public_id", allow_null=True, default=None)
    obligation_id = serializers.UUIDField(source="obligation.public_id", allow_null=True, default=None)
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, action: MitigationAction) -> bool:
        return action.status in OPEN_STATUSES and action.due_on < timezone.localdate()


class RiskAcceptanceSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    risk = RegisterRiskRefSerializer()
    rationale = serializers.CharField()
    expires_on = serializers.DateField()
    state = serializers.SerializerMethodField()
    signature = SignatureSerializer()
    accepted_at = serializers.DateTimeField()
    withdrawn_at = serializers.DateTimeField(allow_null=True)
    withdrawn_by = PersonSerializer(allow_null=True)

    @extend_schema_field(
        serializers.ChoiceField(choices=ACCEPTANCE_STATES, help_text="Expired from its expiry day on.")
    )
    def get_state(self, acceptance: RiskAcceptance) -> str:
        return acceptance_state(acceptance, timezone.localdate())


class RegisterRiskDetailSerializer(RegisterRiskSerializer):
    description = serializers.CharField()
    existing_controls = serializers.CharField()
    planned_controls = serializers.CharField()
    threat = serializers.CharField(source="threat.name", allow_null=True, default=None)
    vulnerability = serializers.CharField(source="vulnerability.name", allow_null=True, default=None)
    assets = NamedRefSerializer(source="asset_rows", many=True)
    actions = MitigationActionSerializer(source="action_rows", many=True)
    acceptances = RiskAcceptanceSerializer(source="acceptance_rows", many=True)


class TriggerObligationSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    title = serializers.CharField()
    due_on = serializers.DateField()
    status = serializers.CharField()
    owner = PersonSerializer()


class ReanalysisTriggerSerializer(serializers.Serializer):
    public_id = serializers.UUIDField()
    kind = serializers.ChoiceField(choices=ReanalysisTrigger.Kind.choices)
    reason = serializers.CharField()
    asset = NamedRefSerializer(allow_null=True)
    analysis_id = serializers.UUIDField(source="analysis.public_id", allow_null=True, default=None)
    occurred_at = serializers.DateTimeField()
    recorded_by = PersonSerializer(allow_null=True)
    obligation = TriggerObligationSerializer(allow_null=True)
    resolved_by_id = serializers.UUIDField(source="resolved_by.public_id", allow_null=True, default=None)


# ---- input -----------------------------------------------------------------------------------------------------


class RegisterFilterSerializer(serializers.Serializer):
    q = serializers.CharField(required=False, help_text="Reference (R-0012), or words in the title or description.")
    status = serializers.ChoiceField(choices=Risk.Status.choices, required=False)
    level = serializers.CharField(required=False, help_text="A level name of the method, e.g. high.")
    rated = serializers.ChoiceField(
        choices=["residual", "inherent"], required=False, help_text="Which level: default residual."
    )
    treatment = serializers.ChoiceField(
        choices=[NOT_DECIDED, *(value for value in TreatmentChoice.values if value)], required=False
    )
    owner = serializers.UUIDField(required=False, help_text="The owner's user public_id.")
    asset = serializers.UUIDField(required=False)
    analysis = serializers.UUIDField(required=False)
    overdue = serializers.ChoiceField(choices=["yes", "no"], required=False, help_text="Has overdue actions.")
    sort = serializers.ChoiceField(choices=list(SORTS), required=False)


class RiskTreatSerializer(serializers.Serializer):
    treatment = serializers.ChoiceField(choices=TreatmentChoice.choices, required=False, allow_blank=True)
    owner = serializers.CharField(required=False, help_text="The owner's user public_id or email.")
    note = serializers.CharField(required=False, default="", allow_blank=True)


class RiskStatusNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True)


class MitigationActionWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    owner = serializers.CharField(help_text="The owner's user public_id or email; a current member, not an auditor.")
    due_on = serializers.DateField()
    acceptance_criteria = serializers.CharField()
    status = serializers.ChoiceField(
        choices=[MitigationAction.Status.OPEN, MitigationAction.Status.IN_PROGRESS],
        required=False,
        help_text="On update only. The action's owner may change this field alone.",
    )


class MitigationActionFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=MitigationAction.Status.choices, required=False)
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    mine = serializers.BooleanField(required=False, default=False)


class MitigationActionCompleteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, default="", allow_blank=True)
    completed_on = serializers.DateField(required=False, allow_null=True, default=None)
    evidence_id = serializers.UUIDField(required=False, allow_null=True, help_text="Existing evidence of the work.")
    evidence_file = serializers.FileField(required=False, help_text="Or a new file, stored as evidence (multipart).")


class MitigationActionCancelSerializer(serializers.Serializer):
    reason = serializers.CharField()


class RiskAcceptanceWriteSerializer(serializers.Serializer):
    rationale = serializers.CharField()
    expires_on = serializers.DateField()
    statement = serializers.CharField(required=False, default="", allow_blank=True)


class AcceptanceWithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True)


class SignificantChangeSerializer(serializers.Serializer):
    reason = serializers.CharField(help_text="What changed: a merger, a new EHR, a relocation…")
    due_on = serializers.DateField(required=False, allow_null=True, default=None)


class ReanalysisTriggerFilterSerializer(serializers.Serializer):
    open = serializers.BooleanField(required=False, allow_null=True, default=None)
