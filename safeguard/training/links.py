"""Signed personal links for people who may not have a Safeguard login: read a reminder, acknowledge a document.

A token names one delivery or one request by public id and is signed with the installation's secret key (salted
per purpose), so it cannot be forged or reused for another purpose. It also carries when it was made.

How long a link works depends on what it names, so a page reads the token in two steps: `token_subject` checks the
signature and gives the public id, the page finds the record, then `token_fresh` checks the token's age against
what that record allows. A reminder link works for MAX_AGE_DAYS. An acknowledgement link works until 30 days after
its request's due date, and never for less than MAX_AGE_DAYS (`ack_link_max_age_days`): a document may give people
up to a year to acknowledge it.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.core import signing

MAX_AGE_DAYS = 60
ACK_GRACE_DAYS = 30  # an acknowledgement link keeps working this long after its request's due date


def _salt(purpose: str) -> str:
    return f"safeguard.training.{purpose}"


def make_token(purpose: str, public_id: str) -> str:
    return signing.dumps(str(public_id), salt=_salt(purpose), compress=False)


def _load(purpose: str, token: str, max_age_days: int | None) -> str | None:
    max_age = None if max_age_days is None else timedelta(days=max_age_days)
    try:
        value = signing.loads(token, salt=_salt(purpose), max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return value if isinstance(value, str) else None


def read_token(purpose: str, token: str, *, max_age_days: int = MAX_AGE_DAYS) -> str | None:
    """The public id the token names, or None when it is forged, for another purpose, or older than max_age_days."""
    return _load(purpose, token, max_age_days)


def token_subject(purpose: str, token: str) -> str | None:
    """The public id a genuine token of this purpose names, whatever its age: check `token_fresh` once the record
    it names says how old the token may be."""
    return _load(purpose, token, None)


def token_fresh(purpose: str, token: str, *, max_age_days: int | None) -> bool:
    """Whether the (genuine) token is at most max_age_days old; None: any age."""
    return _load(purpose, token, max_age_days) is not None


def ack_link_max_age_days(due_on: date, today: date) -> int | None:
    """How old an acknowledgement link may be when opened `today`: any age up to and including 30 days after the
    request's due date, MAX_AGE_DAYS after that. So a link works until the later of those two days."""
    if today <= due_on + timedelta(days=ACK_GRACE_DAYS):
        return None
    return MAX_AGE_DAYS
