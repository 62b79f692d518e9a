"""Helpers the acknowledgement tests share: documents and versions made through the services, roster people, and
the cast's members in every role.

No tests live here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization, User
from safeguard.core.roles import Role
from safeguard.training.models import AckDocument, AckDocumentVersion, AudienceKind
from safeguard.training.services.acknowledgements import document_create, version_create, version_publish
from safeguard.workforce.models import Person
from tests.access_factories import person
from tests.conftest import Cast, make_member

TODAY = date(2026, 3, 2)
POLICY = AckDocument.Kind.POLICY
GUIDE = AckDocument.Kind.QUICK_REFERENCE


def actor(user: User | None) -> Actor:
    return Actor(user=user)


def member(cast: Cast, who: str) -> User:
    """One of the cast, or a new member in a role the cast lacks (privacy, manager, reviewer)."""
    roles = {"privacy": Role.PRIVACY_OFFICER, "manager": Role.MANAGER, "reviewer": Role.REVIEWER}
    if who in roles:
        return make_member(cast.org, f"{who}@clinic.test", roles[who]).user
    user: User = getattr(cast, who)
    return user


def audit_count() -> int:
    return AuditEvent.objects.count()


def last_event(action: str) -> AuditEvent:
    found = AuditEvent.objects.filter(action=action).order_by("sequence", "pk").last()
    assert found is not None, action
    return found


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("sequence", "pk").values_list("action", flat=True))


def nurse(cast: Cast, **values: Any) -> Person:
    """The cast's workforce member on the roster (same email as their login)."""
    values.setdefault("email", "nurse@clinic.test")
    return person(cast.org, values.pop("employee_id", "N-1"), name="Nora Nurse", **values)


def document(
    cast: Cast,
    title: str = "Acceptable use policy",
    *,
    kind: str = POLICY,
    audience: str = AudienceKind.EVERYONE,
    values: list[str] | None = None,
    org: Organization | None = None,
    due_days: int = 30,
) -> AckDocument:
    organization = org or cast.org
    author = cast.official if organization == cast.org else cast.outsider
    return document_create(
        organization=organization,
        actor=actor(author),
        title=title,
        kind=kind,
        audience=audience,
        audience_values=values or [],
        due_days=due_days,
    )


def draft(cast: Cast, doc: AckDocument, body: str = "Use work systems for work.", **values: Any) -> AckDocumentVersion:
    author = cast.official if doc.organization == cast.org else cast.outsider
    return version_create(organization=doc.organization, actor=actor(author), document=doc, body=body, **values)


def published(
    cast: Cast, doc: AckDocument, body: str = "Use work systems for work.", today: date = TODAY
) -> AckDocumentVersion:
    author = cast.official if doc.organization == cast.org else cast.outsider
    version = draft(cast, doc, body)
    return version_publish(organization=doc.organization, actor=actor(author), version=version, today=today).version


def scan(name: str = "signed.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 signed acknowledgement", content_type="application/pdf")
