"""One access function per protected workforce record: tenant-scoped, the same 404 for missing and forbidden.

Reading the roster needs the view-program permission, changing it manage-program. A task's assignee may see and
complete their own task (an acknowledgement, a manager's authorization) without either.
"""

from __future__ import annotations

from uuid import UUID

from safeguard.core.access import one_in_org, require_perm, require_program
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.workforce.models import IssuedItem, Person, RosterSource, ScimToken, Workflow, WorkflowTask


def get_person_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Person:
    require_program(membership, write)
    return one_in_org(Person.objects.select_related("manager"), membership, public_id, "person")


def get_roster_source_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> RosterSource:
    require_program(membership, write)
    return one_in_org(RosterSource.objects.all(), membership, public_id, "roster source")


def get_issued_item_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> IssuedItem:
    require_program(membership, write)
    return one_in_org(IssuedItem.objects.select_related("person"), membership, public_id, "issued item")


def get_workflow_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Workflow:
    require_program(membership, write)
    return one_in_org(Workflow.objects.select_related("person", "person__manager"), membership, public_id, "workflow")


def get_task_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> WorkflowTask:
    """A workflow task; its assignee reaches it without the program permissions."""
    task = one_in_org(
        WorkflowTask.objects.select_related("workflow", "workflow__person", "assignee"),
        membership,
        public_id,
        "task",
    )
    if task.assignee_id != membership.user_id:
        require_program(membership, write)
    return task


def get_scim_token_for_user(membership: Membership, public_id: str | UUID) -> ScimToken:
    require_perm(membership, Perm.MANAGE_ORG)
    return one_in_org(ScimToken.objects.select_related("created_by"), membership, public_id, "SCIM token")
