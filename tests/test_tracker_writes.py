"""Writes from the requirement page: record and withdraw attestations, record and sign addressable decisions."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, Signature
from safeguard.core.roles import Role
from safeguard.tracker.models import AddressableDecision, Attestation, EvaluationRun, Verdict
from safeguard.tracker.services import attestation_record, decision_record
from tests.conftest import Cast, client_for, make_member

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SPEC = "164.310(b)"  # a standard without specifications: assessed itself
ADDRESSABLE = "164.312(a)(2)(iii)"
REQUIRED_SPEC = "164.312(a)(2)(i)"


def client_as(cast: Cast, who: str | None) -> Client:
    return client_for(getattr(cast, who) if who else None)


def page_url(citation: str) -> str:
    return reverse("tracker:requirement", args=["clinic", citation])


def attest_url(citation: str, slug: str = "clinic") -> str:
    return reverse("tracker:attestation_create", args=[slug, citation])


def decide_url(citation: str, slug: str = "clinic") -> str:
    return reverse("tracker:decision_create", args=[slug, citation])


def attestation_data(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "attest-statement": "Workstation use policy issued and acknowledged.",
        "attest-expires_on": (TODAY + timedelta(days=180)).isoformat(),
    }
    data.update(extra)
    return data


def decision_data(**extra: object) -> dict[str, object]:
    data: dict[str, object] = {
        "decide-decision": "not_reasonable",
        "decide-rationale": "Single-purpose kiosks in a locked room.",
        "decide-alternative_measure": "Badge-controlled room and OS screen lock.",
        "decide-review_on": (TODAY + timedelta(days=365)).isoformat(),
    }
    data.update(extra)
    return data


def make_attestation(cast: Cast) -> Attestation:
    return attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation=SPEC,
        statement="Policy issued.",
        expires_on=TODAY + timedelta(days=90),
    )


def make_decision(cast: Cast) -> AddressableDecision:
    return decision_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation=ADDRESSABLE,
        decision="not_reasonable",
        rationale="Kiosk.",
        alternative_measure="Locked room.",
        review_on=TODAY + timedelta(days=200),
    )


def assert_denied(response_status: int, status: int, response_location: str | None, who: str | None) -> None:
    assert response_status == status
    if who is None:
        assert response_location is not None and response_location.startswith(reverse("login"))


# Record an attestation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "official"])
def test_program_managers_record_an_attestation_with_evidence(
    cast: Cast, who: str, django_capture_on_commit_callbacks
) -> None:
    data = attestation_data(
        **{
            "attest-evidence_file": SimpleUploadedFile(
                "policy.pdf", b"%PDF-1.4 policy", content_type="application/pdf"
            ),
            "attest-evidence_title": "Workstation policy v2",
            "attest-evidence_effective_date": (TODAY - timedelta(days=10)).isoformat(),
        }
    )
    client = client_as(cast, who)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(attest_url(SPEC), data)

    assert response.status_code == 302
    assert response["Location"] == page_url(SPEC)
    attestation = Attestation.objects.get(organization=cast.org)
    assert attestation.attested_by == getattr(cast, who)
    assert attestation.expires_on == TODAY + timedelta(days=180)
    evidence = Evidence.objects.get(organization=cast.org)
    assert (evidence.title, evidence.effective_date) == ("Workstation policy v2", TODAY - timedelta(days=10))
    event = AuditEvent.objects.get(action="attestation.recorded")
    assert event.actor == getattr(cast, who) and event.object_id == str(attestation.public_id)
    # The evaluation ran in the background (inline in tests) after the commit.
    assert Verdict.objects.get(organization=cast.org, requirement__citation=SPEC).status == "met"
    page = client.get(response["Location"]).content.decode()
    assert f"Attestation recorded for {SPEC}" in page
    assert "Workstation policy v2" in page


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)])
def test_others_cannot_record_an_attestation(cast: Cast, who: str | None, status: int) -> None:
    response = client_as(cast, who).post(attest_url(SPEC), attestation_data())
    assert_denied(response.status_code, status, response.get("Location"), who)
    assert not Attestation.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        (attestation_data(**{"attest-statement": ""}), "This field is required."),
        (attestation_data(**{"attest-expires_on": TODAY.isoformat()}), "The expiry date must be in the future."),
        (
            attestation_data(**{"attest-expires_on": (TODAY + timedelta(days=4000)).isoformat()}),
            "An attestation can last at most three years.",
        ),
        (
            attestation_data(
                **{"attest-evidence_file": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")}
            ),
            "Files of type application/x-msdownload are not accepted.",
        ),
    ],
)
def test_refused_attestation_shows_the_error_and_writes_nothing(
    cast: Cast, data: dict[str, object], field_error: str
) -> None:
    response = client_as(cast, "owner").post(attest_url(SPEC), data)
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not Attestation.objects.exists()
    assert not Evidence.objects.exists()
    assert not AuditEvent.objects.exists()
    assert not EvaluationRun.objects.exists()


def test_attestation_on_a_standard_with_specifications_is_refused_on_the_form(cast: Cast) -> None:
    response = client_as(cast, "owner").post(attest_url("164.308(a)(1)"), attestation_data())
    assert response.status_code == 400
    assert "assessed through its implementation specifications" in response.content.decode()
    assert not Attestation.objects.exists()


def test_attestation_for_an_unknown_citation_is_404(cast: Cast) -> None:
    assert client_as(cast, "owner").post(attest_url("164.999(z)"), attestation_data()).status_code == 404
    assert not AuditEvent.objects.exists()


def test_attest_is_post_only(cast: Cast) -> None:
    assert client_as(cast, "owner").get(attest_url(SPEC)).status_code == 405


# Withdraw an attestation ------------------------------------------------------------------------------------------


def withdraw_url(attestation: Attestation, slug: str = "clinic") -> str:
    return reverse("tracker:attestation_withdraw", args=[slug, attestation.public_id])


def test_owner_withdraws_an_attestation(cast: Cast) -> None:
    attestation = make_attestation(cast)
    response = client_as(cast, "owner").post(withdraw_url(attestation))
    assert response.status_code == 302 and response["Location"] == page_url(SPEC)
    attestation.refresh_from_db()
    assert attestation.withdrawn_at is not None
    assert AuditEvent.objects.filter(action="attestation.withdrawn", object_id=str(attestation.public_id)).exists()


def test_withdrawing_twice_shows_a_message_and_writes_nothing_more(cast: Cast) -> None:
    attestation = make_attestation(cast)
    client = client_as(cast, "owner")
    client.post(withdraw_url(attestation))
    before = AuditEvent.objects.count()
    response = client.post(withdraw_url(attestation), follow=True)
    assert "already withdrawn" in response.content.decode()
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)])
def test_others_cannot_withdraw_an_attestation(cast: Cast, who: str | None, status: int) -> None:
    attestation = make_attestation(cast)
    before = AuditEvent.objects.count()
    response = client_as(cast, who).post(withdraw_url(attestation))
    assert_denied(response.status_code, status, response.get("Location"), who)
    attestation.refresh_from_db()
    assert attestation.withdrawn_at is None
    assert AuditEvent.objects.count() == before


def test_outsider_cannot_reach_a_foreign_attestation_through_their_own_org(cast: Cast) -> None:
    attestation = make_attestation(cast)
    before = AuditEvent.objects.count()
    assert client_as(cast, "outsider").post(withdraw_url(attestation, slug="other")).status_code == 404
    missing = reverse("tracker:attestation_withdraw", args=["other", uuid4()])
    assert client_as(cast, "outsider").post(missing).status_code == 404
    attestation.refresh_from_db()
    assert attestation.withdrawn_at is None
    assert AuditEvent.objects.count() == before


# Record an addressable decision -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "official"])
def test_program_managers_record_a_decision(cast: Cast, who: str) -> None:
    response = client_as(cast, who).post(decide_url(ADDRESSABLE), decision_data())
    assert response.status_code == 302 and response["Location"] == page_url(ADDRESSABLE)
    decision = AddressableDecision.objects.get(organization=cast.org)
    assert (decision.decision, decision.created_by, decision.signature) == ("not_reasonable", getattr(cast, who), None)
    assert AuditEvent.objects.filter(action="decision.recorded", object_id=str(decision.public_id)).exists()


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)])
def test_others_cannot_record_a_decision(cast: Cast, who: str | None, status: int) -> None:
    response = client_as(cast, who).post(decide_url(ADDRESSABLE), decision_data())
    assert_denied(response.status_code, status, response.get("Location"), who)
    assert not AddressableDecision.objects.exists()
    assert not AuditEvent.objects.exists()


def test_required_specification_refuses_a_decision_on_the_form(cast: Cast) -> None:
    response = client_as(cast, "owner").post(decide_url(REQUIRED_SPEC), decision_data())
    assert response.status_code == 400
    assert "is required, not addressable: it takes no decision." in response.content.decode()
    assert not AddressableDecision.objects.exists()
    assert not AuditEvent.objects.exists()


def test_decision_without_alternative_shows_the_field_error(cast: Cast) -> None:
    response = client_as(cast, "owner").post(
        decide_url(ADDRESSABLE), decision_data(**{"decide-alternative_measure": ""})
    )
    assert response.status_code == 400
    body = response.content.decode()
    error_at = body.index("Name the equivalent alternative measure")
    assert body.rfind('id="decide-heading"') < error_at
    assert not AddressableDecision.objects.exists()


def test_a_review_date_more_than_three_years_out_is_refused_on_the_field(cast: Cast) -> None:
    far = (timezone.localdate() + timedelta(days=366 * 3 + 1)).isoformat()
    response = client_as(cast, "owner").post(decide_url(ADDRESSABLE), decision_data(**{"decide-review_on": far}))
    assert response.status_code == 400
    assert "must be reviewed within three years" in response.content.decode()
    assert not AddressableDecision.objects.exists()
    assert not AuditEvent.objects.exists()


# Sign a decision --------------------------------------------------------------------------------------------------


def sign_url(decision: AddressableDecision, slug: str = "clinic") -> str:
    return reverse("tracker:decision_sign", args=[slug, decision.public_id])


@pytest.mark.parametrize("who", ["owner", "official"])
def test_signers_sign_a_decision_and_it_counts(cast: Cast, who: str, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        decision = make_decision(cast)
    assert Verdict.objects.get(organization=cast.org, requirement__citation=ADDRESSABLE).status == "not_met"
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(cast, who).post(sign_url(decision))
    assert response.status_code == 302 and response["Location"] == page_url(ADDRESSABLE)
    decision.refresh_from_db()
    assert decision.signature is not None and decision.signature.signer == getattr(cast, who)
    assert AuditEvent.objects.filter(action="signature.signed").count() == 1
    verdict = Verdict.objects.get(organization=cast.org, requirement__citation=ADDRESSABLE)
    assert (verdict.status, verdict.basis) == ("met", "decision")


@pytest.mark.parametrize(
    ("who", "status"),
    [("privacy", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404), (None, 302)],
)
def test_others_cannot_sign_a_decision(cast: Cast, who: str | None, status: int) -> None:
    privacy = make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user
    decision = make_decision(cast)
    before = AuditEvent.objects.count()
    client = client_for(privacy) if who == "privacy" else client_as(cast, who)
    response = client.post(sign_url(decision))
    assert_denied(response.status_code, status, response.get("Location"), who)
    decision.refresh_from_db()
    assert decision.signature is None
    assert not Signature.objects.exists()
    assert AuditEvent.objects.count() == before


def test_outsider_cannot_sign_a_foreign_decision_through_their_own_org(cast: Cast) -> None:
    decision = make_decision(cast)
    assert client_as(cast, "outsider").post(sign_url(decision, slug="other")).status_code == 404
    decision.refresh_from_db()
    assert decision.signature is None


def test_signing_a_superseded_decision_shows_why_and_signs_nothing(cast: Cast) -> None:
    old = make_decision(cast)
    make_decision(cast)
    response = client_as(cast, "owner").post(sign_url(old), follow=True)
    assert "replaced by a newer one" in response.content.decode()
    assert not Signature.objects.exists()
