"""Daily chores of the workforce app: a leaver's account task passing its due time turns the termination check
(164.308(a)(3)(ii)(C)) red without waiting for the next change of records."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, Max, Q

from safeguard.core.chores import daily_chore
from safeguard.core.models import Organization
from safeguard.core.services.evaluation import request_evaluation
from safeguard.tracker.models import EvaluationRun
from safeguard.workforce.models import Workflow, WorkflowTask
from safeguard.workforce.services.sla import moment_of

TRIGGER = "workforce.deprovision_overdue"


def _evaluated_since(organization_id: int, moment: datetime) -> bool:
    """Whether an evaluation will see the records as of `moment`: one queued, or one started since."""
    return EvaluationRun.objects.filter(
        Q(state=EvaluationRun.State.QUEUED) | Q(started_at__gte=moment) | Q(requested_at__gte=moment),
        organization_id=organization_id,
    ).exists()


def overdue_deprovisioning(now: datetime, dry_run: bool) -> list[str]:
    """Request an evaluation for each organization where a leaver's account task fell due since its last
    evaluation. Idempotent: once a run has started after the latest due time, nothing more is asked."""
    overdue = (
        WorkflowTask.objects.filter(
            kind=WorkflowTask.Kind.DEPROVISION,
            status=WorkflowTask.Status.OPEN,
            workflow__status=Workflow.Status.OPEN,
            due_at__lte=now,
        )
        .values("organization")
        .annotate(latest_due=Max("due_at"), tasks=Count("pk"))
        .order_by("organization")
    )
    lines = []
    slugs = dict(Organization.objects.values_list("pk", "slug"))
    for row in overdue:
        if _evaluated_since(row["organization"], row["latest_due"]):
            continue
        where = f"{slugs[row['organization']]}: {row['tasks']} leaver account task(s) past due"
        if dry_run:
            lines.append(f"{where}: an evaluation would be requested")
            continue
        request_evaluation(Organization.objects.get(pk=row["organization"]), TRIGGER)
        lines.append(f"{where}: evaluation requested")
    return lines


@daily_chore("workforce.overdue_tasks")
def overdue_tasks(today: date, dry_run: bool) -> list[str]:
    return overdue_deprovisioning(moment_of(today), dry_run)
