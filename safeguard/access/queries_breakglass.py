"""Reads of the break-glass register that the pages, the API, the check and the chore share: the review state of
each use (as a rule and as a query), the rows with what their pages show, and who may be named or act."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet

from safeguard.access.models import BreakGlassAccount, BreakGlassActivation, System
from safeguard.core.models import Membership, Organization, User
from safeguard.core.roles import Perm, Role
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person


class ReviewState(StrEnum):
    DUE = "due"  # not reviewed, deadline still ahead
    OVERDUE = "overdue"  # not reviewed, deadline passed
    LATE = "late"  # reviewed after the deadline
    REVIEWED = "reviewed"  # reviewed by the deadline


REVIEW_STATE_LABELS = {
    ReviewState.DUE: "Review due",
    ReviewState.OVERDUE: "Review overdue",
    ReviewState.LATE: "Reviewed late",
    ReviewState.REVIEWED: "Reviewed in time",
}


def review_state(activation: BreakGlassActivation, now: datetime) -> ReviewState:
    if activation.reviewed_at is None:
        return ReviewState.OVERDUE if now > activation.review_due_at else ReviewState.DUE
    return ReviewState.LATE if activation.reviewed_at > activation.review_due_at else ReviewState.REVIEWED


def in_state(rows: QuerySet[BreakGlassActivation], state: str, now: datetime) -> QuerySet[BreakGlassActivation]:
    """The rows whose review_state(…, now) is `state` (the same rule, as a query)."""
    unreviewed = Q(reviewed_at__isnull=True)
    return {
        ReviewState.DUE: rows.filter(unreviewed, review_due_at__gte=now),
        ReviewState.OVERDUE: rows.filter(unreviewed, review_due_at__lt=now),
        ReviewState.LATE: rows.filter(reviewed_at__gt=F("review_due_at")),
        ReviewState.REVIEWED: rows.filter(reviewed_at__lte=F("review_due_at")),
    }[ReviewState(state)]


def account_rows(organization: Organization) -> QuerySet[BreakGlassAccount]:
    """Accounts with their system, custodians, number of uses and last use: one query plus one for custodians."""
    return (
        BreakGlassAccount.objects.filter(organization=organization)
        .select_related("system__asset")
        .prefetch_related(Prefetch("custodians", queryset=User.objects.order_by("email")))
        .annotate(last_used_at=Max("activations__started_at"), uses=Count("activations"))
        .order_by("system__asset__name", "username")
    )


def activation_rows(organization: Organization) -> QuerySet[BreakGlassActivation]:
    return BreakGlassActivation.objects.filter(organization=organization).select_related(
        "account__system__asset", "used_by", "reviewed_by", "recorded_by", "sanction"
    )


def filter_activations(
    rows: QuerySet[BreakGlassActivation],
    now: datetime,
    *,
    state: str = "",
    unreviewed: bool = False,
    unlinked: bool = False,
    system: System | None = None,
    account: BreakGlassAccount | None = None,
    source: str = "",
) -> QuerySet[BreakGlassActivation]:
    """The filters the list page and the API share; `state` is a ReviewState value (overdue, due, late, reviewed)."""
    if state:
        rows = in_state(rows, state, now)
    if unreviewed:
        rows = rows.filter(reviewed_at__isnull=True)
    if unlinked:
        rows = rows.filter(justified=False, sanction__isnull=True)
    if system is not None:
        rows = rows.filter(account__system=system)
    if account is not None:
        rows = rows.filter(account=account)
    if source:
        rows = rows.filter(source=source)
    return rows


def person_by_reference(organization: Organization, reference: str) -> Person:
    """A roster person by public id, employee id or work email: how forms and the API name who used an account."""
    text = reference.strip()
    people = Person.objects.filter(organization=organization)
    try:
        found = people.filter(public_id=UUID(text)).first()
    except ValueError:
        found = people.filter(employee_id=text).first() or people.filter(email__iexact=text).order_by("pk").first()
    if found is None:
        raise ServiceError(f"No one on the roster matches {text!r}.", field="used_by")
    return found


# ---- names typed for who used an account ------------------------------------------------------------------------


def name_words(text: str) -> frozenset[str]:
    """The words of a name, case and punctuation ignored: "Dr. Robin LEE" → {dr, robin, lee}."""
    return frozenset(re.findall(r"[^\W\d_]+", text.casefold()))


def names_match(typed: str, name: str) -> bool:
    """Whether a typed name is `name`: every word of a name of two or more words appears in it (titles and middle
    names may be added), or a one-word name is all it says."""
    words = name_words(name)
    typed_words = name_words(typed)
    if len(words) >= 2:
        return words <= typed_words
    return bool(words) and words == typed_words


def roster_name(person: Person) -> str:
    return f"{person.given_name} {person.family_name}"


def roster_namesake(organization: Organization, typed: str) -> Person | None:
    """The roster person a typed name designates, if any (one query, however large the roster)."""
    words = name_words(typed)
    if not words:
        return None
    candidates = Q()
    for word in words:
        candidates |= Q(family_name__iexact=word) | Q(given_name__iexact=word)
    people = Person.objects.filter(candidates, organization=organization).order_by("family_name", "given_name", "pk")
    return next((person for person in people if names_match(typed, roster_name(person))), None)


def is_member_named(organization_id: int, user: User, typed: str) -> bool:
    """Whether a typed name (or email) is this member: their own name, their roster name, or their email."""
    if not typed.strip():
        return False
    if typed.strip().casefold() == user.email.casefold() or names_match(typed, user.get_full_name()):
        return True
    people = Person.objects.filter(organization_id=organization_id, email__iexact=user.email)
    return any(names_match(typed, roster_name(person)) for person in people)


def custodian_choices(organization: Organization, keep: Iterable[User] = ()) -> QuerySet[User]:
    """Who may hold an emergency credential: current members who are not auditors (read-only and time-boxed)."""
    members = Membership.objects.current().filter(organization=organization).exclude(role=Role.AUDITOR)
    kept = Q(pk__in=[user.pk for user in keep])
    return User.objects.filter(Q(pk__in=members.values("user_id"), is_active=True) | kept).order_by("email")


def member_may(organization: Organization, user: User | None, perm: Perm) -> bool:
    if user is None:
        return False
    membership = Membership.objects.current().filter(organization=organization, user=user).first()
    return membership is not None and membership.has(perm)


def overdue_unescalated(now: datetime) -> QuerySet[BreakGlassActivation]:
    """Uses in every organization whose review is past its deadline and has not been escalated yet."""
    return (
        BreakGlassActivation.objects.filter(reviewed_at__isnull=True, review_due_at__lt=now, escalated_at__isnull=True)
        .select_related("organization", "account__system__asset", "used_by")
        .prefetch_related("account__custodians")
        .order_by("organization_id", "review_due_at", "pk")
    )
