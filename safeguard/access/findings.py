"""What an access review finds wrong with one account, as the campaign froze it.

Pure functions over plain values: judging 120,000 accounts costs no query, and each rule is tested on its own.
Each rule answers the sentence a reviewer reads, or None when it finds nothing. A disabled (or locked) account
raises nothing: the access is already off.

Days count in whole calendar days from the day the campaign started: "more than N days" means N days exactly is
still fine. A termination counts when it happened before the end of the roster day, 23:59:59 included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from safeguard.access.models import Classification, Finding
from safeguard.access.rules import ANY_ROLE, PRIVILEGED, Allowance, uncovered

Kind = Finding.Kind
DETAIL_LENGTH = 500


@dataclass(frozen=True)
class Review:
    """What every account of one system is judged against."""

    roster_as_of: date
    roster_end: datetime  # the first moment after the roster day: terminations before it count
    review_on: date  # the day the campaign started
    inactive_days: int  # the system's limit, else the campaign's


@dataclass(frozen=True)
class AccountFacts:
    username: str
    enabled: bool
    classification: str
    roles: Sequence[str] = ()
    privileged: bool = False
    mfa_enabled: bool | None = None
    last_login_on: date | None = None
    created_on: date | None = None
    has_owner: bool = False
    email: str = ""
    employee_id: str = ""


@dataclass(frozen=True)
class Lapsed:
    """An approved exception that expired before the roster day."""

    role: str
    privileged: bool
    expires_on: date


@dataclass(frozen=True)
class HolderFacts:
    """The person an account was matched to, as the roster stood, and what allows their access on its system."""

    name: str
    terminated_at: datetime | None = None
    profile_names: Sequence[str] = ()
    grants: Sequence[Allowance] = ()  # their profiles' grants on the account's system
    exceptions: Sequence[Allowance] = ()  # valid on the roster day, on that system
    lapsed: Sequence[Lapsed] = ()  # expired before the roster day, on that system


def roster_end(roster_as_of: date) -> datetime:
    """The first moment after the roster day, in the installation's time zone."""
    return datetime.combine(roster_as_of + timedelta(days=1), time.min, tzinfo=timezone.get_current_timezone())


def _days(later: date, earlier: date) -> int:
    return (later - earlier).days


def orphan(account: AccountFacts) -> str | None:
    if not account.enabled or account.classification != Classification.ORPHAN:
        return None
    said = [f"email {account.email}"] if account.email else []
    said += [f"employee id {account.employee_id}"] if account.employee_id else []
    if not said:
        return "Nobody on the roster matches this account, and the list gives no email or employee id for it."
    return f"Nobody on the roster matches this account ({', '.join(said)})."


def unconfirmed_match(account: AccountFacts, holder: HolderFacts | None) -> str | None:
    if not account.enabled or account.classification != Classification.PENDING:
        return None
    who = holder.name if holder else "a person"
    return f"Matched to {who} by name only; nobody has confirmed the account is theirs."


def terminated_active(account: AccountFacts, holder: HolderFacts | None, review: Review) -> str | None:
    if not account.enabled or holder is None or holder.terminated_at is None:
        return None
    if account.classification not in (Classification.PERSON, Classification.PENDING):
        return None
    if holder.terminated_at >= review.roster_end:
        return None
    ended = timezone.localtime(holder.terminated_at)
    guess = " (matched by name, unconfirmed)" if account.classification == Classification.PENDING else ""
    return (
        f"{holder.name}{guess} was terminated on {ended:%Y-%m-%d %H:%M}, on or before the roster date "
        f"{review.roster_as_of:%Y-%m-%d}, and the account is still enabled."
    )


def inactive(account: AccountFacts, review: Review) -> str | None:
    if not account.enabled or account.last_login_on is None:
        return None
    days = _days(review.review_on, account.last_login_on)
    if days <= review.inactive_days:
        return None
    return f"Last login {account.last_login_on:%Y-%m-%d}, {days} days before the review (limit {review.inactive_days})."


