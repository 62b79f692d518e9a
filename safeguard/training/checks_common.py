"""What the training checks share: the 365-day window, naming people and records, and rates as text."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.urls import NoReverseMatch, reverse
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
    """The first day of the 365 days ending today: a completion on this day or later counts as recent."""
    return today - timedelta(days=WINDOW_DAYS - 1)


def url_or_blank(name: str, *args: object) -> str:
    """A page's address, or "" while the page is not installed (each training area ships its own pages)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def person_ref(organization: Organization, person: Person) -> RecordRef:
    url = url_or_blank("training:person_training", organization.slug, person.public_id)
    return RecordRef(PERSON_TYPE, str(person.public_id), person.full_name, url)


def people_refs(organization: Organization, people: Iterable[Person]) -> tuple[RecordRef, ...]:
    return tuple(person_ref(organization, person) for person in list(people)[:NAMED])


def listed(names: Iterable[str], total: int | None = None) -> str:
    """Up to ten names, then "and N more" (`total` when the caller fetched only the first ten)."""
    shown = list(names)
    count = len(shown) if total is None else total
    text = ", ".join(shown[:NAMED])
    return text + (f" and {count - NAMED} more" if count > NAMED else "")


def percent(part: int, whole: int) -> str:
    """A share as a whole percent, rounded down so that 94.9% never reads as 95%."""
    return f"{part * 100 // whole}%" if whole else "n/a"


def meets(part: int, whole: int, threshold: int) -> bool:
    """part/whole reaches threshold percent, in integers (no float rounding at the boundary)."""
    return whole > 0 and part * 100 >= threshold * whole


def plural(number: int, noun: str, nouns: str | None = None) -> str:
    return f"{number} {noun if number == 1 else (nouns or noun + 's')}"


def sentence(*clauses: str) -> str:
    """Clauses joined by semicolons, as one sentence: capital first letter, full stop."""
    text = "; ".join(clause for clause in clauses if clause)
    return text[:1].upper() + text[1:] + "."
