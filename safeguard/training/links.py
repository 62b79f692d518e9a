"""Signed personal links for people who may not have a Safeguard login: read a reminder, acknowledge a document.

A token names one delivery or one request by public id and is signed with the installation's secret key (salted
per purpose), so it cannot be forged or reused for another purpose; it expires after `max_age_days`.
"""

from __future__ import annotations

from django.core import signing

MAX_AGE_DAYS = 60


def make_token(purpose: str, public_id: str) -> str:
    return signing.dumps(str(public_id), salt=f"safeguard.training.{purpose}", compress=False)


def read_token(purpose: str, token: str, *, max_age_days: int = MAX_AGE_DAYS) -> str | None:
    """The public id the token names, or None when it is forged, for another purpose, or expired."""
    try:
        value = signing.loads(token, salt=f"safeguard.training.{purpose}", max_age=max_age_days * 86400)
    except signing.BadSignature:
        return None
    return value if isinstance(value, str) else None
