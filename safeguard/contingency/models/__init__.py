from safeguard.contingency.models.actions import CorrectiveAction
from safeguard.contingency.models.backups import (
    BackupHookToken,
    BackupImport,
    BackupMethod,
    BackupPolicy,
    BackupResult,
    BackupStatus,
)
from safeguard.contingency.models.criticality import AssetDependency, CriticalityApproval, RecoveryProfile, Tier
from safeguard.contingency.models.exercises import Exercise
from safeguard.contingency.models.plans import (
    ContingencyPlan,
    EmergencyActivation,
    PlanKind,
    PlanPrint,
    PlanVersion,
)
from safeguard.contingency.models.restore_tests import RestoreOutcome, RestoreTest
from safeguard.contingency.models.settings import ContingencySettings
from safeguard.contingency.models.vendors import VendorRecovery

__all__ = [
    "AssetDependency",
    "BackupHookToken",
    "BackupImport",
    "BackupMethod",
    "BackupPolicy",
    "BackupResult",
    "BackupStatus",
    "ContingencyPlan",
    "ContingencySettings",
    "CorrectiveAction",
    "CriticalityApproval",
    "EmergencyActivation",
    "Exercise",
    "PlanKind",
    "PlanPrint",
    "PlanVersion",
    "RecoveryProfile",
    "RestoreOutcome",
    "RestoreTest",
    "Tier",
    "VendorRecovery",
]
