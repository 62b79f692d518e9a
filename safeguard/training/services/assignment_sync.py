"""Asking for the assignment rules to be re-evaluated after a change that can move who must take what.

A roster change, a completion, a phishing import or a new sanction asks once per transaction; the evaluation
runs after the commit, in the background (services/assignment_rules.py: assignments_sync). Requests coalesce: an
evaluation answers every request made before it started, so a burst of requests (SCIM provisioning one person per
call, learners passing quizzes all morning) costs one or two evaluations, not one each.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.core.transactions import on_commit_once
from safeguard.training.models import TrainingSettings


def request_sync(organization: Organization) -> None:
    """Re-evaluate the organization's assignment rules once the current transaction commits."""

    def enqueue() -> None:
        from safeguard.training.tasks_assignments import sync_assignments

        sync_assignments.enqueue(organization_id=organization.pk, requested_at=timezone.now().isoformat())

    on_commit_once(("training.assignments_sync", organization.pk), enqueue)


def sync_claim(organization: Organization, requested_at: datetime, *, now: datetime | None = None) -> bool:
    """Whether an evaluation asked for at `requested_at` must still run; if so, record that one starts `now`.
    An evaluation that started after the request already saw the change that asked for it."""
    now = now or timezone.now()
    with transaction.atomic():
        settings, _ = TrainingSettings.objects.select_for_update().get_or_create(organization=organization)
        if settings.assignments_synced_at is not None and settings.assignments_synced_at >= requested_at:
            return False
        settings.assignments_synced_at = now
        settings.save(update_fields=["assignments_synced_at"])
    return True
