"""The workforce records an organization archive carries, references first. SCIM tokens stay behind: a secret's
hash moved to another installation would let the old client in there."""

from safeguard.core.portability.registry import register
from safeguard.workforce.models import (
    Authorization,
    Clearance,
    IssuedItem,
    Person,
    RosterSource,
    Workflow,
    WorkflowTask,
    WorkforceSettings,
)

register(WorkforceSettings, "organization")
register(RosterSource, "organization")
register(Person, "organization")
register(IssuedItem, "organization")
register(Clearance, "organization")
register(Authorization, "organization")
register(Workflow, "organization")
register(WorkflowTask, "organization")
