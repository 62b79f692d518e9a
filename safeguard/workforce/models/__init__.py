from safeguard.workforce.models.people import (
    Authorization,
    Clearance,
    IssuedItem,
    Person,
    RosterSource,
    ScimToken,
    WorkerType,
    WorkforceSettings,
)
from safeguard.workforce.models.workflows import Workflow, WorkflowTask

__all__ = [
    "Authorization",
    "Clearance",
    "IssuedItem",
    "Person",
    "RosterSource",
    "ScimToken",
    "WorkerType",
    "WorkflowTask",
    "Workflow",
    "WorkforceSettings",
]
