"""The activity review records an organization archive carries, references first.

Ingestion tokens stay behind: a shipper is given a new token on the installation the organization moves to.
The events themselves live in the event store, not in the archive (docs/activity-store.md: back up the store
folder with the data directory)."""

from safeguard.activity.models import (
    ActivityReview,
    ActivitySettings,
    Alert,
    AlertNote,
    DetectionRule,
    EscalationLevel,
    IngestBatch,
    LogSource,
    PatientFlag,
    RuleRun,
    RuleTest,
    Suppression,
    UserAlias,
    WorkShift,
    Workstation,
)
from safeguard.core.portability.registry import register

register(ActivitySettings, "organization")
register(LogSource, "organization")
register(IngestBatch, "organization")
register(UserAlias, "organization")
register(WorkShift, "organization")
register(Workstation, "organization")
register(PatientFlag, "organization")
register(DetectionRule, "organization")
register(RuleRun, "organization")
register(RuleTest, "organization")
register(Alert, "organization")
register(Alert.sources.through, "alert__organization")
register(AlertNote, "organization")
register(Suppression, "organization")
register(EscalationLevel, "organization")
register(ActivityReview, "organization")