def never_used(account: AccountFacts, review: Review) -> str | None:
    """Service accounts are left out: their lists rarely record a login, and no one person provisioned them."""
    if not account.enabled or account.last_login_on is not None or account.classification == Classification.SERVICE:
        return None
    if account.created_on is None:
        return "Never logged in, and the list gives no creation date."
    days = _days(review.review_on, account.created_on)
    if days <= review.inactive_days:
        return None
    return (
        f"Never logged in; created {account.created_on:%Y-%m-%d}, {days} days before the review "
        f"(limit {review.inactive_days})."
    )


def _person_account(account: AccountFacts, holder: HolderFacts | None) -> bool:
    return account.enabled and holder is not None and account.classification == Classification.PERSON


def _missing(account: AccountFacts, holder: HolderFacts) -> list[str]:
    return uncovered(
        roles=account.roles, privileged=account.privileged, grants=holder.grants, exceptions=holder.exceptions
    )


def beyond_profile(account: AccountFacts, holder: HolderFacts | None, review: Review) -> str | None:
    if holder is None or not _person_account(account, holder):
        return None
    missing = _missing(account, holder)
    if not missing:
        return None
    profiles = f"profile {', '.join(holder.profile_names)}" if holder.profile_names else "no role profile"
    return (
        f"Beyond {holder.name}'s access ({profiles}), with no exception valid on {review.roster_as_of:%Y-%m-%d}: "
        f"{', '.join(missing)}."
    )


def _lapsed_for(entitlement: str, lapsed: Lapsed) -> bool:
    if entitlement == PRIVILEGED:
        return lapsed.privileged
    role = lapsed.role.strip().lower()
    return role == entitlement or role == ANY_ROLE


def expired_exception(account: AccountFacts, holder: HolderFacts | None) -> str | None:
    """Only for entitlements nothing covers any more: an exception renewed, or a profile widened since, has
    answered for the access."""
    if holder is None or not holder.lapsed or not _person_account(account, holder):
        return None
    latest: dict[str, date] = {}
    for entitlement in _missing(account, holder):
        for lapsed in holder.lapsed:
            if _lapsed_for(entitlement, lapsed) and lapsed.expires_on > latest.get(entitlement, date.min):
                latest[entitlement] = lapsed.expires_on
    if not latest:
        return None
    parts = [f"{entitlement} expired on {expired:%Y-%m-%d}" for entitlement, expired in latest.items()]
    return f"The exception for {'; for '.join(parts)}; the account still holds it."


def privileged_no_mfa(account: AccountFacts) -> str | None:
    if not account.enabled or not account.privileged or account.mfa_enabled is True:
        return None
    if account.mfa_enabled is None:
        return "Privileged account; the list does not say whether MFA is on."
    return "Privileged account with MFA off."


def shared_no_owner(account: AccountFacts) -> str | None:
    if not account.enabled or account.classification != Classification.SHARED or account.has_owner:
        return None
    return "Shared account with no owner: nobody on the roster answers for its use."


def account_findings(account: AccountFacts, holder: HolderFacts | None, review: Review) -> list[tuple[str, str]]:
    """Every finding about one account: (kind, the sentence), in a fixed order."""
    if not account.enabled:
        return []
    found = (
        (Kind.ORPHAN, orphan(account)),
        (Kind.UNCONFIRMED_MATCH, unconfirmed_match(account, holder)),
        (Kind.TERMINATED_ACTIVE, terminated_active(account, holder, review)),
        (Kind.INACTIVE, inactive(account, review)),
        (Kind.NEVER_USED, never_used(account, review)),
        (Kind.BEYOND_PROFILE, beyond_profile(account, holder, review)),
        (Kind.EXPIRED_EXCEPTION, expired_exception(account, holder)),
        (Kind.PRIVILEGED_NO_MFA, privileged_no_mfa(account)),
        (Kind.SHARED_NO_OWNER, shared_no_owner(account)),
    )
    return [(str(kind), detail[:DETAIL_LENGTH]) for kind, detail in found if detail is not None]
