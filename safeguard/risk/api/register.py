"""The risk register over the API: risks and their treatment, mitigation actions (their owners may update and
complete their own), signed acceptances, and re-analysis triggers. The same services as the pages."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from safeguard.core.api.base import ApiView, api_field_names
from safeguard.core.api.obligations import evidence_for_completion, owner_in
from safeguard.core.api.permissions import api_actor, api_membership
from safeguard.core.api.serializers import error_responses
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm
from safeguard.core.services.errors import ServiceError
from safeguard.risk.access import get_acceptance_for_user, get_action_for_user, get_risk_for_user, get_trigger_for_user
from safeguard.risk.api.register_serializers import (
    AcceptanceWithdrawSerializer,
    MitigationActionCancelSerializer,
    MitigationActionCompleteSerializer,
    MitigationActionFilterSerializer,
    MitigationActionSerializer,
    MitigationActionWriteSerializer,
    ReanalysisTriggerFilterSerializer,
    ReanalysisTriggerSerializer,
    RegisterFilterSerializer,
    RegisterRiskDetailSerializer,
    RegisterRiskSerializer,
    RiskAcceptanceSerializer,
    RiskAcceptanceWriteSerializer,
    RiskStatusNoteSerializer,
    RiskTreatSerializer,
    SignificantChangeSerializer,
)
from safeguard.risk.models import Asset, MitigationAction, ReanalysisTrigger, Risk, RiskAcceptance, RiskAnalysis
from safeguard.risk.queries_register import action_tab, filtered_risks, register_rows
from safeguard.risk.services import acceptances, actions, treatment
from safeguard.risk.services.triggers import reanalysis_flag

TAGS = ["risk register"]


# ---- helpers ---------------------------------------------------------------------------------------------------


def _one_in(rows: QuerySet[Any], organization: Organization, public_id: UUID | None, field: str) -> Any:
    if public_id is None:
        return None
    found = rows.filter(organization=organization, public_id=public_id).first()
    if found is None:
        raise ServiceError(f"No such {field} in this organization.", field=field)
    return found


def _register_filters(organization: Organization, data: dict[str, Any]) -> dict[str, Any]:
    filters = dict(data)
    if "owner" in data:
        owner = User.objects.filter(public_id=data["owner"], memberships__organization=organization).first()
        if owner is None:
            raise ServiceError("No such member of this organization.", field="owner")
        filters["owner"] = owner
    filters["asset"] = _one_in(Asset.objects.only("pk"), organization, data.get("asset"), "asset")
    filters["analysis"] = _one_in(RiskAnalysis.objects.only("pk"), organization, data.get("analysis"), "analysis")
    return filters


def _risk_rows(risks: QuerySet[Risk], sort: str = "number") -> QuerySet[Risk]:
    return register_rows(risks, sort, timezone.localdate())


def _risk_detail(risk: Risk) -> Risk:
    shown = _risk_rows(Risk.objects.filter(pk=risk.pk)).select_related("threat", "vulnerability").get()
    shown.asset_rows = list(risk.assets.order_by("name"))  # type: ignore[attr-defined]
    shown.action_rows = list(_actions().filter(risk=risk).order_by("due_on", "pk"))  # type: ignore[attr-defined]
    shown.acceptance_rows = list(_acceptances().filter(risk=risk))  # type: ignore[attr-defined]
    return shown


def _actions() -> QuerySet[MitigationAction]:
    return MitigationAction.objects.select_related("risk", "owner", "completed_by", "evidence", "obligation")


def _acceptances() -> QuerySet[RiskAcceptance]:
    return RiskAcceptance.objects.select_related("risk", "signature__signer", "withdrawn_by").order_by("-accepted_at")


def _action_out(action: MitigationAction) -> dict[str, Any]:
    return dict(MitigationActionSerializer(_actions().get(pk=action.pk)).data)


# ---- risks -----------------------------------------------------------------------------------------------------


class RiskRegisterView(ApiView):
    @extend_schema(
        summary="The risk register",
        description="Every risk, filtered like the register page; by reference unless sorted by rating.",
        parameters=[RegisterFilterSerializer],
        responses={200: RegisterRiskSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        values = RegisterFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        filters = _register_filters(membership.organization, dict(values.validated_data))
        risks = filtered_risks(membership.organization, filters, timezone.localdate())
        return self.paginated(_risk_rows(risks, filters.get("sort") or "number"), RegisterRiskSerializer)


class RiskDetailView(ApiView):
    @extend_schema(
        summary="One risk",
        description="With its assets, mitigation actions and acceptances.",
        responses={200: RegisterRiskDetailSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        risk = get_risk_for_user(api_membership(request, org_slug), risk_id)
        return Response(RegisterRiskDetailSerializer(_risk_detail(risk)).data)

    @extend_schema(
        summary="Decide a risk's treatment or owner",
        description="Fields left out keep their value. Accepting needs a signed acceptance (POST acceptances).",
        request=RiskTreatSerializer,
        responses={200: RegisterRiskDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        risk = get_risk_for_user(membership, risk_id, write=True)
        values = RiskTreatSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        owner = owner_in(membership.organization, data["owner"]) if "owner" in data else risk.owner
        treatment.risk_treat(
            organization=membership.organization,
            actor=api_actor(request),
            risk=risk,
            treatment=data.get("treatment", risk.treatment),
            owner=owner,
            note=data["note"],
        )
        return Response(RegisterRiskDetailSerializer(_risk_detail(risk)).data)


class _RiskStatusView(ApiView):
    close = True

    def post(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        risk = get_risk_for_user(membership, risk_id, write=True)
        values = RiskStatusNoteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        change = treatment.risk_close if self.close else treatment.risk_reopen
        change(organization=membership.organization, actor=api_actor(request), risk=risk, **values.validated_data)
        return Response(RegisterRiskDetailSerializer(_risk_detail(risk)).data)


class RiskCloseView(_RiskStatusView):
    @extend_schema(
        summary="Close a risk",
        description="Refused while its treatment is not decided or any of its actions is open (they are named).",
        request=RiskStatusNoteSerializer,
        responses={200: RegisterRiskDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        return super().post(request, org_slug, risk_id)


class RiskReopenView(_RiskStatusView):
    close = False

    @extend_schema(
        summary="Reopen a closed risk",
        request=RiskStatusNoteSerializer,
        responses={200: RegisterRiskDetailSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        return super().post(request, org_slug, risk_id)


# ---- actions ---------------------------------------------------------------------------------------------------


class RiskActionsView(ApiView):
    @extend_schema(
        summary="A risk's mitigation actions",
        responses={200: MitigationActionSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        risk = get_risk_for_user(api_membership(request, org_slug), risk_id)
        return self.paginated(
            _actions().filter(risk=risk).order_by("due_on", "title", "pk"), MitigationActionSerializer
        )

    @extend_schema(
        summary="Add a mitigation action",
        request=MitigationActionWriteSerializer,
        responses={201: MitigationActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        risk = get_risk_for_user(membership, risk_id, write=True)
        values = MitigationActionWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        data.pop("status", None)
        data["owner"] = owner_in(membership.organization, data["owner"])
        action = actions.action_create(
            organization=membership.organization, actor=api_actor(request), risk=risk, **data
        )
        return Response(_action_out(action), status=status.HTTP_201_CREATED)


def _mine_only(membership: Membership) -> bool:
    return not membership.has(Perm.VIEW_PROGRAM)


class ActionListView(ApiView):
    @extend_schema(
        summary="List mitigation actions",
        description="Soonest due first. Members without the view-program permission see only the actions they own.",
        parameters=[MitigationActionFilterSerializer],
        responses={200: MitigationActionSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, perm=None)
        values = MitigationActionFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        rows = _actions().filter(organization=membership.organization)
        if _mine_only(membership) or data["mine"]:
            rows = rows.filter(owner_id=membership.user_id)
        if "status" in data:
            rows = rows.filter(status=data["status"])
        if data["overdue"] is not None:
            overdue = action_tab("overdue", timezone.localdate())
            rows = rows.filter(overdue if data["overdue"] else ~overdue)
        return self.paginated(rows.order_by("due_on", "title", "pk"), MitigationActionSerializer)


class ActionDetailView(ApiView):
    @extend_schema(
        summary="One mitigation action",
        responses={200: MitigationActionSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        action = get_action_for_user(api_membership(request, org_slug, perm=None), action_id)
        return Response(_action_out(action))

    @extend_schema(
        summary="Change a mitigation action",
        description="Fields left out keep their value. The action's owner may change its status (open or in "
        "progress); everything else needs the manage-program permission.",
        request=MitigationActionWriteSerializer(partial=True),
        responses={200: MitigationActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def patch(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        membership = api_membership(request, org_slug, perm=None)
        action = get_action_for_user(membership, action_id, write=True)
        values = MitigationActionWriteSerializer(data=request.data, partial=True)
        values.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(values.validated_data)
        if "owner" in data:
            data["owner"] = owner_in(membership.organization, data["owner"])
        actions.action_update(organization=membership.organization, actor=api_actor(request), action=action, **data)
        return Response(_action_out(action))


class ActionCompleteView(ApiView):
    @extend_schema(
        summary="Complete a mitigation action",
        description="Needs evidence: an existing item (evidence_id) or a new file (multipart evidence_file), "
        "linked to the action. An overdue action's obligation is completed too.",
        request={
            "application/json": MitigationActionCompleteSerializer,
            "multipart/form-data": MitigationActionCompleteSerializer,
        },
        responses={200: MitigationActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        membership = api_membership(request, org_slug, perm=None)
        action = get_action_for_user(membership, action_id, write=True)
        values = MitigationActionCompleteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        data = values.validated_data
        with api_field_names({"evidence": "evidence_id"}):
            actions.action_complete(
                organization=membership.organization,
                actor=api_actor(request),
                action=action,
                evidence=evidence_for_completion(membership, data.get("evidence_id")),
                evidence_file=data.get("evidence_file"),
                note=data["note"],
                completed_on=data["completed_on"],
            )
        return Response(_action_out(action))


class ActionCancelView(ApiView):
    @extend_schema(
        summary="Cancel a mitigation action",
        request=MitigationActionCancelSerializer,
        responses={200: MitigationActionSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, action_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        action = get_action_for_user(membership, action_id, write=True)
        values = MitigationActionCancelSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        actions.action_cancel(
            organization=membership.organization, actor=api_actor(request), action=action, **values.validated_data
        )
        return Response(_action_out(action))


# ---- acceptances -----------------------------------------------------------------------------------------------


class RiskAcceptancesView(ApiView):
    @extend_schema(
        summary="A risk's signed acceptances",
        responses={200: RiskAcceptanceSerializer(many=True), **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        risk = get_risk_for_user(api_membership(request, org_slug), risk_id)
        return self.paginated(
            _acceptances().filter(risk=risk).order_by("-accepted_at", "-pk"), RiskAcceptanceSerializer
        )

    @extend_schema(
        summary="Sign the acceptance of a risk",
        description="Security officials and owners only. Expiry after today and at most three years ahead; the "
        "risk's treatment becomes accept, and an acceptance in force is superseded.",
        request=RiskAcceptanceWriteSerializer,
        responses={201: RiskAcceptanceSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, risk_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        risk = get_risk_for_user(membership, risk_id)
        values = RiskAcceptanceWriteSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        acceptance = acceptances.acceptance_record(
            organization=membership.organization, actor=api_actor(request), risk=risk, **values.validated_data
        )
        return Response(
            RiskAcceptanceSerializer(_acceptances().get(pk=acceptance.pk)).data, status=status.HTTP_201_CREATED
        )


class AcceptanceWithdrawView(ApiView):
    @extend_schema(
        summary="Withdraw an acceptance",
        description="The risk's treatment goes back to not decided.",
        request=AcceptanceWithdrawSerializer,
        responses={200: RiskAcceptanceSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str, acceptance_id: UUID) -> Response:
        membership = api_membership(request, org_slug, Perm.SIGN_DECISIONS)
        acceptance = get_acceptance_for_user(membership, acceptance_id, write=True)
        values = AcceptanceWithdrawSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        acceptances.acceptance_withdraw(
            organization=membership.organization,
            actor=api_actor(request),
            acceptance=acceptance,
            **values.validated_data,
        )
        return Response(RiskAcceptanceSerializer(_acceptances().get(pk=acceptance.pk)).data)


# ---- re-analysis triggers --------------------------------------------------------------------------------------


def _triggers() -> QuerySet[ReanalysisTrigger]:
    return (
        ReanalysisTrigger.objects.select_related("asset", "analysis", "recorded_by", "obligation__owner", "resolved_by")
        .defer("analysis__approved_content", "resolved_by__approved_content")
        .order_by("-occurred_at", "-pk")
    )


class TriggerListView(ApiView):
    @extend_schema(
        summary="Re-analysis triggers",
        description="Newest first; ?open=true for those not yet answered by an approved analysis.",
        parameters=[ReanalysisTriggerFilterSerializer],
        responses={200: ReanalysisTriggerSerializer(many=True), **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug)
        values = ReanalysisTriggerFilterSerializer(data=request.query_params)
        values.is_valid(raise_exception=True)
        rows = _triggers().filter(organization=membership.organization)
        if values.validated_data["open"] is not None:
            rows = rows.filter(resolved_by__isnull=values.validated_data["open"])
        return self.paginated(rows, ReanalysisTriggerSerializer)

    @extend_schema(
        summary="Record a significant change",
        description="A merger, a new EHR, a relocation…: raises an obligation, owned by the security official, to "
        "update the risk analysis (due in 30 days unless due_on says otherwise).",
        request=SignificantChangeSerializer,
        responses={201: ReanalysisTriggerSerializer, **error_responses(400, 403, 404)},
        tags=TAGS,
    )
    def post(self, request: Request, org_slug: str) -> Response:
        membership = api_membership(request, org_slug, Perm.MANAGE_PROGRAM)
        values = SignificantChangeSerializer(data=request.data)
        values.is_valid(raise_exception=True)
        trigger = reanalysis_flag(
            organization=membership.organization,
            actor=api_actor(request),
            kind=ReanalysisTrigger.Kind.SIGNIFICANT_CHANGE,
            reason=values.validated_data["reason"],
            due_on=values.validated_data["due_on"],
        )
        if trigger is None:  # only other kinds are skipped (no approved analysis yet, or already flagged)
            raise ServiceError("The change was not recorded.")
        return Response(
            ReanalysisTriggerSerializer(_triggers().get(pk=trigger.pk)).data, status=status.HTTP_201_CREATED
        )


class TriggerDetailView(ApiView):
    @extend_schema(
        summary="One re-analysis trigger",
        responses={200: ReanalysisTriggerSerializer, **error_responses(403, 404)},
        tags=TAGS,
    )
    def get(self, request: Request, org_slug: str, trigger_id: UUID) -> Response:
        trigger = get_trigger_for_user(api_membership(request, org_slug), trigger_id)
        return Response(ReanalysisTriggerSerializer(trigger).data)
