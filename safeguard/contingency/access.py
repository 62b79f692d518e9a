"""Access to contingency records: program viewers (auditors included) read, program managers change, and
approvals are signed by those who may sign decisions (core.services.signatures). The same 404 for another
organization's record as for a missing one."""

from __future__ import annotations

from uuid import UUID

from django.http import Http404

from safeguard.contingency.models import (
    AssetDependency,
    BackupHookToken,
    BackupImport,
    BackupPolicy,
    ContingencyPlan,
    CorrectiveAction,
    CriticalityApproval,
    EmergencyActivation,
    Exercise,
    PlanPrint,
    PlanVersion,
    RecoveryProfile,
    RestoreTest,
    VendorRecovery,
)
from safeguard.core.access import one_in_org, parse_public_id, require_program
from safeguard.core.models import Membership

Key = str | UUID


def get_recovery_profile(membership: Membership, public_id: Key, *, write: bool = False) -> RecoveryProfile:
    require_program(membership, write)
    return one_in_org(RecoveryProfile.objects.select_related("asset"), membership, public_id, "recovery profile")


def get_criticality_approval(membership: Membership, public_id: Key) -> CriticalityApproval:
    require_program(membership, False)
    queryset = CriticalityApproval.objects.select_related("approved_by", "signature")
    return one_in_org(queryset, membership, public_id, "criticality approval")


def get_backup_policy(membership: Membership, public_id: Key, *, write: bool = False) -> BackupPolicy:
    require_program(membership, write)
    queryset = BackupPolicy.objects.select_related("asset", "responsible")
    return one_in_org(queryset, membership, public_id, "backup policy")


def get_backup_import(membership: Membership, public_id: Key, *, write: bool = False) -> BackupImport:
    require_program(membership, write)
    return one_in_org(BackupImport.objects.select_related("hook_token"), membership, public_id, "backup import")


def get_backup_hook_token(membership: Membership, public_id: Key, *, write: bool = False) -> BackupHookToken:
    require_program(membership, write)
    queryset = BackupHookToken.objects.select_related("created_by", "revoked_by")
    return one_in_org(queryset, membership, public_id, "backup hook token")


def get_restore_test(membership: Membership, public_id: Key, *, write: bool = False) -> RestoreTest:
    require_program(membership, write)
    queryset = RestoreTest.objects.select_related("asset", "performed_by", "backup_result")
    return one_in_org(queryset, membership, public_id, "restore test")


def get_corrective_action(membership: Membership, public_id: Key, *, write: bool = False) -> CorrectiveAction:
    require_program(membership, write)
    queryset = CorrectiveAction.objects.select_related("owner", "asset", "risk", "restore_test", "exercise")
    return one_in_org(queryset, membership, public_id, "corrective action")


def get_plan(membership: Membership, public_id: Key, *, write: bool = False) -> ContingencyPlan:
    require_program(membership, write)
    return one_in_org(ContingencyPlan.objects.all(), membership, public_id, "plan")


def get_plan_version(membership: Membership, public_id: Key, *, write: bool = False) -> PlanVersion:
    require_program(membership, write)
    return one_in_org(PlanVersion.objects.select_related("plan"), membership, public_id, "plan version")


def get_activation(membership: Membership, public_id: Key, *, write: bool = False) -> EmergencyActivation:
    require_program(membership, write)
    queryset = EmergencyActivation.objects.select_related("plan_version", "incident")
    return one_in_org(queryset, membership, public_id, "emergency activation")


def get_exercise(membership: Membership, public_id: Key, *, write: bool = False) -> Exercise:
    require_program(membership, write)
    return one_in_org(Exercise.objects.select_related("facilitator"), membership, public_id, "exercise")


def get_vendor_recovery(membership: Membership, public_id: Key, *, write: bool = False) -> VendorRecovery:
    require_program(membership, write)
    queryset = VendorRecovery.objects.select_related("asset", "evidence")
    return one_in_org(queryset, membership, public_id, "business associate recovery record")


def get_dependency(
    membership: Membership, asset_id: Key, depends_on_id: Key, *, write: bool = False
) -> AssetDependency:
    """A dependency has no id of its own: the two assets' public ids name it."""
    require_program(membership, write)
    found = (
        AssetDependency.objects.select_related("asset", "depends_on")
        .filter(
            organization=membership.organization,
            asset__public_id=parse_public_id(asset_id),
            depends_on__public_id=parse_public_id(depends_on_id),
        )
        .first()
    )
    if found is None:
        raise Http404("No such dependency.")
    return found


def get_plan_print(membership: Membership, public_id: Key) -> PlanPrint:
    """A print has no organization of its own: its version's decides."""
    require_program(membership, False)
    found = (
        PlanPrint.objects.select_related("version__plan", "printed_by")
        .filter(version__organization=membership.organization, public_id=parse_public_id(public_id))
        .first()
    )
    if found is None:
        raise Http404("No such printed copy.")
    return found
