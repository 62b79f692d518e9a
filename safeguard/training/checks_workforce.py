"""The tracker check of the training standard, 164.308(a)(5) (its text is paragraph (a)(5)(i)).

Met needs both:
1. at least the threshold (95% unless changed in the training settings) of the active workforce trained on time
   (queries_effectiveness.py says exactly what on time means);
2. nobody with ePHI access lacks initial training: everyone (active or on leave) holding an enabled account in a
   system's latest account list has completed an initial course, or their joiner workflow's training step was
   waived (the recorded exception). Name-only account matches still waiting for confirmation do not count.
Without any account list, who has ePHI access is not known: the reason says so and part 1 alone decides.
`lapses_on` is the first day the verdict may turn: the day after the earliest due date among open assignments not
yet due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, Min, OuterRef, Q

from safeguard.access.models import AccountStatus, Classification
from safeguard.access.queries import current_accounts, latest_snapshot_ids
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, check
from safeguard.training.checks_common import (
    NAMED,
    NO_ACTIVE,
    NO_ROSTER,
    PERSON_ORDER,
    listed,
    meets,
    people_refs,
    percent,
    plural,
    sentence,
)
from safeguard.training.models import Assignment, AssignmentRule, Completion, Course, CourseKind
from safeguard.training.queries import training_settings
from safeguard.training.queries_effectiveness import PeopleTimeliness, people_timeliness
from safeguard.workforce.models import Person, Workflow, WorkflowTask

NOTHING_ASSIGNED = CheckResult(
    Status.NOT_MET,
    "No training is assigned: install the starter curriculum and switch its rules on.",
    next_action="Install the starter curriculum (Training → Courses), publish its courses and switch its assignment "
    "rules on.",
)
PART1_ACTION = (
    "get the people not on time through their courses: remind those overdue and their managers, and make sure the "
    "rules assign a course to everyone"
)
PART2_ACTION = (
    "have each person with ePHI access and no initial training complete it, or record the waiver in their joiner "
    "workflow"
)
MET_ACTION = "Keep assignments completed by their due dates; check the overdue list each week."


@dataclass(frozen=True)
class InitialGap:
    with_access: int
    lacking: int
    first: list[Person]


def initial_training_gap(organization: Organization) -> InitialGap:
    """People (active or on leave) with an enabled account in a latest list and no initial training: two queries
    after the latest lists are known."""
    holders = (
        current_accounts(organization)
        .filter(status=AccountStatus.ACTIVE, classification=Classification.PERSON, person__isnull=False)
        .values("person_id")
    )
    trained = Exists(Completion.objects.filter(person=OuterRef("pk"), course__kind=CourseKind.INITIAL)) | Exists(
        WorkflowTask.objects.filter(
            workflow__person=OuterRef("pk"),
            workflow__kind=Workflow.Kind.JOINER,
            kind=WorkflowTask.Kind.TRAINING,
            status=WorkflowTask.Status.WAIVED,
        )
    )
    people = Person.objects.filter(
        organization=organization,
        pk__in=holders,
        status__in=(Person.Status.ACTIVE, Person.Status.LEAVE),
        scim_deleted=False,
    )
    counts = people.aggregate(total=Count("pk"), lacking=Count("pk", filter=~Q(trained)))
    first = list(people.exclude(trained).order_by(*PERSON_ORDER)[:NAMED]) if counts["lacking"] else []
    return InitialGap(with_access=counts["total"], lacking=counts["lacking"], first=first)


def _part1_text(found: PeopleTimeliness, threshold: int) -> str:
    judged = f"{found.on_time} of {plural(found.active, 'active person', 'active people')} " + (
        f"({percent(found.on_time, found.active)}) are trained on time (threshold {threshold}%)"
    )
    if not found.not_on_time_count:
        return judged
    why = []
    if found.overdue:
        why.append(f"{found.overdue} with training overdue")
    if found.late:
        why.append(f"{found.late} who completed training late in the last 12 months")
    if found.nothing_recent:
        why.append(f"{found.nothing_recent} with no training in the last 12 months and none assigned")
    names = listed((person.full_name for person in found.not_on_time), found.not_on_time_count)
    return f"{judged}; " + ", ".join(why) + f": {names}"


def _part2_text(gap: InitialGap) -> str:
    holders = plural(gap.with_access, "person", "people")
    if not gap.lacking:
        return f"all {holders} with ePHI access completed initial training or had it waived"
    names = listed((person.full_name for person in gap.first), gap.lacking)
    verb = "has" if gap.lacking == 1 else "have"
    return f"{gap.lacking} of {holders} with ePHI access {verb} no initial training: {names}"


def _lapses_on(organization: Organization, today: date) -> date | None:
    earliest = Assignment.objects.filter(
        organization=organization,
        status=Assignment.Status.OPEN,
        due_on__gte=today,
        person__status=Person.Status.ACTIVE,
        person__scim_deleted=False,
    ).aggregate(first=Min("due_on"))["first"]
    return earliest + timedelta(days=1) if earliest else None


@check("164.308(a)(5)", name="training.workforce_trained")
def workforce_trained(organization: Organization, today: date) -> CheckResult:
    if not Person.objects.filter(organization=organization).exists():
        return NO_ROSTER
    if not AssignmentRule.objects.filter(
        organization=organization, active=True, course__status=Course.Status.PUBLISHED
    ).exists():
        return NOTHING_ASSIGNED
    threshold = training_settings(organization).completion_threshold
    found = people_timeliness(organization, today)
    if not found.active:
        return NO_ACTIVE
    part1_met = meets(found.on_time, found.active, threshold)
    texts = [_part1_text(found, threshold)]
    actions = [] if part1_met else [PART1_ACTION]
    records = () if part1_met else people_refs(organization, found.not_on_time)
    part2_met = True
    if not latest_snapshot_ids(organization):
        texts.append(
            "who has ePHI access cannot be known: no account list is imported, so initial training before access is "
            "not judged"
        )
        actions.append("import each ePHI system's account list (Systems & accounts)")
    else:
        gap = initial_training_gap(organization)
        part2_met = not gap.lacking
        texts.append(_part2_text(gap))
        if not part2_met:
            actions.insert(0, PART2_ACTION)
            records = tuple(dict.fromkeys((*records, *people_refs(organization, gap.first))))
    if part1_met and part2_met:
        return CheckResult(
            Status.MET,
            sentence(*texts),
            lapses_on=_lapses_on(organization, today),
            next_action=sentence(actions[0]) if actions else MET_ACTION,
        )
    return CheckResult(Status.NOT_MET, sentence(*texts), records, next_action=sentence(*actions))
