"""Helpers the sanction tests share: policies and sanctions made through the services, and confidentiality probes.

No tests live here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.risk.models import SanctionLevel, SanctionPolicy, SanctionRecord
from safeguard.risk.services.sanctions import sanction_create, sanction_policy_approve, sanction_policy_create
from tests.conftest import Cast, make_member

TODAY = timezone.localdate()
VIOLATION = "Looked up a neighbour's chart without a work reason"
NOTES = "Second occurrence; union representative present"
PERSON = "Jordan Example"


def actor(user: User) -> Actor:
    return Actor(user=user)


def pdf(name: str = "policy.pdf", content: bytes = b"%PDF-1.4 sanction policy") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def draft(
    cast: Cast, body: str = "Violations are sanctioned by level.", org: Organization | None = None
) -> SanctionPolicy:
    organization = org or cast.org
    author = cast.owner if organization == cast.org else cast.outsider
    return sanction_policy_create(organization=organization, actor=actor(author), body=body)


def approved(cast: Cast, body: str = "Violations are sanctioned by level.") -> SanctionPolicy:
    policy = draft(cast, body)
    return sanction_policy_approve(
        organization=cast.org, actor=actor(cast.official), policy=policy, statement="Approved for use."
    )


def sanction_values(cast: Cast, **values: Any) -> dict[str, Any]:
    return {
        "person_name": PERSON,
        "occurred_on": TODAY - timedelta(days=10),
        "decided_on": TODAY - timedelta(days=3),
        "violation": VIOLATION,
        "policy_breached": "Minimum necessary access",
        "level": SanctionLevel.WRITTEN_WARNING,
        "decided_by": cast.official,
        "notes": NOTES,
        **values,
    }


def sanction(cast: Cast, org: Organization | None = None, **values: Any) -> SanctionRecord:
    organization = org or cast.org
    if organization != cast.org:
        values.setdefault("decided_by", cast.outsider)
    author = cast.owner if organization == cast.org else cast.outsider
    return sanction_create(organization=organization, actor=actor(author), **sanction_values(cast, **values))


def orm_sanction(cast: Cast, decided_on: date, **values: Any) -> SanctionRecord:
    """A row straight through the ORM (no audit event, no date rules), for tests of reads and of the check."""
    fields: dict[str, Any] = {
        "organization": cast.org,
        "person_name": PERSON,
        "occurred_on": decided_on,
        "decided_on": decided_on,
        "violation": VIOLATION,
        "policy_breached": "Password policy",
        "level": SanctionLevel.COACHING,
        "decided_by": cast.official,
        "created_by": cast.official,
        **values,
    }
    return SanctionRecord.objects.create(**fields)


def leaked(*secrets: str) -> list[str]:
    """Audit events whose stored text holds any of `secrets`: the trail must never copy the log."""
    found: list[str] = []
    for event in AuditEvent.objects.all():
        text = f"{event.object_repr} {event.changes}"
        found.extend(f"{event.action}: {secret}" for secret in secrets if secret in text)
    return found


def member(org: Organization, email: str, role: str) -> User:
    return make_member(org, email, role).user
