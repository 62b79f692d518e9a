"""The tracker's writes for the roles the shared cast lacks: a privacy officer manages the program but does not sign;
a manager and a reviewer only read it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import AuditEvent, EvidenceLink, User
from safeguard.core.roles import Role
from safeguard.tracker.models import AddressableDecision, Attestation, EvaluationRun
from tests.conftest import Cast, client_for, make_member
from tests.test_tracker_writes import make_attestation, make_decision

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SPEC = "164.310(b)"
ADDRESSABLE = "164.312(a)(2)(iii)"

# (role, may manage the program): a privacy officer may; a manager and a reviewer may not.
ROLES = [(Role.PRIVACY_OFFICER, True), (Role.MANAGER, False), (Role.REVIEWER, False)]


def member(cast: Cast, role: str) -> User:
    return make_member(cast.org, f"{role}@clinic.test", role).user


def audit_since(mark: int) -> list[str]:
    return list(AuditEvent.objects.filter(pk__gt=mark).order_by("pk").values_list("action", flat=True))


def audit_mark() -> int:
    last = AuditEvent.objects.order_by("-pk").first()
    return last.pk if last else 0


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_record_an_attestation(cast: Cast, role: str, allowed: bool) -> None:
    response = client_for(member(cast, role)).post(
        reverse("tracker:attestation_create", args=["clinic", SPEC]),
        {"attest-statement": "Policy issued.", "attest-expires_on": (TODAY + timedelta(days=90)).isoformat()},
    )
    assert response.status_code == (302 if allowed else 403)
    assert Attestation.objects.filter(organization=cast.org).count() == (1 if allowed else 0)
    assert audit_since(0) == (["attestation.recorded"] if allowed else [])


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_withdraw_an_attestation(cast: Cast, role: str, allowed: bool) -> None:
    record = make_attestation(cast)
    mark = audit_mark()
    response = client_for(member(cast, role)).post(
        reverse("tracker:attestation_withdraw", args=["clinic", record.public_id])
    )
    assert response.status_code == (302 if allowed else 403)
    record.refresh_from_db()
    assert (record.withdrawn_at is not None) is allowed
    assert audit_since(mark) == (["attestation.withdrawn"] if allowed else [])


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_attach_evidence_to_an_attestation(cast: Cast, role: str, allowed: bool) -> None:
    record = make_attestation(cast)
    mark = audit_mark()
    response = client_for(member(cast, role)).post(
        reverse("tracker:attestation_evidence", args=["clinic", record.public_id]),
        {"evidence_file": SimpleUploadedFile("ack.txt", b"acknowledged", content_type="text/plain")},
    )
    assert response.status_code == (302 if allowed else 403)
    assert EvidenceLink.objects.filter(target_id=str(record.public_id)).exists() is allowed
    assert audit_since(mark) == (["evidence.uploaded", "evidence.linked"] if allowed else [])


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_record_a_decision(cast: Cast, role: str, allowed: bool) -> None:
    response = client_for(member(cast, role)).post(
        reverse("tracker:decision_create", args=["clinic", ADDRESSABLE]),
        {
            "decide-decision": "not_reasonable",
            "decide-rationale": "Kiosks in a locked room.",
            "decide-alternative_measure": "Badge-controlled room.",
            "decide-review_on": (TODAY + timedelta(days=365)).isoformat(),
        },
    )
    assert response.status_code == (302 if allowed else 403)
    assert AddressableDecision.objects.filter(organization=cast.org).exists() is allowed
    assert audit_since(0) == (["decision.recorded"] if allowed else [])


@pytest.mark.parametrize("role", [role for role, _ in ROLES])
def test_nobody_of_these_signs_a_decision(cast: Cast, role: str) -> None:
    record = make_decision(cast)
    mark = audit_mark()
    response = client_for(member(cast, role)).post(reverse("tracker:decision_sign", args=["clinic", record.public_id]))
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.signature is None
    assert audit_since(mark) == []


@pytest.mark.parametrize(("role", "allowed"), ROLES)
def test_request_an_evaluation(cast: Cast, role: str, allowed: bool) -> None:
    response = client_for(member(cast, role)).post(reverse("tracker:evaluate", args=["clinic"]))
    assert response.status_code == (302 if allowed else 403)
    assert EvaluationRun.objects.filter(organization=cast.org).exists() is allowed
    assert audit_since(0)[:1] == (["evaluation.requested"] if allowed else [])
