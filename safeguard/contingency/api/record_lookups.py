"""Turning what an API caller names (a member's email, a record's public id) into this organization's rows. A name
that matches nothing here is refused on the field that gave it, the same way for "missing" and "elsewhere"."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar
from uuid import UUID

from django.db.models import Model

from safeguard.core.models import Evidence, Membership, Organization, User
from safeguard.core.services.errors import ServiceError

M = TypeVar("M", bound=Model)


def member_by_email(organization: Organization, email: str | None, field: str) -> User | None:
    """Any member, current or former: records of past events keep the people who took part."""
    if not email:
        return None
    found = User.objects.filter(
        email__iexact=email, pk__in=Membership.objects.filter(organization=organization).values("user_id")
    ).first()
    if found is None:
        raise ServiceError(f"Nobody with the email {email} belongs to this organization.", field=field)
    return found


def members_by_email(organization: Organization, emails: Iterable[str], field: str) -> list[User]:
    return [user for email in emails if (user := member_by_email(organization, email, field)) is not None]


def records_by_id(model: type[M], organization: Organization, ids: Iterable[UUID], field: str, what: str) -> list[M]:
    wanted = list(dict.fromkeys(ids))
    rows = model._default_manager.filter(organization=organization, public_id__in=wanted)
    found = {row.public_id: row for row in rows}  # type: ignore[attr-defined]
    missing = [str(public_id) for public_id in wanted if public_id not in found]
    if missing:
        raise ServiceError(f"No {what} {', '.join(missing)} in this organization.", field=field)
    return [found[public_id] for public_id in wanted]


def record_by_id(model: type[M], organization: Organization, public_id: UUID | None, field: str, what: str) -> M | None:
    """One record of this organization named by the caller (None when not named)."""
    if public_id is None:
        return None
    found = model._default_manager.filter(organization=organization, public_id=public_id).first()
    if found is None:
        raise ServiceError(f"No such {what} in this organization.", field=field)
    return found


def evidence_by_id(organization: Organization, public_id: UUID | None, field: str = "evidence") -> Evidence | None:
    if public_id is None:
        return None
    found = Evidence.objects.filter(organization=organization, public_id=public_id, is_deleted=False).first()
    if found is None:
        raise ServiceError("No such evidence in this organization.", field=field)
    return found
