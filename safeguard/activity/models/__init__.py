from safeguard.activity.models.alerts import (
    OPEN_ALERT_STATUSES,
    Alert,
    AlertNote,
    AlertStatus,
    EscalationLevel,
    Suppression,
)
from safeguard.activity.models.enrichment import PatientFlag, UserAlias, WorkShift, Workstation
from safeguard.activity.models.reviews import ActivityReview
from safeguard.activity.models.rules import SEVERITY_RANK, DetectionRule, RuleRun, RuleTest, Severity
from safeguard.activity.models.settings import ActivitySettings
from safeguard.activity.models.sources import IngestBatch, IngestToken, LogSource, SourceFormat, SourceKind

__all__ = [
    "OPEN_ALERT_STATUSES",
    "SEVERITY_RANK",
    "ActivityReview",
    "ActivitySettings",
    "Alert",
    "AlertNote",
    "AlertStatus",
    "DetectionRule",
    "EscalationLevel",
    "IngestBatch",
    "IngestToken",
    "LogSource",
    "PatientFlag",
    "RuleRun",
    "RuleTest",
    "Severity",
    "SourceFormat",
    "SourceKind",
    "Suppression",
    "UserAlias",
    "WorkShift",
    "Workstation",
]
