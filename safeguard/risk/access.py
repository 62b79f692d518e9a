"""One access function per protected risk record: tenant-scoped, the same 404 for missing and forbidden."""

from __future__ import annotations

from uuid import UUID

from safeguard.core.access import one_in_org, require_perm, require_program
from safeguard.core.models import Membership
from safeguard.core.roles import Perm, Role
from safeguard.risk.models import (
    Asset,
    DataFlow,
    ImportJob,
    MitigationAction,
    ReanalysisTrigger,
    ReportJob,
    Risk,
    RiskAcceptance,
    RiskAnalysis,
    SanctionPolicy,
    SanctionRecord,
    Threat,
    Vulnerability,
)
from safeguard.risk.queries import report_jobs


def get_asset_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Asset:
    require_program(membership, write)
    return one_in_org(Asset.objects.select_related("owner"), membership, public_id, "asset")


def get_data_flow_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> DataFlow:
    require_program(membership, write)
    return one_in_org(DataFlow.objects.select_related("source", "destination"), membership, public_id, "data flow")


def get_threat_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Threat:
    require_program(membership, write)
    return one_in_org(Threat.objects.all(), membership, public_id, "threat")


def get_vulnerability_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Vulnerability:
    require_program(membership, write)
    return one_in_org(Vulnerability.objects.all(), membership, public_id, "vulnerability")


def get_analysis_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> RiskAnalysis:
    require_program(membership, write)
    return one_in_org(
        RiskAnalysis.objects.select_related("started_by", "approval__signer"), membership, public_id, "analysis"
    )


def get_risk_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Risk:
    require_program(membership, write)
    related = ("analysis", "threat", "vulnerability", "owner")
    # The analysis's signed document holds every risk it assessed: a risk's page never prints it.
    risks = Risk.objects.select_related(*related).defer("analysis__approved_content")
    return one_in_org(risks, membership, public_id, "risk")


def get_action_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> MitigationAction:
    """Program managers reach every action; the action's owner (not an auditor) may also update their own."""
    action = one_in_org(
        MitigationAction.objects.select_related("risk", "owner", "evidence"), membership, public_id, "action"
    )
    if action.owner_id == membership.user_id and membership.role != Role.AUDITOR:
        return action
    require_program(membership, write)
    return action


def get_acceptance_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> RiskAcceptance:
    require_perm(membership, Perm.SIGN_DECISIONS if write else Perm.VIEW_PROGRAM)
    return one_in_org(
        RiskAcceptance.objects.select_related("risk", "signature__signer"), membership, public_id, "acceptance"
    )


def get_trigger_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> ReanalysisTrigger:
    require_program(membership, write)
    triggers = ReanalysisTrigger.objects.select_related(
        "asset", "analysis", "recorded_by", "obligation__owner", "resolved_by"
    ).defer("analysis__approved_content", "resolved_by__approved_content")
    return one_in_org(triggers, membership, public_id, "trigger")


def get_sanction_policy_for_user(
    membership: Membership, public_id: str | UUID, *, write: bool = False
) -> SanctionPolicy:
    """The policy itself is not confidential: the program may read it; only sanction administrators write it."""
    require_perm(membership, Perm.MANAGE_SANCTIONS if write else Perm.VIEW_PROGRAM)
    return one_in_org(
        SanctionPolicy.objects.select_related("approval__signer"), membership, public_id, "sanction policy"
    )


def get_sanction_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> SanctionRecord:
    """Confidential: the caller must audit the read (risk.services.sanctions.sanction_read_record)."""
    require_perm(membership, Perm.MANAGE_SANCTIONS if write else Perm.VIEW_SANCTIONS)
    return one_in_org(SanctionRecord.objects.select_related("decided_by", "person"), membership, public_id, "sanction")


def get_import_for_user(membership: Membership, public_id: str | UUID) -> ImportJob:
    require_perm(membership, Perm.MANAGE_PROGRAM)
    return one_in_org(ImportJob.objects.all(), membership, public_id, "import")


def get_report_for_user(membership: Membership, public_id: str | UUID) -> ReportJob:
    require_perm(membership, Perm.VIEW_PROGRAM)
    return one_in_org(report_jobs(membership.organization), membership, public_id, "report")
