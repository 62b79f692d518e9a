"""What the training checks, pages and API share: the 12-month window, naming people and records, and rates.

The window: "the last 12 months" is the 365 days ending today, today included, so it starts on today − 364 days
(`window_start`). A completion, a quiz attempt or a reminder counts when its local day is in it. An assignment
"fell due" in it when its due date is in it and before today: one due today is not late yet.

Rates compared with a threshold are whole percents rounded down (`whole_percent`): 1,899 of 2,000 is 94%, never
"95.0%", so the figure shown always agrees with the verdict (`meets`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import CheckResult, RecordRef
from safeguard.workforce.models import Person

NAMED = 10  # people or records a reason names before "and N more"
PERSON_ORDER = ("family_name", "given_name", "employee_id")
WINDOW_DAYS = 365
PERSON_TYPE = "workforce.person"
COURSE_TYPE = "training.course"
REMINDER_TYPE = "training.securityreminder"
DOCUMENT_VERSION_TYPE = "training.ackdocumentversion"

NO_ROSTER = CheckResult(
    Status.UNKNOWN,
    "No workforce roster is recorded, so nobody's training can be judged.",
    next_action="Import the HR roster (Workforce), or connect the identity provider over SCIM.",
)
NO_ACTIVE = CheckResult(
    Status.UNKNOWN,
    "Nobody on the workforce roster is active, so nobody's training can be judged.",
    next_action="Bring the roster up to date: import the current HR export.",
)


def day_start(day: date) -> datetime:
    """The first moment of a local day, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def window_start(today: date) -> date:
    """The first day of the last 12 months: the 365 days ending today, today included (today − 364 days)."""
    return today - timedelta(days=WINDOW_DAYS - 1)


def person_ref(organization: Organization, person: Person) -> RecordRef:
    url = reverse("training:person_training", args=[organization.slug, person.public_id])
    return RecordRef(PERSON_TYPE, str(person.public_id), person.full_name, url)


def people_refs(organization: Organization, people: Iterable[Person]) -> tuple[RecordRef, ...]:
    return tuple(person_ref(organization, person) for person in list(people)[:NAMED])


def listed(names: Iterable[str], total: int | None = None) -> str:
    """Up to ten names, then "and N more" (`total` when the caller fetched only the first ten)."""
    shown = list(names)
    count = len(shown) if total is None else total
    text = ", ".join(shown[:NAMED])
    return text + (f" and {count - NAMED} more" if count > NAMED else "")


def whole_percent(part: int, whole: int) -> int | None:
    """A share as a whole percent, rounded down so that 94.9% never reads as 95%; None when there is nothing to
    divide by. The one rate every figure judged against a threshold uses (checks, home page, widget, effectiveness,
    departments)."""
    return part * 100 // whole if whole else None


def percent(part: int, whole: int) -> str:
    """`whole_percent` as text: "94%", or "n/a"."""
    found = whole_percent(part, whole)
    return "n/a" if found is None else f"{found}%"


def meets(part: int, whole: int, threshold: int) -> bool:
    """part/whole reaches threshold percent, in integers; the same as whole_percent(part, whole) >= threshold."""
    return whole > 0 and part * 100 >= threshold * whole


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    return f"{number} {noun if number == 1 else (nouns or noun + 's')}"


def sentence(*clauses: str) -> str:
    """Clauses joined by semicolons, as one sentence: capital first letter, full stop."""
    text = "; ".join(clause for clause in clauses if clause)
    return text[:1].upper() + text[1:] + "."
