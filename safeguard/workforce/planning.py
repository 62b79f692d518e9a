"""How other apps add tasks to a joiner, mover or leaver workflow without the workforce app knowing them.

A planner is a function of the new workflow returning the tasks it needs; the access app, for instance, adds a
provisioning task per system of the person's role profile, and a deprovisioning task per account a leaver
holds. Planners run inside the transaction that opens the workflow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from safeguard.core.models import User
    from safeguard.workforce.models import Workflow


@dataclass(frozen=True)
class TaskSpec:
    kind: str  # WorkflowTask.Kind
    title: str
    detail: str = ""
    subject_key: str = ""
    assignee: User | None = None
    due_at: datetime | None = None
    status: str = "open"  # "not_needed" for a step that does not apply, with the reason in detail


Planner = Callable[["Workflow"], list[TaskSpec]]
_planners: list[Planner] = []


def task_planner(planner: Planner) -> Planner:
    """Register a planner (decorator); planners run in registration order."""
    if planner not in _planners:
        _planners.append(planner)
    return planner


def planners() -> list[Planner]:
    return list(_planners)
