"""Reads about the training a sanction brings, and who may see what of it.

A rule for "people named in a sanction" gives its people a remedial course. Who those people are is the sanctions
log's secret: only members who may read the log (VIEW_SANCTIONS) see their names in the rule's preview, the rule
behind a confidential assignment, and which sanctions the rule could not link to anyone on the roster. Other
program viewers see the numbers (the preview's count, the rule's open assignments) and, on an assignment, "Assigned
by the security official".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models.functions import Lower

from safeguard.core.models import Membership
from safeguard.risk.queries_training import sanctioned_emails_since
from safeguard.training.models import Assignment, AssignmentRule, AudienceKind
from safeguard.training.queries_assignments import may_read_confidential
from safeguard.training.services.rule_evaluation import rule_preview
from safeguard.workforce.models import Person

PREVIEW_NAMES = 20


@dataclass(frozen=True)
class RulePreview:
    """Who a rule would assign today: how many, and the first few by name unless the names are confidential."""

    count: int
    people: list[Person] = field(default_factory=list)
    names_hidden: bool = False


@dataclass(frozen=True)
class UnlinkedSanctions:
    """Sanctions decided since a rule's start that assign no one: they name no user, or a user whose email is on
    nobody on the roster. (The typed name is never matched: two people can share one.)"""

    since: date
    no_user: int
    no_roster_match: int

    @property
    def total(self) -> int:
        return self.no_user + self.no_roster_match


def names_hidden(membership: Membership, rule: AssignmentRule) -> bool:
    """Whether the people a rule assigns are kept from this member: a sanction rule's people, to non-readers."""
    return rule.audience == AudienceKind.SANCTIONED and not may_read_confidential(membership)


def rule_preview_for(membership: Membership, rule: AssignmentRule, today: date) -> RulePreview:
    """Who the rule alone would assign today (runs the engine over the roster), as this member may see it."""
    would = rule_preview(rule, today)
    if names_hidden(membership, rule):
        return RulePreview(count=len(would), names_hidden=True)
    people = Person.objects.filter(pk__in=would[:PREVIEW_NAMES]).order_by("family_name", "given_name", "employee_id")
    return RulePreview(count=len(would), people=list(people))


def shown_rule(assignment: Assignment, confidential_ok: bool) -> AssignmentRule | None:
    """The rule that opened the assignment, unless it is confidential and the member may not read the log."""
    if assignment.confidential and not confidential_ok:
        return None
    return assignment.rule


def unlinked_sanctions(rule: AssignmentRule) -> UnlinkedSanctions | None:
    """For a sanction rule, the sanctions decided on or after its start that could not be linked to a roster person
    (anyone on the roster, whatever their status: a leaver is left out on purpose, not for want of a link). None
    for other rules. Two queries."""
    if rule.audience != AudienceKind.SANCTIONED:
        return None
    emails = sanctioned_emails_since(rule.organization, rule.starts_on)
    named = {email for email in emails if email}
    found: set[str] = set()
    if named:
        rows = Person.objects.filter(organization=rule.organization).annotate(lowered=Lower("email"))
        found = set(rows.filter(lowered__in=named).values_list("lowered", flat=True))
    return UnlinkedSanctions(
        since=rule.starts_on,
        no_user=sum(1 for email in emails if not email),
        no_roster_match=sum(1 for email in emails if email and email not in found),
    )
