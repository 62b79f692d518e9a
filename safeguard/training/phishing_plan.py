"""Planning an import against the database: each recipient matched to a person on the roster (email, case
ignored, one query), merged with what the campaign already holds (one query), and marked new, updated or
unchanged; and the preview people see before committing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from safeguard.core.models import Organization
from safeguard.training.models import PhishingCampaign, PhishingOutcome, PhishingResult
from safeguard.training.phishing_formats import Recipient
from safeguard.training.services.phishing import PlannedResult, ResultsPlan
from safeguard.workforce.models import Person

PREVIEW_ROWS = 20
ACTIONS = {"new": "New", "updated": "Updated", "unchanged": "Unchanged"}


@dataclass(frozen=True)
class Match:
    person_id: int
    department: str
    name: str


def people_by_email(organization: Organization) -> dict[str, Match]:
    """Email (lower case) → the person: one query. Of several people with one email, a current one wins."""
    rows = (
        Person.objects.filter(organization=organization)
        .exclude(email="")
        .values_list("pk", "email", "department", "status", "scim_deleted", "given_name", "family_name")
        .order_by("pk")
    )
    found: dict[str, Match] = {}
    current: set[str] = set()
    for pk, email, department, status, deleted, given, family in rows:
        key = email.strip().lower()
        is_current = status != Person.Status.TERMINATED and not deleted
        if key not in found or (is_current and key not in current):
            found[key] = Match(pk, department, f"{given} {family}".strip() or email)
        if is_current:
            current.add(key)
    return found


@dataclass(frozen=True)
class Held:
    pk: int
    recipient: Recipient
    person_id: int | None
    department: str


def held_results(campaign: PhishingCampaign) -> dict[str, Held]:
    """What the campaign already holds, by email: one query."""
    rows = PhishingResult.objects.filter(campaign=campaign).values_list(
        "pk",
        "email",
        "first_name",
        "last_name",
        "position",
        "external_id",
        "person_id",
        "department",
        "status",
        "sent_at",
        "opened_at",
        "clicked_at",
        "submitted_at",
        "reported",
        "reported_at",
        "clicks",
    )
    held = {}
    for row in rows:
        pk, email, first, last, position, rid, person_id, department, status = row[:9]
        sent, opened, clicked, submitted, reported, reported_at, clicks = row[9:]
        recipient = Recipient(
            email=email,
            first_name=first,
            last_name=last,
            position=position,
            rid=rid,
            status=status,
            sent_at=sent,
            opened_at=opened,
            clicked_at=clicked,
            submitted_at=submitted,
            reported=reported,
            reported_at=reported_at,
            clicks=clicks,
        )
        held[email] = Held(pk, recipient, person_id, department)
    return held


def planned(recipient: Recipient, match: Match | None, held: Held | None) -> tuple[PlannedResult, str]:
    """The recipient as it will be stored, and whether that is new, updated or unchanged. The department is the
    person's when the result is first recorded (the file's for someone not on the roster) and stays."""
    if held is None:
        department = match.department if match and match.department else recipient.department
        return PlannedResult(recipient, match.person_id if match else None, department), "new"
    merged = held.recipient.copy()
    merged.absorb(recipient)
    merged.first_row = recipient.first_row
    person_id = held.person_id or (match.person_id if match else None)
    department = held.department or (match.department if match else "") or recipient.department
    changed = merged.values() != held.recipient.values() or person_id != held.person_id or department != held.department
    return PlannedResult(merged, person_id, department, held.pk, changed), "updated" if changed else "unchanged"


def preview(plan: ResultsPlan, actions: list[str], people: dict[str, Match]) -> list[dict[str, Any]]:
    """The first recipients as they will be stored, new and updated ones first."""
    order = {"new": 0, "updated": 1, "unchanged": 2}
    ranked = sorted(
        zip(plan.results, actions, strict=True), key=lambda pair: (order[pair[1]], pair[0].recipient.first_row)
    )
    names = {match.person_id: match.name for match in people.values()}
    rows = []
    for item, action in ranked[:PREVIEW_ROWS]:
        found = item.recipient
        rows.append(
            {
                "row": found.first_row,
                "action": ACTIONS[action],
                "email": found.email,
                "person": names.get(item.person_id, "") if item.person_id else "",
                "department": item.department,
                "status": str(PhishingOutcome(found.status).label),
                "reported": found.reported,
                "clicks": found.clicks,
            }
        )
    return rows
