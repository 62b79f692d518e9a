"""Tracker checks of workforce security: 164.308(a)(3)(ii)(C) termination procedures, judged on the leaver target.

The checks that read accounts, (A) authorization and (B) clearance, live in safeguard/access/checks_workforce.py.
"""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check
from safeguard.workforce.models import Person, Workflow, WorkflowTask
from safeguard.workforce.services.sla import WINDOW_DAYS, Disablement, LeaverSlaReport, leaver_sla, moment_of

NAMED = 10
WORKFLOW_TYPE = "workforce.workflow"


def _ref(organization: Organization, workflow: Workflow, label: str) -> RecordRef:
    url = reverse("workforce:workflow_detail", args=[organization.slug, workflow.public_id])
    return RecordRef(WORKFLOW_TYPE, str(workflow.public_id), label, url)


def _next_due(organization: Organization, after: date) -> date | None:
    """The day the first account task still within its target falls due: the check may turn on that day."""
    task = (
        WorkflowTask.objects.filter(
            organization=organization,
            kind=WorkflowTask.Kind.DEPROVISION,
            status=WorkflowTask.Status.OPEN,
            workflow__kind=Workflow.Kind.LEAVER,
            workflow__status=Workflow.Status.OPEN,
            due_at__isnull=False,
        )
        .order_by("due_at")
        .first()
    )
    if task is None or task.due_at is None:
        return None
    return max(timezone.localdate(task.due_at), after)


def _breaches(organization: Organization, breaches: list[Disablement], leavers: int, accounts: int) -> CheckResult:
    named = "; ".join(row.describe for row in breaches[:NAMED])
    more = f"; and {len(breaches) - NAMED} more" if len(breaches) > NAMED else ""
    still = [row for row in breaches if not row.is_measured]
    records = tuple(
        _ref(organization, workflow, f"Leaver workflow of {workflow.person.full_name}")
        for workflow in dict.fromkeys(row.workflow for row in breaches)
    )[:NAMED]
    if still:
        action = (
            f"Disable {still[0].person.full_name}'s remaining account{'s' if len(still) > 1 else ''} now and record "
            "when each was disabled; then find why the termination procedure was late."
        )
    else:
        action = "Find why these accounts were disabled late and fix the termination procedure (who is told, when)."
    return CheckResult(
        Status.NOT_MET,
        f"{len(breaches)} of the {accounts} accounts of {leavers} leavers missed the target in the last "
        f"{WINDOW_DAYS} days: {named}{more}.",
        records,
        next_action=action,
    )


@check("164.308(a)(3)(ii)(C)", name="workforce.leaver_sla")
def leaver_sla_check(organization: Organization, today: date) -> CheckResult:
    people = Person.objects.filter(organization=organization).count()
    if not people:
        return CheckResult(
            Status.UNKNOWN,
            "No workforce roster is recorded, so leavers cannot be followed.",
            next_action="Import the HR roster, or connect the identity provider over SCIM.",
        )
    report = leaver_sla(organization, now=moment_of(today))
    leavers = len(report.leavers)
    lapses_on = _next_due(organization, today)
    if not leavers:
        return CheckResult(
            Status.MET,
            f"The roster lists {people} people and nobody left in the last {WINDOW_DAYS} days: there is no "
            "termination to judge.",
            lapses_on=lapses_on,
            next_action="When someone leaves, disable each of their accounts within the target and record when.",
        )
    if report.breaches:
        return _breaches(organization, report.breaches, leavers, len(report.rows))
    if not report.rows:
        return CheckResult(
            Status.UNKNOWN,
            f"{leavers} people left in the last {WINDOW_DAYS} days, but no account is listed for any of them, so "
            "no disablement can be measured.",
            next_action="Import each ePHI system's account list, so a leaver's accounts become tasks with a target.",
        )
    return CheckResult(
        Status.MET,
        f"{leavers} people left in the last {WINDOW_DAYS} days and no account missed the target: {_summary(report)}.",
        lapses_on=lapses_on,
        next_action="Keep disabling each leaver's accounts within the target, and record when.",
    )


def _summary(report: LeaverSlaReport) -> str:
    parts = []
    measured = report.measured
    if measured:
        worst = report.worst
        slowest = f", slowest {worst.elapsed_text}" if worst is not None else ""
        parts.append(f"{len(measured)} disabled within it (median {report.median_text}{slowest})")
    waiting = len(report.still_enabled)
    if waiting:
        parts.append(f"{waiting} still enabled, not yet due")
    waived = len(report.rows) - len(measured) - waiting
    if waived:
        parts.append(f"{waived} waived")
    return "; ".join(parts)
