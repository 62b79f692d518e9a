"""The one read of the sanctions log the training app makes: who was sanctioned, and when.

Assignment rules for "people named in a sanction" give those people a remedial course. They need the sanctioned
member's email (to find them on the roster), the decision day (it starts the round) and the sanction's public id
(so each sanction is its own round). Nothing else of the record (the violation, the level, the notes) leaves the
log, and the assignments it makes are marked confidential.

A sanction can only be linked through the user it names: `sanctioned_emails_since` gives, for every sanction, that
email or "" when it names no user, so the rule page can say how many sanctions could not be linked (the free-text
name is never matched: two people can share a name).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from safeguard.core.models import Organization
from safeguard.risk.models import SanctionRecord


@dataclass(frozen=True)
class SanctionRef:
    email: str  # lower-cased
    decided_on: date
    public_id: str


def sanctions_since(organization: Organization, day: date) -> list[SanctionRef]:
    """Sanctions decided on or after `day` whose sanctioned person is a user with an email, oldest first."""
    rows = (
        SanctionRecord.objects.filter(organization=organization, decided_on__gte=day, person__isnull=False)
        .exclude(person__email="")
        .values_list("person__email", "decided_on", "public_id")
        .order_by("decided_on", "pk")
    )
    return [SanctionRef(email.lower(), decided_on, str(public_id)) for email, decided_on, public_id in rows]


def sanctioned_emails_since(organization: Organization, day: date) -> list[str]:
    """One entry per sanction decided on or after `day`: the sanctioned user's email, lower-cased, or "" when the
    sanction names no user (or a user without an email)."""
    rows = SanctionRecord.objects.filter(organization=organization, decided_on__gte=day).values_list(
        "person__email", flat=True
    )
    return [(email or "").lower() for email in rows]
