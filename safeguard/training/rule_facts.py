"""What the rules engine needs to know about an organization's people, read in a fixed number of queries.

One `RuleFacts` is loaded per evaluation: the current people (active or on leave) once, the completions and
excused rounds of the courses the rules name once, and each audience once (a query per roster audience; the
privileged accounts, the clicks and the sanctions once each, and only when a rule asks for them). However many
people the roster holds, the evaluation costs a handful of queries per rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple
from uuid import UUID

from django.utils import timezone

from safeguard.access.models import AccountStatus
from safeguard.access.queries import current_accounts
from safeguard.core.dates import EARLIEST
from safeguard.core.models import Organization
from safeguard.risk.queries_training import sanctions_since
from safeguard.training.audiences import current_people, roster_filter
from safeguard.training.models import (
    ROSTER_AUDIENCES,
    Assignment,
    AssignmentRule,
    AudienceKind,
    Completion,
    PhishingOutcome,
    PhishingResult,
)
from safeguard.training.rules_engine import Event, Facts

PairKey = tuple[int, int]  # (person id, course id)


@dataclass(frozen=True)
class PersonRow:
    pk: int
    public_id: UUID
    joined_on: date  # hire date, else the local day they were added to the roster
    email: str  # lower-cased


class Done(NamedTuple):
    """A completion as the rules see it: its local day."""

    day: date
    pk: int
    public_id: UUID


class RuleFacts:
    """The organization's people and history as the rules see them on `today`."""

    def __init__(self, organization: Organization, course_ids: Iterable[int], today: date) -> None:
        self.organization = organization
        self.today = today
        self.course_ids = set(course_ids)
        self.people = self._people()
        self.completions = self._completions()
        self.excused = self._excused()
        self._audiences: dict[tuple[str, tuple[str, ...]], set[int]] = {}
        self._privileged: set[int] | None = None
        self._clicks: dict[int, list[Event]] | None = None
        self._sanctions: dict[int, list[Event]] | None = None

    # ---- loading -------------------------------------------------------------------------------------------------

    def _people(self) -> dict[int, PersonRow]:
        rows = current_people(self.organization).values_list("pk", "public_id", "hire_date", "created_at", "email")
        return {
            pk: PersonRow(pk, public_id, hire_date or timezone.localtime(created_at).date(), (email or "").lower())
            for pk, public_id, hire_date, created_at, email in rows
        }

    def _completions(self) -> dict[PairKey, list[Done]]:
        """(person, course) → their completions, earliest first."""
        found: dict[PairKey, list[Done]] = defaultdict(list)
        if not self.course_ids:
            return found
        rows = Completion.objects.filter(organization=self.organization, course_id__in=self.course_ids).values_list(
            "person_id", "course_id", "completed_at", "pk", "public_id"
        )
        for person_id, course_id, completed_at, pk, public_id in rows:
            found[(person_id, course_id)].append(Done(timezone.localtime(completed_at).date(), pk, public_id))
        for days in found.values():
            days.sort()
        return found

    def _excused(self) -> dict[PairKey, list[tuple[str, date]]]:
        found: dict[PairKey, list[tuple[str, date]]] = defaultdict(list)
        if not self.course_ids:
            return found
        rows = Assignment.objects.filter(
            organization=self.organization, course_id__in=self.course_ids, status=Assignment.Status.EXCUSED
        ).values_list("person_id", "course_id", "trigger_key", "due_on")
        for person_id, course_id, key, due_on in rows:
            found[(person_id, course_id)].append((key, due_on))
        return found

    def privileged(self) -> set[int]:
        """Current people holding an enabled privileged account in the latest account list of a system."""
        if self._privileged is None:
            held = current_accounts(self.organization).filter(
                privileged=True, status=AccountStatus.ACTIVE, person__isnull=False
            )
            self._privileged = set(held.values_list("person_id", flat=True)) & set(self.people)
        return self._privileged

    def clicks(self) -> dict[int, list[Event]]:
        """Person → a round per phishing result where they clicked or submitted data, in launched campaigns."""
        if self._clicks is None:
            self._clicks = defaultdict(list)
            rows = PhishingResult.objects.filter(
                organization=self.organization,
                status__in=(PhishingOutcome.CLICKED, PhishingOutcome.SUBMITTED),
                person__isnull=False,
                campaign__launched_at__isnull=False,
            )
            values = rows.values_list(
                "public_id", "person_id", "clicked_at", "submitted_at", "campaign__launched_at", "campaign__name"
            ).order_by("pk")
            for public_id, person_id, clicked_at, submitted_at, launched_at, name in values:
                if person_id not in self.people:
                    continue
                launched = timezone.localtime(launched_at).date()
                moment = clicked_at or submitted_at
                day = timezone.localtime(moment).date() if moment is not None else launched
                reason = f"Clicked in the phishing simulation “{name}” on {day.isoformat()}"
                self._clicks[person_id].append(Event(f"phish:{public_id}", day, launched, reason))
        return self._clicks

    def sanctions(self) -> dict[int, list[Event]]:
        """Person → a round per sanction naming them (the sanctioned member's email is the person's). Sanctions
        naming no user, or a user on nobody's roster record, assign no one: the rule page counts them for readers
        of the sanctions log (queries_confidential.unlinked_sanctions)."""
        if self._sanctions is None:
            self._sanctions = defaultdict(list)
            by_email = {row.email: pk for pk, row in self.people.items() if row.email}
            for ref in sanctions_since(self.organization, EARLIEST):
                person_id = by_email.get(ref.email)
                if person_id is not None:
                    reason = f"Named in a sanction decided on {ref.decided_on.isoformat()}"
                    self._sanctions[person_id].append(
                        Event(f"sanction:{ref.public_id}", ref.decided_on, ref.decided_on, reason)
                    )
        return self._sanctions

    # ---- per rule ------------------------------------------------------------------------------------------------

    def events(self, rule: AssignmentRule) -> dict[int, list[Event]]:
        if rule.audience == AudienceKind.PHISHING_CLICKERS:
            return self.clicks()
        if rule.audience == AudienceKind.SANCTIONED:
            return self.sanctions()
        return {}

    def audience(self, rule: AssignmentRule) -> set[int]:
        """The current people the rule's audience holds today (for an event audience: with a counted event)."""
        kind = rule.audience
        if kind == AudienceKind.EVERYONE:
            return set(self.people)
        if kind in ROSTER_AUDIENCES:
            key = (kind, tuple(sorted(value.lower() for value in rule.audience_values)))
            if key not in self._audiences:
                rows = current_people(self.organization).filter(roster_filter(kind, list(rule.audience_values)))
                self._audiences[key] = set(rows.values_list("pk", flat=True))
            return self._audiences[key]
        if kind == AudienceKind.NEW_HIRES:
            return {pk for pk, row in self.people.items() if row.joined_on >= rule.starts_on}
        if kind == AudienceKind.PRIVILEGED:
            return self.privileged()
        events = self.events(rule)
        return {pk for pk, found in events.items() if any(e.counted_from >= rule.starts_on for e in found)}

    def facts(self, rule: AssignmentRule, person_id: int) -> Facts:
        pair = (person_id, rule.course_id)
        return Facts(
            joined_on=self.people[person_id].joined_on,
            completions=[done.day for done in self.completions.get(pair, ())],
            excused=self.excused.get(pair, ()),
            events=self.events(rule).get(person_id, ()),
        )

    def first_completion_since(self, person_id: int, course_id: int, day: date) -> Done | None:
        """The person's earliest completion of the course on or after `day` (a local day)."""
        for done in self.completions.get((person_id, course_id), ()):
            if done.day >= day:
                return done
        return None
