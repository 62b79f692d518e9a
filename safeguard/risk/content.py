"""An analysis as one plain, JSON-ready document: what the security official signs and what the report prints.

While an analysis is open the document is built from the live records; on approval it is stored in
`RiskAnalysis.approved_content` and its SHA-256 goes into the signature, so the approved record, the report and
the signature always agree, whatever happens to the register afterwards.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q

from safeguard.core.audit import jsonable
from safeguard.risk.models import DataFlow, MitigationAction, Risk, RiskAcceptance, RiskAnalysis

CONTENT_VERSION = 1


def _person(user: Any) -> str:
    return "" if user is None else user.email


def analysis_content(analysis: RiskAnalysis) -> dict[str, Any]:
    """The document for `analysis`: its stored copy once approved, otherwise built from the records now."""
    if analysis.approved_content is not None:
        return dict(analysis.approved_content)
    return build_content(analysis)


def build_content(analysis: RiskAnalysis) -> dict[str, Any]:
    scope = list(analysis.scope_items.select_related("asset").order_by("name"))
    scope_ids = [item.asset_id for item in scope]
    flows = (
        DataFlow.objects.filter(organization_id=analysis.organization_id)
        .filter(Q(source_id__in=scope_ids) | Q(destination_id__in=scope_ids))
        .select_related("source", "destination")
        .order_by("source__name", "destination__name", "ephi")
    )
    risks = (
        Risk.objects.filter(analysis=analysis)
        .select_related("threat", "vulnerability", "owner")
        .prefetch_related(
            "assets",
            "requirements",
            Prefetch("actions", queryset=MitigationAction.objects.select_related("owner").order_by("due_on", "pk")),
            Prefetch(
                "acceptances",
                queryset=RiskAcceptance.objects.filter(withdrawn_at__isnull=True).select_related("signature__signer"),
            ),
        )
        .order_by("number")
    )
    risk_rows: list[dict[str, Any]] = []
    action_rows: list[dict[str, Any]] = []
    acceptance_rows: list[dict[str, Any]] = []
    for risk in risks:
        risk_rows.append(risk_row(risk))
        action_rows.extend(_action_row(risk, action) for action in risk.actions.all())
        acceptance_rows.extend(_acceptance_row(risk, acceptance) for acceptance in risk.acceptances.all())
    document = {
        "content_version": CONTENT_VERSION,
        "analysis": {
            "public_id": analysis.public_id,
            "title": analysis.title,
            "started_at": analysis.started_at,
            "started_by": _person(analysis.started_by),
            "submitted_at": analysis.submitted_at,
            "methodology": analysis.methodology,
        },
        "method": analysis.method,
        "scope": [
            {"asset_id": item.asset.public_id, "name": item.name, "kind": item.kind, "status": item.status}
            for item in scope
        ],
        "flows": [
            {
                "source": flow.source.name,
                "destination": flow.destination.name,
                "ephi": flow.ephi,
                "transport": flow.transport,
                "encrypted_in_transit": flow.encrypted_in_transit,
            }
            for flow in flows
        ],
        "risks": risk_rows,
        "actions": action_rows,
        "acceptances": acceptance_rows,
    }
    built: dict[str, Any] = jsonable(document)
    return built


def risk_row(risk: Risk) -> dict[str, Any]:
    """One risk as the document holds it (assets, requirements and actions prefetched by the caller)."""
    return {
        "id": risk.public_id,
        "reference": risk.reference,
        "title": risk.title,
        "assets": sorted(asset.name for asset in risk.assets.all()),
        "threat": risk.threat.name if risk.threat else "",
        "vulnerability": risk.vulnerability.name if risk.vulnerability else "",
        "description": risk.description,
        "existing_controls": risk.existing_controls,
        "likelihood": risk.likelihood,
        "impact": risk.impact,
        "inherent_score": risk.inherent_score,
        "inherent_level": risk.inherent_level,
        "planned_controls": risk.planned_controls,
        "residual_likelihood": risk.residual_likelihood,
        "residual_impact": risk.residual_impact,
        "residual_score": risk.residual_score,
        "residual_level": risk.residual_level,
        "requirements": sorted(requirement.citation for requirement in risk.requirements.all()),
        "treatment": risk.treatment,
        "owner": _person(risk.owner),
        "status": risk.status,
    }


def _action_row(risk: Risk, action: MitigationAction) -> dict[str, Any]:
    return {
        "risk": risk.reference,
        "title": action.title,
        "owner": _person(action.owner),
        "due_on": action.due_on,
        "acceptance_criteria": action.acceptance_criteria,
        "status": action.status,
        "completed_on": action.completed_on,
    }


def _acceptance_row(risk: Risk, acceptance: RiskAcceptance) -> dict[str, Any]:
    return {
        "risk": risk.reference,
        "rationale": acceptance.rationale,
        "expires_on": acceptance.expires_on,
        "signed_by": _person(acceptance.signature.signer),
        "signed_at": acceptance.signature.signed_at,
    }
