"""Approving the criticality analysis: the security official or an owner signs every in-scope profile and its
dependencies as they stand. The signed content is kept, so a later change shows as not yet approved."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone

from safeguard.contingency.models import CriticalityApproval
from safeguard.contingency.queries_criticality import analysis_content
from safeguard.contingency.recovery_order import recovery_order
from safeguard.core.audit import Actor, audit_record
from safeguard.core.dates import add_months
from safeguard.core.models import Organization, Signature
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.core.services.signatures import content_hash, signature_create

REVIEW_MONTHS = 12  # the analysis is reviewed annually, like the risk analysis it feeds
TARGET_TYPE = "contingency.criticality_analysis"


def default_statement(count: int, next_review_on: date) -> str:
    noun = "asset" if count == 1 else "assets"
    return (
        f"I approve the applications and data criticality analysis of {count} in-scope {noun}, their tiers, "
        f"recovery objectives and dependencies, for review by {next_review_on:%Y-%m-%d}."
    )


def criticality_approve(
    *, organization: Organization, actor: Actor, statement: str = "", today: date | None = None
) -> CriticalityApproval:
    """Only signers (SIGN_DECISIONS) may; refused while a dependency cycle leaves the recovery order undefined."""
    today = today or timezone.localdate()
    with transaction.atomic():
        content = analysis_content(organization)
        count = len(content["profiles"])
        if not count:
            raise ServiceError("There is nothing to approve: no asset in service has an in-scope recovery profile.")
        cycles = recovery_order(organization).cycles
        if cycles:
            shown = "; ".join(" needs ".join([*cycle, cycle[0]]) for cycle in cycles)
            raise ServiceError(f"Fix the dependency cycles first, the recovery order is undefined: {shown}.")
        next_review_on = add_months(today, REVIEW_MONTHS)
        statement = statement.strip() or default_statement(count, next_review_on)
        signature = signature_create(
            organization=organization,
            actor=actor,
            meaning=Signature.Meaning.APPROVED,
            target_type=TARGET_TYPE,
            target_id=str(organization.public_id),
            content=content,
            statement=statement,
        )
        approval = CriticalityApproval.objects.create(
            organization=organization,
            signature=signature,
            approved_by=signature.signer,
            approved_at=signature.signed_at,
            content=content,
            content_sha256=content_hash(content),
            next_review_on=next_review_on,
            statement=statement,
        )
        audit_record(
            actor=actor,
            action="contingency.criticality.approved",
            organization=organization,
            target=approval,
            changes={
                "profiles": [None, count],
                "content_sha256": [None, approval.content_sha256],
                "next_review_on": [None, next_review_on],
                "signature": [None, str(signature.public_id)],
            },
        )
        request_evaluation_on_commit(organization, "contingency.criticality_approved")
    return approval
