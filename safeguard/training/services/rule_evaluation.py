"""Evaluating the assignment rules: open what they call for, close what is already done, cancel what no longer
applies. The front door is `assignments_sync` (re-exported by services/assignment_rules.py, where the
background task and the daily chore find it).

The evaluation is idempotent: run twice, it opens, closes and cancels nothing the second time. It never touches a
completed or excused assignment and never moves a due date once assigned. One open assignment per person and
course (a database constraint): when several rules ask for the same course, the one due first is opened, and it
names the rule that opened it.

An open assignment is
- completed when a completion of its course on or after its window start exists (imported earlier, say);
- cancelled when its person left ("Left the organization"), manual assignments included;
- cancelled when a rule made it, that rule is still live (active, course published), and the person is in the
  audience of no live rule for the course any more ("No longer in the audience of <rule>": a mover);
- otherwise kept, whatever the rules now say (a switched-off rule leaves its assignments as they are).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from safeguard.core.audit import Actor, audit_record
from safeguard.core.models import Organization
from safeguard.core.services.evaluation import request_evaluation_on_commit
from safeguard.training.models import Assignment, AssignmentRule, Course
from safeguard.training.rule_facts import Done, PairKey, RuleFacts
from safeguard.training.rules_engine import Requirement, Terms, requirement_now

EVALUATOR = Actor.system("training.assignments")
LEFT = "Left the organization"
TRIGGER = "training.assignments"


@dataclass(frozen=True)
class Opening:
    person_id: int
    rule: AssignmentRule
    requirement: Requirement


@dataclass
class SyncPlan:
    """What an evaluation would do; nothing is written until it is applied."""

    facts: RuleFacts
    opening: list[Opening] = field(default_factory=list)
    completing: list[tuple[Assignment, Done]] = field(default_factory=list)
    cancelling: list[tuple[Assignment, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {"opened": len(self.opening), "completed": len(self.completing), "cancelled": len(self.cancelling)}


def live_rules(organization: Organization) -> list[AssignmentRule]:
    """The rules that assign: active, and their course published."""
    return list(
        AssignmentRule.objects.filter(organization=organization, active=True, course__status=Course.Status.PUBLISHED)
        .select_related("course")
        .order_by("name", "pk")
    )


def _choose(
    chosen: dict[PairKey, Opening], pair: PairKey, rule: AssignmentRule, found: Requirement, person_id: int
) -> None:
    """Keep the earliest due date when several rules ask for the same course (ties: the rule first by name)."""
    current = chosen.get(pair)
    if current is None or (found.due_on, rule.name, rule.pk) < (
        current.requirement.due_on,
        current.rule.name,
        current.rule.pk,
    ):
        chosen[pair] = Opening(person_id, rule, found)


def sync_plan(organization: Organization, today: date) -> SyncPlan:
    rules = live_rules(organization)
    open_rows = list(
        Assignment.objects.filter(organization=organization, status=Assignment.Status.OPEN).select_related("rule")
    )
    facts = RuleFacts(organization, {r.course_id for r in rules} | {a.course_id for a in open_rows}, today)
    audiences = {rule.pk: facts.audience(rule) for rule in rules}
    by_course: dict[int, list[AssignmentRule]] = defaultdict(list)
    for rule in rules:
        by_course[rule.course_id].append(rule)
    plan = SyncPlan(facts=facts)
    held: set[PairKey] = set()
    for row in open_rows:
        done = facts.first_completion_since(row.person_id, row.course_id, row.window_start)
        if done is not None:
            plan.completing.append((row, done))
        elif row.person_id not in facts.people:
            plan.cancelling.append((row, LEFT))
        elif (
            row.rule is not None
            and row.rule_id in audiences
            and not any(row.person_id in audiences[rule.pk] for rule in by_course[row.course_id])
        ):
            plan.cancelling.append((row, f"No longer in the audience of “{row.rule.name}”"))
        else:
            held.add((row.person_id, row.course_id))
    chosen: dict[PairKey, Opening] = {}
    for rule in rules:
        terms = Terms.of(rule)
        for person_id in sorted(audiences[rule.pk]):
            pair = (person_id, rule.course_id)
            if pair in held:
                continue
            found = requirement_now(terms, facts.facts(rule, person_id), today)
            if found is not None:
                _choose(chosen, pair, rule, found, person_id)
    plan.opening = sorted(chosen.values(), key=lambda o: (o.rule.name, o.rule.pk, o.person_id))
    return plan


def rule_preview(rule: AssignmentRule, today: date) -> list[int]:
    """The people (ids) the rule alone would assign today, active or not: in its audience, owing a round, and
    holding no open assignment of the course. Nothing is written."""
    facts = RuleFacts(rule.organization, {rule.course_id}, today)
    held = set(
        Assignment.objects.filter(
            organization=rule.organization, course_id=rule.course_id, status=Assignment.Status.OPEN
        ).values_list("person_id", flat=True)
    )
    terms = Terms.of(rule)
    return [
        person_id
        for person_id in sorted(facts.audience(rule))
        if person_id not in held and requirement_now(terms, facts.facts(rule, person_id), today) is not None
    ]


# ---- applying -----------------------------------------------------------------------------------------------------


def _opened_changes(opening: Opening, facts: RuleFacts) -> dict[str, list[Any]]:
    found = opening.requirement
    changes: dict[str, list[Any]] = {
        "person": [None, facts.people[opening.person_id].public_id],
        "course": [None, opening.rule.course.public_id],
        "rule": [None, opening.rule.public_id],
        "due_on": [None, found.due_on],
        "window_start": [None, found.window_start],
        "status": [None, Assignment.Status.OPEN],
    }
    if found.confidential:
        changes["confidential"] = [None, True]  # why stays in the sanctions log
    else:
        changes["reason"] = [None, found.reason]
        changes["trigger_key"] = [None, found.trigger_key]
    return changes


def _open(organization: Organization, plan: SyncPlan, today: date) -> None:
    rows = [
        Assignment(
            organization=organization,
            person_id=opening.person_id,
            course=opening.rule.course,
            rule=opening.rule,
            reason=opening.requirement.reason,
            trigger_key=opening.requirement.trigger_key,
            window_start=opening.requirement.window_start,
            assigned_on=today,
            due_on=opening.requirement.due_on,
            confidential=opening.requirement.confidential,
        )
        for opening in plan.opening
    ]
    Assignment.objects.bulk_create(rows)
    for opening, row in zip(plan.opening, rows, strict=True):
        audit_record(
            actor=EVALUATOR,
            action="training.assignment.opened",
            organization=organization,
            target=row,
            changes=_opened_changes(opening, plan.facts),
        )


def _still_open(rows: list[Assignment]) -> set[int]:
    """Lock the rows about to change; a completion recorded meanwhile has closed some of them."""
    if not rows:
        return set()
    ids = [row.pk for row in rows]
    found = Assignment.objects.select_for_update().filter(pk__in=ids, status=Assignment.Status.OPEN)
    return set(found.values_list("pk", flat=True))


def _complete(organization: Organization, plan: SyncPlan) -> int:
    now = timezone.now()
    still = _still_open([row for row, _ in plan.completing])
    changed = []
    for row, done in plan.completing:
        if row.pk not in still:
            continue
        row.status, row.completion_id, row.completed_on, row.closed_at = (
            Assignment.Status.COMPLETED,
            done.pk,
            done.day,
            now,
        )
        changed.append((row, done))
    Assignment.objects.bulk_update([row for row, _ in changed], ["status", "completion", "completed_on", "closed_at"])
    for row, done in changed:
        audit_record(
            actor=EVALUATOR,
            action="training.assignment.completed",
            organization=organization,
            target=row,
            changes={
                "status": [Assignment.Status.OPEN, Assignment.Status.COMPLETED],
                "completion": [None, done.public_id],
                "completed_on": [None, done.day],
            },
        )
    return len(changed)


def _cancel(organization: Organization, plan: SyncPlan) -> int:
    now = timezone.now()
    still = _still_open([row for row, _ in plan.cancelling])
    changed = []
    for row, reason in plan.cancelling:
        if row.pk in still:
            row.status, row.closed_at, row.close_reason = Assignment.Status.CANCELLED, now, reason
            changed.append(row)
    Assignment.objects.bulk_update(changed, ["status", "closed_at", "close_reason"])
    for row in changed:
        audit_record(
            actor=EVALUATOR,
            action="training.assignment.cancelled",
            organization=organization,
            target=row,
            changes={
                "status": [Assignment.Status.OPEN, Assignment.Status.CANCELLED],
                "close_reason": ["", row.close_reason],
            },
        )
    return len(changed)


def assignments_sync(*, organization: Organization, today: date | None = None, dry_run: bool = False) -> dict[str, int]:
    """Open the assignments the live rules call for, complete open ones a completion already satisfies, cancel
    those of leavers and of people no longer in any live rule's audience. Returns the counts (opened, completed,
    cancelled); with dry_run, what it would do, writing nothing."""
    today = today or timezone.localdate()
    if dry_run:
        return sync_plan(organization, today).counts()
    with transaction.atomic():
        # One evaluation at a time per organization: two would both open the same assignments.
        list(Organization.objects.select_for_update().filter(pk=organization.pk).values_list("pk", flat=True))
        plan = sync_plan(organization, today)
        completed = _complete(organization, plan)
        cancelled = _cancel(organization, plan)
        _open(organization, plan, today)
        counts = {"opened": len(plan.opening), "completed": completed, "cancelled": cancelled}
        if any(counts.values()):
            request_evaluation_on_commit(organization, TRIGGER)
    return counts
