"""The tracker checks of the training topics the Security Rule names: 164.308(a)(5)(ii)(B) protection from malicious
software, (C) log-in monitoring and (D) password management.

A course covers a specification when it is published and linked to a topic whose citations include it. Met needs
a covering course and, over the active workforce, at least the completion threshold (95% unless changed) with a
completion of a covering course in the 365 days ending today; below it the check is partially met. (D) also reads
the MFA coverage of the accounts in the systems' latest lists: any enabled privileged account without MFA lowers
met to partially met. `lapses_on` (when met) is the day the first counted completion leaves the 365 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from safeguard.access.models import Account, AccountStatus
from safeguard.access.queries import current_accounts
from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check
from safeguard.training.checks_common import (
    COURSE_TYPE,
    NAMED,
    NO_ACTIVE,
    NO_ROSTER,
    PERSON_ORDER,
    WINDOW_DAYS,
    day_start,
    listed,
    meets,
    people_refs,
    percent,
    plural,
    window_start,
)
from safeguard.training.models import Completion, Course, Topic
from safeguard.training.queries import active_people, training_settings
from safeguard.workforce.models import Person

SUBJECTS = {
    "164.308(a)(5)(ii)(B)": "protection from malicious software",
    "164.308(a)(5)(ii)(C)": "log-in monitoring",
    "164.308(a)(5)(ii)(D)": "password management",
}


def covering_courses(organization: Organization, citation: str) -> list[Course]:
    """Published courses linked to a topic that serves `citation`. Topics are few: their citations are matched
    here rather than with a JSON lookup some databases lack."""
    topic_ids = [
        topic_id
        for topic_id, citations in Topic.objects.filter(organization=organization).values_list("pk", "citations")
        if isinstance(citations, list) and citation in citations
    ]
    if not topic_ids:
        return []
    return list(
        Course.objects.filter(organization=organization, status=Course.Status.PUBLISHED, topics__in=topic_ids)
        .distinct()
        .order_by("title", "code")
    )


@dataclass(frozen=True)
class TopicCompletion:
    active: int
    completed: int
    missing: list[Person]
    earliest_expiry: date | None  # the day the first counted completion leaves the 365 days


def topic_completion(organization: Organization, courses: list[Course], today: date) -> TopicCompletion:
    """Active people with a completion of one of `courses` in the 365 days ending today: three queries."""
    recent = Completion.objects.filter(
        organization=organization,
        course__in=courses,
        completed_at__gte=day_start(window_start(today)),
        completed_at__lt=day_start(today + timedelta(days=1)),
    )
    # A subquery of the people who completed, not a correlated EXISTS per person: SQLite would scan the
    # organization's completions once per person (about a minute at 10,000 people).
    done = Q(pk__in=recent.values("person_id"))
    people = active_people(organization)
    counts = people.aggregate(active=Count("pk"), completed=Count("pk", filter=done))
    missing_count = counts["active"] - counts["completed"]
    missing = list(people.exclude(done).order_by(*PERSON_ORDER)[:NAMED]) if missing_count else []
    latest = recent.filter(person__in=people).values("person").annotate(last=Max("completed_at")).values_list("last")
    days = [timezone.localdate(last) for (last,) in latest]
    expiry = min(days) + timedelta(days=WINDOW_DAYS) if days else None
    return TopicCompletion(counts["active"], counts["completed"], missing, expiry)


@dataclass(frozen=True)
class MfaCoverage:
    enabled_recorded: int  # enabled accounts whose list says whether MFA is on
    with_mfa: int
    privileged_without: list[Account]
    privileged_without_count: int

    @property
    def text(self) -> str:
        return (
            f"MFA on {self.with_mfa} of {plural(self.enabled_recorded, 'enabled account')} with MFA recorded "
            f"({percent(self.with_mfa, self.enabled_recorded)})"
        )


def mfa_coverage(organization: Organization) -> MfaCoverage | None:
    """MFA over the enabled accounts of each system's latest list; None when no list holds an enabled account.
    Three queries at most."""
    accounts = current_accounts(organization).filter(status=AccountStatus.ACTIVE)
    counts = accounts.aggregate(
        enabled=Count("pk"),
        recorded=Count("pk", filter=Q(mfa_enabled__isnull=False)),
        with_mfa=Count("pk", filter=Q(mfa_enabled=True)),
        privileged_without=Count("pk", filter=Q(privileged=True, mfa_enabled=False)),
    )
    if not counts["enabled"]:
        return None
    first = (
        list(
            accounts.filter(privileged=True, mfa_enabled=False)
            .select_related("system__asset", "person")
            .order_by("system__asset__name", "username")[:NAMED]
        )
        if counts["privileged_without"]
        else []
    )
    return MfaCoverage(counts["recorded"], counts["with_mfa"], first, counts["privileged_without"])


def _account_text(account: Account) -> str:
    holder = f" ({account.person.full_name})" if account.person else ""
    return f"{account.system.asset.name} account {account.username}{holder}"


def _course_ref(organization: Organization, course: Course) -> RecordRef:
    url = reverse("training:course_detail", args=[organization.slug, course.public_id])
    return RecordRef(COURSE_TYPE, str(course.public_id), f"{course.title} ({course.code})", url)


def topic_check(organization: Organization, today: date, citation: str) -> CheckResult:
    subject = SUBJECTS[citation]
    courses = covering_courses(organization, citation)
    if not courses:
        return CheckResult(
            Status.NOT_MET,
            f"No course covers {subject}: no published course is linked to a topic that serves {citation}.",
            next_action=f"Publish a course on {subject} (the starter curriculum has one) and link it to a topic that "
            f"serves {citation}.",
        )
    if not Person.objects.filter(organization=organization).exists():
        return NO_ROSTER
    found = topic_completion(organization, courses, today)
    if not found.active:
        return NO_ACTIVE
    threshold = training_settings(organization).completion_threshold
    titles = listed(course.title for course in courses)
    covered = (
        f"{titles} {'covers' if len(courses) == 1 else 'cover'} {subject}; {found.completed} of "
        f"{plural(found.active, 'active person', 'active people')} ({percent(found.completed, found.active)}) "
        f"completed {'it' if len(courses) == 1 else 'one of them'} in the last 12 months (threshold {threshold}%)"
    )
    records = tuple(_course_ref(organization, course) for course in courses[:NAMED])
    completion_met = meets(found.completed, found.active, threshold)
    parts, actions = [covered], []
    if not completion_met:
        parts[0] += f"; not completed by {listed((p.full_name for p in found.missing), found.active - found.completed)}"
        actions.append(f"assign {titles} to everyone (an assignment rule for everyone, yearly)")
        records = (*records, *people_refs(organization, found.missing))
    mfa_short = False
    if citation == "164.308(a)(5)(ii)(D)":
        mfa = mfa_coverage(organization)
        if mfa is not None:
            parts.append(mfa.text)
            if mfa.privileged_without_count:
                mfa_short = True
                names = listed((_account_text(a) for a in mfa.privileged_without), mfa.privileged_without_count)
                parts.append(f"{plural(mfa.privileged_without_count, 'privileged account')} without MFA: {names}")
                actions.append("turn MFA on for every privileged account")
    reason = "; ".join(parts) + "."
    if completion_met and not mfa_short:
        return CheckResult(
            Status.MET,
            reason,
            records,
            lapses_on=found.earliest_expiry,
            next_action=f"Keep {titles} assigned yearly so completions stay within 12 months.",
        )
    action = "; ".join(actions) + "."
    return CheckResult(Status.PARTIALLY_MET, reason, records, next_action=action[0].upper() + action[1:])


@check("164.308(a)(5)(ii)(B)", name="training.topic_b")
def topic_b(organization: Organization, today: date) -> CheckResult:
    return topic_check(organization, today, "164.308(a)(5)(ii)(B)")


@check("164.308(a)(5)(ii)(C)", name="training.topic_c")
def topic_c(organization: Organization, today: date) -> CheckResult:
    return topic_check(organization, today, "164.308(a)(5)(ii)(C)")


@check("164.308(a)(5)(ii)(D)", name="training.topic_d")
def topic_d(organization: Organization, today: date) -> CheckResult:
    return topic_check(organization, today, "164.308(a)(5)(ii)(D)")
