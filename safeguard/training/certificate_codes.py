"""Certificate verification codes: what lets a program check that a certificate someone shows was issued by
Safeguard for a completion, and was not edited.

The code is the completion's stable facts (its id, the employee id, the course code and version, the completion
moment in UTC and the score), signed with an HMAC by django.core.signing under the installation's SECRET_KEY and a
salt naming this use and the organization. Names are left out on purpose: they change (a marriage, a course
renamed) without the completion changing. Nobody without the key can make a code that verifies, and a code made
for one organization does not verify in another. The code carries the facts, so verifying it needs no lookup; the
record is looked up afterwards only to say whether it is still there and still says the same.

Rotating SECRET_KEY invalidates the codes already printed unless the old key stays in SECRET_KEY_FALLBACKS.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from django.core import signing

from safeguard.core.models import Organization
from safeguard.training.models import Completion

SALT = "safeguard.training.certificate.v1"
CODE_MAX = 2000
FACT_LABELS = {
    "completion_id": "Completion id",
    "employee_id": "Employee id",
    "course_code": "Course code",
    "course_version": "Course version",
    "completed_at": "Completed at (UTC)",
    "score": "Score",
}
FACT_NAMES = tuple(FACT_LABELS)


def _signer(organization: Organization) -> signing.Signer:
    return signing.Signer(salt=f"{SALT}:{organization.public_id}")


def signed_facts(completion: Completion) -> dict[str, Any]:
    """The facts a code signs, as plain JSON values. The moment is written in UTC so the zone setting of the
    installation never changes a code."""
    return {
        "completion_id": str(completion.public_id),
        "employee_id": completion.person.employee_id,
        "course_code": completion.course.code,
        "course_version": completion.course_version,
        "completed_at": completion.completed_at.astimezone(UTC).isoformat(),
        "score": completion.score,
    }


def certificate_code(completion: Completion) -> str:
    """The same code every time for the same completion (no timestamp is signed)."""
    return _signer(completion.organization).sign_object(signed_facts(completion), compress=True)


@dataclass(frozen=True)
class CertificateCheck:
    """What a pasted code says: whether it is valid, the facts it signs, and how the record compares."""

    valid: bool
    facts: dict[str, Any] | None = None
    completion: Completion | None = None  # the completion it names, when still on record in this organization
    differences: list[str] = field(default_factory=list)  # names of the facts the record no longer shows

    @property
    def rows(self) -> list[tuple[str, Any]]:
        """The signed facts with their labels, in a fixed order, for the page."""
        return [(FACT_LABELS[name], value) for name, value in (self.facts or {}).items()]

    @property
    def different_labels(self) -> list[str]:
        return [FACT_LABELS[name] for name in self.differences]

    @property
    def on_record(self) -> bool:
        return self.completion is not None

    @property
    def matches_record(self) -> bool:
        return self.completion is not None and not self.differences


def read_code(organization: Organization, code: str) -> dict[str, Any] | None:
    """The facts a code signs for this organization, or None when it is not a valid code of this organization.
    Spaces and line breaks are ignored: a code copied from a PDF often comes back wrapped."""
    compact = "".join(code.split())
    if not compact or len(compact) > CODE_MAX:
        return None
    try:
        facts = _signer(organization).unsign_object(compact)
    except signing.BadSignature:
        return None
    if not isinstance(facts, dict) or set(facts) != set(FACT_NAMES):
        return None
    return {name: facts[name] for name in FACT_NAMES}


def certificate_check(organization: Organization, code: str) -> CertificateCheck:
    """Verify a code: no query when it is not valid, one to find the record otherwise."""
    facts = read_code(organization, code)
    if facts is None:
        return CertificateCheck(valid=False)
    completion = (
        Completion.objects.filter(organization=organization, public_id=facts["completion_id"])
        .select_related("person", "course", "organization")
        .first()
    )
    if completion is None:
        return CertificateCheck(valid=True, facts=facts)
    current = signed_facts(completion)
    differences = [name for name in FACT_NAMES if current[name] != facts[name]]
    return CertificateCheck(valid=True, facts=facts, completion=completion, differences=differences)
