"""One access function per protected workforce record: tenant-scoped, the same 404 for missing and forbidden.

Reading the roster needs the view-program permission, changing it manage-program. A task's assignee may see and
complete their own task (an acknowledgement, a manager's authorization) without either.
"""

from __future__ import annotations

from typing import TypeVar
from uuid import UUID

from django.db.models import Model, QuerySet
from django.http import Http404

from safeguard.core.access import parse_public_id, require_perm
from safeguard.core.models import Membership
from safeguard.core.roles import Perm
from safeguard.workforce.models import IssuedItem, Person, RosterSource, ScimToken, Workflow, WorkflowTask

M = TypeVar("M", bound=Model)


def _one(queryset: QuerySet[M], membership: Membership, public_id: str | UUID, what: str) -> M:
    found = queryset.filter(organization=membership.organization, public_id=parse_public_id(public_id)).first()
    if found is None:
        raise Http404(f"No such {what}.")
    return found


def _program(membership: Membership, write: bool) -> None:
    require_perm(membership, Perm.MANAGE_PROGRAM if write else Perm.VIEW_PROGRAM)


def get_person_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Person:
    _program(membership, write)
    return _one(Person.objects.select_related("manager"), membership, public_id, "person")


def get_roster_source_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> RosterSource:
    _program(membership, write)
    return _one(RosterSource.objects.all(), membership, public_id, "roster source")


def get_issued_item_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> IssuedItem:
    _program(membership, write)
    return _one(IssuedItem.objects.select_related("person"), membership, public_id, "issued item")


def get_workflow_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> Workflow:
    _program(membership, write)
    return _one(Workflow.objects.select_related("person", "person__manager"), membership, public_id, "workflow")


def get_task_for_user(membership: Membership, public_id: str | UUID, *, write: bool = False) -> WorkflowTask:
    """A workflow task; its assignee reaches it without the program permissions."""
    task = _one(
        WorkflowTask.objects.select_related("workflow", "workflow__person", "assignee"),
        membership,
        public_id,
        "task",
    )
    if task.assignee_id != membership.user_id:
        _program(membership, write)
    return task


def get_scim_token_for_user(membership: Membership, public_id: str | UUID) -> ScimToken:
    require_perm(membership, Perm.MANAGE_ORG)
    return _one(ScimToken.objects.select_related("created_by"), membership, public_id, "SCIM token")
