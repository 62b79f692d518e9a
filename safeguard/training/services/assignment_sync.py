"""Asking for the assignment rules to be re-evaluated after a change that can move who must take what.

A roster change, a completion, a phishing import or a new sanction asks once per transaction; the evaluation
runs after the commit, in the background (services/assignment_rules.py: assignments_sync).
"""

from __future__ import annotations

from safeguard.core.models import Organization
from safeguard.core.transactions import on_commit_once


def request_sync(organization: Organization) -> None:
    """Re-evaluate the organization's assignment rules once the current transaction commits."""

    def enqueue() -> None:
        from safeguard.training.tasks_assignments import sync_assignments

        sync_assignments.enqueue(organization_id=organization.pk)

    on_commit_once(("training.assignments_sync", organization.pk), enqueue)
