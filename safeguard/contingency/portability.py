"""The contingency records an organization archive carries, in an order where every row's references come first,
with their many-to-many links (a plan version's assets, an exercise's participants).

Backup hook tokens stay behind: a key's hash moved to another installation would let the old tool in there; the
tool is given a new token. An import keeps who delivered it in its audit events, not its link to the token."""

from safeguard.contingency.models import (
    AssetDependency,
    BackupImport,
    BackupPolicy,
    BackupResult,
    ContingencyPlan,
    ContingencySettings,
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
from safeguard.core.portability.registry import register

register(ContingencySettings, "organization")
register(RecoveryProfile, "organization")
register(AssetDependency, "organization")
register(CriticalityApproval, "organization")
register(BackupPolicy, "organization")
register(BackupImport, "organization", omit=("hook_token",))
register(BackupResult, "organization")
register(RestoreTest, "organization")
register(ContingencyPlan, "organization")
register(Exercise, "organization")
register(Exercise.participants.through, "exercise__organization")
register(Exercise.plans.through, "exercise__organization")
register(Exercise.assets.through, "exercise__organization")
register(PlanVersion, "organization")
register(PlanVersion.covered_assets.through, "planversion__organization")
register(PlanPrint, "version__organization")
register(EmergencyActivation, "organization")
register(EmergencyActivation.assets.through, "emergencyactivation__organization")
register(EmergencyActivation.break_glass.through, "emergencyactivation__organization")
register(CorrectiveAction, "organization")
register(VendorRecovery, "organization")
