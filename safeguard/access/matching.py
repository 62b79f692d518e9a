"""Who an account belongs to, as plain functions over data loaded once: a 120,000-row list is matched against a
20,000-person roster with dictionary lookups, never a query per account.

The order, first that answers wins:
1. a person's decision about the account name on that system (AccountDesignation);
2. the list's own account type, when it says service or shared (the person found by employee id or email, if
   any, becomes the owner: a service account registered to someone's email is not their personal account);
3. employee id, then email (case ignored), then name (first and last word of "Given Family" or "Family, Given";
   only a name one person on the roster has). A name-only match waits for confirmation (classification PENDING);
4. unmatched: service or shared when the account type or the username says so, else an orphan.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from safeguard.access.models import Classification, MatchMethod

AMBIGUOUS = -1

ACCOUNT_TYPES = {
    "user": "user",
    "person": "user",
    "human": "user",
    "employee": "user",
    "named": "user",
    "individual": "user",
    "service": "service",
    "system": "service",
    "application": "service",
    "app": "service",
    "api": "service",
    "technical": "service",
    "machine": "service",
    "service account": "service",
    "shared": "shared",
    "generic": "shared",
    "group": "shared",
    "shared account": "shared",
}

# Whole words of a username (split at punctuation; trailing digits ignored) that mark a non-human account. Whole
# words only: "apinto" is a person called A. Pinto, not an API client.
SERVICE_WORDS = frozenset(
    {
        "svc",
        "service",
        "services",
        "api",
        "batch",
        "backup",
        "scanner",
        "scan",
        "interface",
        "hl7",
        "integration",
        "daemon",
        "noreply",
        "donotreply",
        "sync",
        "etl",
        "bot",
        "cron",
        "job",
        "agent",
        "fhir",
        "edi",
        "mirth",
    }
)
SHARED_WORDS = frozenset(
    {
        "shared",
        "generic",
        "frontdesk",
        "desk",
        "reception",
        "receptionist",
        "nurse",
        "nurses",
        "nursing",
        "station",
        "kiosk",
        "lab",
        "temp",
        "training",
        "test",
        "tester",
        "demo",
        "guest",
        "admin",
        "administrator",
        "root",
        "triage",
        "pharmacy",
        "office",
        "frontoffice",
        "registration",
        "scheduling",
    }
)


@dataclass(frozen=True, slots=True)
class Match:
    classification: str
    method: str = MatchMethod.NONE
    person_id: int | None = None
    owner_id: int | None = None


@dataclass(frozen=True, slots=True)
class Designated:
    """A person's decision about one account name on one system, as matching needs it."""

    classification: str
    person_id: int | None = None
    owner_id: int | None = None


def normalize_name(text: str) -> str:
    """ "Reyes, Dana M." and "Dana Reyes" both give "dana reyes": accents, case, punctuation and middle names
    ignored. Empty when the text has fewer than two words (a lone word names nobody for sure)."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    if "," in text:
        family, _, given = text.partition(",")
        text = f"{given} {family}"
    words = re.sub(r"[^\w\s-]", "", text).replace("-", " ").replace("_", " ").split()
    return f"{words[0]} {words[-1]}" if len(words) >= 2 else ""


def _words(username: str) -> set[str]:
    lowered = username.strip().lower()
    pieces = [piece for piece in re.split(r"[^a-z0-9]+", lowered) if piece]
    candidates = set(pieces)
    candidates.add("".join(pieces))
    return candidates | {piece.rstrip("0123456789") for piece in candidates}


def looks_like_service(username: str) -> bool:
    lowered = username.strip().lower()
    if lowered.endswith("$") or lowered.startswith("svc"):  # "$": a computer account in Active Directory
        return True
    return bool(_words(lowered) & SERVICE_WORDS)


def looks_like_shared(username: str) -> bool:
    return bool(_words(username) & SHARED_WORDS)


def parse_account_type(text: str) -> str | None:
    """user, service or shared for the words lists use; "" for a blank cell; None for a word we do not know."""
    lowered = " ".join(text.strip().lower().replace("_", " ").split())
    if not lowered:
        return ""
    return ACCOUNT_TYPES.get(lowered)


def unmatched_classification(username: str, account_type: str = "") -> str:
    """What an account nobody on the roster holds is: service, shared or orphan."""
    if account_type == "service":
        return Classification.SERVICE
    if account_type == "shared":
        return Classification.SHARED
    if account_type == "user":
        return Classification.ORPHAN
    if looks_like_service(username):
        return Classification.SERVICE
    if looks_like_shared(username):
        return Classification.SHARED
    return Classification.ORPHAN


class PeopleIndex:
    """The roster as lookups: employee id, email and normalized name → person id (AMBIGUOUS when shared)."""

    def __init__(self, people: Iterable[tuple[int, str, str, str, str]]) -> None:
        """`people`: (pk, employee_id, email, given_name, family_name) of everyone on the roster, leavers too."""
        self.by_employee_id: dict[str, int] = {}
        self.by_email: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.names: dict[int, str] = {}
        for pk, employee_id, email, given, family in people:
            self.names[pk] = " ".join(part for part in (given, family) if part) or employee_id
            if employee_id:
                self.by_employee_id[employee_id.strip().lower()] = pk
            _add(self.by_email, email.strip().lower(), pk)
            _add(self.by_name, normalize_name(f"{given} {family}"), pk)

    def find(self, *, employee_id: str, email: str) -> tuple[int | None, str]:
        """The person an employee id or an email names, and how; (None, "") when neither names one person."""
        if employee_id:
            found = self.by_employee_id.get(employee_id.strip().lower())
            if found is not None:
                return found, MatchMethod.EMPLOYEE_ID
        if email:
            found = self.by_email.get(email.strip().lower())
            if found is not None and found != AMBIGUOUS:
                return found, MatchMethod.EMAIL
        return None, MatchMethod.NONE

    def by_display_name(self, display_name: str) -> int | None:
        found = self.by_name.get(normalize_name(display_name)) if display_name else None
        return None if found in (None, AMBIGUOUS) else found


def _add(index: dict[str, int], key: str, pk: int) -> None:
    if key:
        index[key] = pk if index.get(key, pk) == pk else AMBIGUOUS


def match_account(
    *,
    username: str,
    email: str,
    employee_id: str,
    display_name: str,
    account_type: str,
    people: PeopleIndex,
    designations: dict[str, Designated],
) -> Match:
    """Who holds one account and what kind of account it is (see the module's docstring for the order)."""
    designated = designations.get(username.strip().lower())
    if designated is not None:
        manual = MatchMethod.MANUAL if designated.person_id else MatchMethod.NONE
        return Match(designated.classification, manual, designated.person_id, designated.owner_id)
    if not email and "@" in username:
        email = username  # a list without an email column often logs people in with it
    person_id, method = people.find(employee_id=employee_id, email=email)
    if account_type in ("service", "shared"):
        return Match(unmatched_classification(username, account_type), owner_id=person_id)
    if person_id is not None:
        return Match(Classification.PERSON, method, person_id)
    by_name = people.by_display_name(display_name)
    if by_name is not None:
        return Match(Classification.PENDING, MatchMethod.NAME, by_name)
    return Match(unmatched_classification(username, account_type))
