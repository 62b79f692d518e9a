"""How other apps add tasks to a joiner, mover or leaver workflow without the workforce app knowing them.

A planner is a function of the new workflow returning the tasks it needs; the access app, for instance, adds a
provisioning task per system of the person's role profile, and a deprovisioning task per account a leaver
holds. Planners run inside the transaction that opens the workflow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

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


# ---- reading once per batch --------------------------------------------------------------------------------------

T = TypeVar("T")
_batch: ContextVar[dict[tuple[int, str], Any] | None] = ContextVar("planning_batch", default=None)


@contextmanager
def planning_batch() -> Iterator[None]:
    """Within this block, what planners read about an organization (its role profiles, settings, members, latest
    snapshots) is read once: a roster file that moves 20,000 people must not load the profiles 20,000 times.
    Only for writes that change none of those records while the block runs."""
    token = _batch.set({})
    try:
        yield
    finally:
        _batch.reset(token)


def batch_cached(organization_id: int, name: str, load: Callable[[], T]) -> T:
    """`load()`, or inside planning_batch() the value it returned the first time for this organization."""
    cache = _batch.get()
    if cache is None:
        return load()
    key = (organization_id, name)
    if key not in cache:
        cache[key] = load()
    return cache[key]
