"""Backing an attestation with evidence from its requirement page: upload a file or pick the organization's own."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Evidence, EvidenceLink, Organization, User
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.evidence import evidence_upload
from safeguard.tracker.evidence_links import ATTESTATION_TYPE
from safeguard.tracker.models import Attestation, Verdict
from safeguard.tracker.services import attestation_evidence_add, attestation_record, attestation_withdraw
from tests.conftest import Cast, client_for, make_member

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
SPEC = "164.310(b)"  # a standard without specifications and without automated checks: attestations decide it


def page_url(citation: str = SPEC) -> str:
    return reverse("tracker:requirement", args=["clinic", citation])


def attach_url(attestation: Attestation, slug: str = "clinic") -> str:
    return reverse("tracker:attestation_evidence", args=[slug, attestation.public_id])


def bare_attestation(cast: Cast, *, days: int = 90) -> Attestation:
    return attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation=SPEC,
        statement="Workstation use policy issued.",
        expires_on=TODAY + timedelta(days=days),
    )


def some_evidence(cast: Cast, organization: Organization | None = None, title: str = "Signed policy") -> Evidence:
    return evidence_upload(
        organization=organization or cast.org,
        actor=Actor(user=cast.owner if organization is None else cast.outsider),
        title=title,
        upload=SimpleUploadedFile("policy.txt", b"policy text", content_type="text/plain"),
        effective_date=date(2025, 3, 1),
    )


def a_file(name: str = "acknowledgements.csv", content: bytes = b"name,date\nNurse,2025-03-02\n") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def links_to(attestation: Attestation) -> list[str]:
    return list(
        EvidenceLink.objects.filter(target_type=ATTESTATION_TYPE, target_id=str(attestation.public_id))
        .order_by("pk")
        .values_list("evidence__title", flat=True)
    )


def verdict() -> str:
    return Verdict.objects.get(requirement__citation=SPEC).status


# ---- the page offers it ----------------------------------------------------------------------------------------


def test_a_current_attestation_without_evidence_offers_the_attach_form_to_managers(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    some_evidence(cast, title="Workstation policy v3")
    page = client_for(cast.owner).get(page_url()).content.decode()
    entry = page.split(f'id="attestation-{attestation.public_id}"')[1].split("</li>")[0]
    assert f'action="{attach_url(attestation)}"' in entry
    assert "No evidence backs this attestation yet" in entry
    assert f'id="evidence-{attestation.public_id}-evidence_file"' in entry, "field ids are unique on the page"
    assert "Workstation policy v3 (2025-03-01)" in entry


def test_readers_see_no_attach_form(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    page = client_for(cast.auditor).get(page_url()).content.decode()
    assert attach_url(attestation) not in page
    assert "No evidence backs this attestation yet" in page


def test_withdrawn_and_expired_attestations_offer_no_attach_form(cast: Cast) -> None:
    withdrawn = bare_attestation(cast)
    attestation_withdraw(organization=cast.org, actor=Actor(user=cast.owner), attestation=withdrawn)
    expired = bare_attestation(cast)
    Attestation.objects.filter(pk=expired.pk).update(expires_on=TODAY - timedelta(days=1))
    page = client_for(cast.owner).get(page_url()).content.decode()
    assert attach_url(withdrawn) not in page
    assert attach_url(expired) not in page


def test_page_queries_stay_flat_as_the_evidence_to_pick_from_grows(cast: Cast) -> None:
    bare_attestation(cast)
    client = client_for(cast.owner)

    def count_with(total: int) -> int:
        while Evidence.objects.count() < total:
            some_evidence(cast, title=f"Item {Evidence.objects.count()}")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page_url()).status_code == 200
        return len(queries)

    assert count_with(3) == count_with(30)


# ---- attaching -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "official", "privacy"])
def test_uploading_a_file_backs_the_attestation_and_the_verdict_becomes_met(
    cast: Cast, who: str, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attestation = bare_attestation(cast)
    assert verdict() == "partially_met"
    user = make_member(cast.org, "privacy@clinic.test", Role.PRIVACY_OFFICER).user if who == "privacy" else None
    user = user or getattr(cast, who)
    client = client_for(user)
    before = AuditEvent.objects.latest("pk").pk

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            attach_url(attestation),
            {
                "evidence_file": a_file(),
                "evidence_title": "Policy acknowledgements",
                "evidence_effective_date": "2025-03-02",
            },
        )

    assert response.status_code == 302
    assert response["Location"] == f"{page_url()}#attestation-{attestation.public_id}"
    evidence = Evidence.objects.get(organization=cast.org)
    assert (evidence.title, evidence.effective_date, evidence.created_by) == (
        "Policy acknowledgements",
        date(2025, 3, 2),
        user,
    )
    assert links_to(attestation) == ["Policy acknowledgements"]
    events = AuditEvent.objects.filter(organization=cast.org, actor=user, pk__gt=before).order_by("sequence")
    assert list(events.values_list("action", flat=True)) == ["evidence.uploaded", "evidence.linked"]
    assert events[1].changes == {"linked_to": [None, f"{ATTESTATION_TYPE}:{attestation.public_id}"]}
    assert verdict() == "met"
    page = client.get(response["Location"]).content.decode()
    assert "“Policy acknowledgements” now backs the attestation" in page


def test_an_upload_without_title_or_date_is_named_after_the_citation_and_dated_today(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    response = client_for(cast.owner).post(attach_url(attestation), {"evidence_file": a_file()})
    assert response.status_code == 302
    evidence = Evidence.objects.get(organization=cast.org)
    assert (evidence.title, evidence.effective_date) == (f"Evidence for {SPEC}", TODAY)


def test_picking_existing_evidence_backs_the_attestation_and_the_verdict_becomes_met(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        attestation = bare_attestation(cast)
        evidence = some_evidence(cast)
    assert verdict() == "partially_met"
    before = AuditEvent.objects.latest("pk").pk

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.official).post(attach_url(attestation), {"evidence": str(evidence.public_id)})

    assert response.status_code == 302
    assert links_to(attestation) == ["Signed policy"]
    assert Evidence.objects.count() == 1, "nothing new was uploaded"
    by_official = AuditEvent.objects.filter(actor=cast.official, pk__gt=before)
    assert list(by_official.values_list("action", "object_id")) == [("evidence.linked", str(evidence.public_id))]
    assert verdict() == "met"


# ---- refusals: the form says why, nothing changes --------------------------------------------------------------


def assert_refused_unchanged(response, message: str, attestation: Attestation, audit_before: int) -> None:
    assert response.status_code == 400
    assert message in response.content.decode()
    assert links_to(attestation) == []
    assert AuditEvent.objects.count() == audit_before


def test_choosing_both_or_neither_is_refused_on_the_form(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    evidence = some_evidence(cast)
    before, evidence_before = AuditEvent.objects.count(), Evidence.objects.count()
    client = client_for(cast.owner)
    both = client.post(attach_url(attestation), {"evidence": str(evidence.public_id), "evidence_file": a_file()})
    assert_refused_unchanged(both, "Choose existing evidence or upload a file, not both.", attestation, before)
    neither = client.post(attach_url(attestation), {"evidence_title": "Only a title"})
    assert_refused_unchanged(neither, "Choose existing evidence or upload a file.", attestation, before)
    body = neither.content.decode()
    assert body.index(f'id="attestation-{attestation.public_id}"') < body.index("Choose existing evidence or upload")
    assert '<details class="attach" open>' in body, "the refused form is shown open, beside its attestation"
    assert Evidence.objects.count() == evidence_before


def test_a_file_the_evidence_store_refuses_shows_its_reason_and_stores_nothing(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    before = AuditEvent.objects.count()
    response = client_for(cast.owner).post(
        attach_url(attestation),
        {"evidence_file": SimpleUploadedFile("x.exe", b"MZ", content_type="application/x-msdownload")},
    )
    assert_refused_unchanged(response, "Files of type application/x-msdownload are not accepted.", attestation, before)
    assert not Evidence.objects.exists()


def test_another_organizations_evidence_cannot_be_picked(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    foreign = some_evidence(cast, organization=cast.other_org, title="Their secret policy")
    before = AuditEvent.objects.count()
    response = client_for(cast.owner).post(attach_url(attestation), {"evidence": str(foreign.public_id)})
    assert_refused_unchanged(response, "Select a valid choice.", attestation, before)
    assert "Their secret policy" not in response.content.decode()
    with pytest.raises(ServiceError, match="No such evidence in this organization."):
        attestation_evidence_add(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            attestation=attestation,
            evidence_id=str(foreign.public_id),
        )
    assert links_to(attestation) == []


def test_a_withdrawn_attestation_takes_no_evidence(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    evidence = some_evidence(cast)
    attestation_withdraw(organization=cast.org, actor=Actor(user=cast.owner), attestation=attestation)
    before = AuditEvent.objects.count()
    response = client_for(cast.owner).post(attach_url(attestation), {"evidence": str(evidence.public_id)})
    assert_refused_unchanged(response, "This attestation was withdrawn", attestation, before)


def test_an_expired_attestation_takes_no_evidence(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    Attestation.objects.filter(pk=attestation.pk).update(expires_on=TODAY - timedelta(days=1))
    before = AuditEvent.objects.count()
    response = client_for(cast.owner).post(attach_url(attestation), {"evidence_file": a_file()})
    assert_refused_unchanged(response, "This attestation has expired", attestation, before)
    assert not Evidence.objects.exists()


# ---- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("auditor", 403),
        ("workforce", 403),
        (Role.MANAGER, 403),
        (Role.REVIEWER, 403),
        ("outsider", 404),
        (None, 302),
    ],
)
def test_others_cannot_attach_evidence(cast: Cast, who: str | None, status: int) -> None:
    attestation = bare_attestation(cast)
    evidence = some_evidence(cast)
    user: User | None
    if who in (Role.MANAGER, Role.REVIEWER):
        user = make_member(cast.org, f"{who}@clinic.test", who).user
    else:
        user = getattr(cast, who) if who else None
    before, evidence_before = AuditEvent.objects.count(), Evidence.objects.count()
    client = client_for(user)
    for data in ({"evidence": str(evidence.public_id)}, {"evidence_file": a_file()}):
        response = client.post(attach_url(attestation), data)
        assert response.status_code == status
        if who is None:
            assert response["Location"].startswith(reverse("login"))
    assert links_to(attestation) == []
    assert Evidence.objects.count() == evidence_before
    assert AuditEvent.objects.count() == before


def test_outsider_cannot_reach_a_foreign_attestation_through_their_own_org(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    before = AuditEvent.objects.count()
    client = client_for(cast.outsider)
    assert client.post(attach_url(attestation, slug="other"), {"evidence_file": a_file()}).status_code == 404
    missing = reverse("tracker:attestation_evidence", args=["other", uuid4()])
    assert client.post(missing, {"evidence_file": a_file()}).status_code == 404
    assert links_to(attestation) == []
    assert not Evidence.objects.filter(organization=cast.other_org).exists()
    assert AuditEvent.objects.count() == before


def test_attach_is_post_only(cast: Cast) -> None:
    attestation = bare_attestation(cast)
    assert client_for(cast.owner).get(attach_url(attestation)).status_code == 405


def test_a_refusal_for_an_attestation_on_another_page_of_the_list_is_still_shown(cast: Cast) -> None:
    oldest = bare_attestation(cast)
    for _ in range(50):  # a full first page of newer attestations
        bare_attestation(cast)
    response = client_for(cast.owner).post(attach_url(oldest), {})
    assert response.status_code == 400
    body = response.content.decode()
    assert f'id="attestation-{oldest.public_id}"' not in body
    assert "Choose existing evidence or upload a file." in body
