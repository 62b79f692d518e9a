"""Tracker checks of workforce security that read accounts: 164.308(a)(3)(ii)(A) and (B).

Who has ePHI access is read from the accounts: a person on the roster (active or on leave) matched to an enabled
account in a system's latest account list. Name-only matches still waiting for confirmation do not count.
- (A) each of them has a manager on the roster and an authorization record (a joiner approval, a review
  decision, or one recorded by hand). Whoever heads the roster has no manager: an authorization given by an owner
  or the security official (not by themselves) stands for their supervision;
- (B) each of them whose role profiles require a clearance has a passed clearance dated on or before their first
  provisioning: the earliest of an account's creation date in any list, the first list that shows them, and a
  completed provisioning task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Min
from django.urls import reverse
from django.utils import timezone

from safeguard.access.models import Account, AccountStatus, Classification
from safeguard.access.queries import ProfileBook, current_accounts, latest_snapshot_ids
from safeguard.core.models import Membership, Organization
from safeguard.core.roles import Role
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef, check
from safeguard.workforce.models import Authorization, Clearance, Person, WorkflowTask

NAMED = 10
PERSON_TYPE = "workforce.person"
NO_ROSTER = CheckResult(
    Status.UNKNOWN,
    "No workforce roster is recorded, so nobody's access can be judged.",
    next_action="Import the HR roster, or connect the identity provider over SCIM.",
)
NO_ACCOUNTS = CheckResult(
    Status.UNKNOWN,
    "No account list is imported for any system, so who has ePHI access is not known.",
    next_action="Import each ePHI system's account list (Systems & accounts).",
)


def people_with_access(organization: Organization) -> list[Person]:
    """Active people (or on leave) holding an enabled account in a latest account list, by name."""
    holders = (
        current_accounts(organization)
        .filter(status=AccountStatus.ACTIVE, classification=Classification.PERSON, person__isnull=False)
        .values("person_id")
    )
    return list(
        Person.objects.filter(
            organization=organization,
            pk__in=holders,
            status__in=(Person.Status.ACTIVE, Person.Status.LEAVE),
        ).order_by("family_name", "given_name", "employee_id")
    )


def _ref(organization: Organization, person: Person, page: str) -> RecordRef:
    url = reverse(f"workforce:{page}", args=[organization.slug, person.public_id])
    return RecordRef(PERSON_TYPE, str(person.public_id), person.full_name, url)


def _names(people: Iterable[str]) -> str:
    listed = list(people)
    shown = ", ".join(listed[:NAMED])
    return shown + (f" and {len(listed) - NAMED} more" if len(listed) > NAMED else "")


def _unjudgeable(organization: Organization) -> CheckResult | None:
    if not Person.objects.filter(organization=organization).exists():
        return NO_ROSTER
    if not latest_snapshot_ids(organization):
        return NO_ACCOUNTS
    return None


# ---- (A) authorization and supervision -------------------------------------------------------------------------


@check("164.308(a)(3)(ii)(A)", name="access.authorization")
def authorization_check(organization: Organization, today: date) -> CheckResult:
    unjudgeable = _unjudgeable(organization)
    if unjudgeable is not None:
        return unjudgeable
    people = people_with_access(organization)
    if not people:
        return CheckResult(
            Status.UNKNOWN,
            "No enabled account in the latest account lists is matched to anyone on the roster.",
            next_action="Match the accounts to people (confirm the name matches, or assign them by hand).",
        )
    authorizations = list(
        Authorization.objects.filter(organization=organization, person__in=people).values_list(
            "person_id", "authorized_by__email"
        )
    )
    authorized = {person_id for person_id, _ in authorizations}
    leaders = {
        email.lower()
        for email in Membership.objects.current()
        .filter(organization=organization, role__in=(Role.OWNER, Role.SECURITY_OFFICIAL))
        .values_list("user__email", flat=True)
    }
    emails = {person.pk: person.email.lower() for person in people}
    supervised_by_leadership = {
        person_id
        for person_id, email in authorizations
        if email.lower() in leaders and email.lower() != emails.get(person_id)
    }
    no_manager = [p for p in people if p.manager_id is None and p.pk not in supervised_by_leadership]
    no_authorization = [person for person in people if person.pk not in authorized]
    if not no_manager and not no_authorization:
        return CheckResult(
            Status.MET,
            f"All {len(people)} people with ePHI access have a manager on the roster and an authorization record.",
            next_action="Keep having each joiner's access authorized, and record the authorization of movers.",
        )
    gaps = []
    if no_manager:
        gaps.append(
            f"{len(no_manager)} have no manager on the roster and no authorization by an owner or the security "
            f"official ({_names(p.full_name for p in no_manager)})"
        )
    if no_authorization:
        gaps.append(
            f"{len(no_authorization)} have no authorization record ({_names(p.full_name for p in no_authorization)})"
        )
    lacking = list(dict.fromkeys([*no_authorization, *no_manager]))
    action = (
        "Record each missing authorization (who approved the access, and when), and set the missing managers in "
        "the roster."
    )
    return CheckResult(
        Status.NOT_MET,
        f"Of {len(people)} people with ePHI access, " + "; ".join(gaps) + ".",
        tuple(_ref(organization, person, "authorization_list") for person in lacking[:NAMED]),
        next_action=action,
    )


# ---- (B) workforce clearance -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClearanceGap:
    person: Person
    why: str

    @property
    def text(self) -> str:
        return f"{self.person.full_name} ({self.why})"


def _earliest(*days: date | None) -> date | None:
    present = [day for day in days if day is not None]
    return min(present) if present else None


def first_access(organization: Organization, people: list[Person]) -> dict[int, date]:
    """Person id → the day they were first provisioned, as far as the records show."""
    accounts: dict[int, dict[str, Any]] = {
        row["person"]: dict(row)
        for row in Account.objects.filter(organization=organization, person__in=people)
        .values("person")
        .annotate(created=Min("created_on"), listed=Min("snapshot__taken_at"))
    }
    provisioned = dict(
        WorkflowTask.objects.filter(
            organization=organization,
            kind=WorkflowTask.Kind.PROVISION,
            status=WorkflowTask.Status.DONE,
            workflow__person__in=people,
        )
        .values("workflow__person")
        .annotate(first=Min("effective_at"))
        .values_list("workflow__person", "first")
    )
    found = {}
    for person in people:
        row = accounts.get(person.pk, {})
        listed, done = row.get("listed"), provisioned.get(person.pk)
        day = _earliest(
            row.get("created"),
            timezone.localdate(listed) if listed else None,
            timezone.localdate(done) if done else None,
        )
        if day is not None:
            found[person.pk] = day
    return found


def clearance_gaps(organization: Organization, people: list[Person]) -> list[ClearanceGap]:
    first = first_access(organization, people)
    clearances: dict[int, list[Clearance]] = {}
    for clearance in Clearance.objects.filter(organization=organization, person__in=people).order_by(
        "-completed_on", "-recorded_at"
    ):
        clearances.setdefault(clearance.person_id, []).append(clearance)
    gaps = []
    for person in people:
        recorded = clearances.get(person.pk, [])
        passed = [c.completed_on for c in recorded if c.result == Clearance.Result.PASSED and c.completed_on]
        began = first.get(person.pk)
        if passed and (began is None or min(passed) <= began):
            continue
        if passed and began is not None:
            why = f"passed on {min(passed):%Y-%m-%d}, after first access on {began:%Y-%m-%d}"
        elif recorded:
            latest = recorded[0]
            dated = f" on {latest.completed_on:%Y-%m-%d}" if latest.completed_on else ""
            why = f"{latest.kind.lower()} {latest.get_result_display().lower()}{dated}"
        else:
            why = "no clearance recorded"
        gaps.append(ClearanceGap(person, why))
    return gaps


@check("164.308(a)(3)(ii)(B)", name="access.clearance")
def clearance_check(organization: Organization, today: date) -> CheckResult:
    book = ProfileBook(organization)
    if not any(profile.requires_clearance for profile in book.profiles):
        return CheckResult(
            Status.UNKNOWN,
            "No role profile requires a clearance, so nobody's clearance can be judged.",
            next_action="Mark the role profiles whose roles need a background check (or other clearance) as "
            "requiring one.",
        )
    unjudgeable = _unjudgeable(organization)
    if unjudgeable is not None:
        return unjudgeable
    people = [p for p in people_with_access(organization) if book.requires_clearance(p.department, p.job_role)]
    if not people:
        return CheckResult(
            Status.MET,
            "Nobody holding an enabled account is in a role whose profile requires a clearance.",
            next_action="Record a clearance result before provisioning anyone in a role that requires one.",
        )
    gaps = clearance_gaps(organization, people)
    if not gaps:
        return CheckResult(
            Status.MET,
            f"All {len(people)} people with access in roles that require a clearance passed it before their first "
            "access.",
            next_action="Keep recording each clearance result before the first provisioning.",
        )
    return CheckResult(
        Status.NOT_MET,
        f"{len(gaps)} of {len(people)} people with access in roles that require a clearance have no passed "
        f"clearance before their first access: {_names(gap.text for gap in gaps)}.",
        tuple(_ref(organization, gap.person, "clearance_list") for gap in gaps[:NAMED]),
        next_action="Record each missing clearance result; for anyone who failed or is pending, decide with the "
        "security official whether their access stays.",
    )
