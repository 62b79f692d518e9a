"""An access review run through its pages: start, decide (one by one and in bulk), attest, reassign, close, the
evidence package's downloads, and revocations; with bad input shown on the page and flat query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from safeguard.access.models import ReviewCampaign, ReviewerAttestation, ReviewItem
from safeguard.core.models import AuditEvent
from tests import access_factories
from tests.conftest import Cast, client_for
from tests.test_reviews_decisions_support import TODAY, Status, campaign, decide_all, items, manager, system

KEEP, REVOKE = ReviewItem.Decision.KEEP, ReviewItem.Decision.REVOKE


def url(name: str, *args: object) -> str:
    return reverse(f"access:{name}", args=["clinic", *args])


# ---- starting ----------------------------------------------------------------------------------------------------


def test_starting_a_review_prepares_it_and_opens_its_page(cast: Cast, django_capture_on_commit_callbacks) -> None:
    nurse = access_factories.person(cast.org, "E100")
    access_factories.snapshot(system(cast.org), [{"username": "nurse1", "person": nurse}])
    client = client_for(cast.official)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("review_start"),
            {
                "title": "Q2 review",
                "scope": "all",
                "roster_as_of": TODAY.isoformat(),
                "due_on": (TODAY + timedelta(days=14)).isoformat(),
            },
        )

    review = ReviewCampaign.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("review_detail", review.public_id)
    assert (review.status, review.item_count) == (Status.OPEN, 1)
    assert AuditEvent.objects.filter(action="access.review.started").count() == 1


def test_starting_with_bad_input_shows_the_reason(cast: Cast) -> None:
    access_factories.snapshot(system(cast.org), [{"username": "nurse1"}])
    tomorrow = TODAY + timedelta(days=1)

    response = client_for(cast.official).post(
        url("review_start"), {"title": "Q2 review", "scope": "chosen", "roster_as_of": tomorrow.isoformat()}
    )

    assert response.status_code == 200
    assert escape("Choose at least one system, or review all of them.") in response.content.decode()
    assert not ReviewCampaign.objects.exists()


# ---- deciding ----------------------------------------------------------------------------------------------------


@pytest.fixture
def review_of_boss(cast: Cast) -> tuple[ReviewCampaign, list[ReviewItem], object]:
    boss = manager(cast.org)
    review = campaign(cast.org, cast.official)
    return review, items(review, system(cast.org), boss, 3, findings=1), boss


def test_keeping_a_flagged_account_without_a_reason_is_shown_on_the_item_page(cast: Cast, review_of_boss) -> None:
    review, made, boss = review_of_boss
    client = client_for(boss)

    refused = client.post(url("review_item", review.public_id, made[0].public_id), {"decision": "keep"})

    assert refused.status_code == 400
    assert escape("This account has 1 finding: say why it should be kept.") in refused.content.decode()
    made[0].refresh_from_db()
    assert made[0].decision == ""

    back = url("review_mine", review.public_id) + "?page=1"
    done = client.post(
        url("review_item", review.public_id, made[0].public_id),
        {"decision": "keep", "comment": "Covers nights", "next": back},
    )
    assert (done.status_code, done["Location"]) == (302, back)
    made[0].refresh_from_db()
    assert (made[0].decision, made[0].comment) == (KEEP, "Covers nights")


def test_a_foreign_next_address_is_ignored(cast: Cast, review_of_boss) -> None:
    review, made, boss = review_of_boss
    response = client_for(boss).post(
        url("review_item", review.public_id, made[1].public_id), {"decision": "keep", "next": "https://evil.test/"}
    )
    assert response["Location"] == url("review_mine", review.public_id)


def test_bulk_keep_then_attest_from_my_page(cast: Cast, review_of_boss) -> None:
    review, made, boss = review_of_boss
    client = client_for(boss)

    page = client.get(url("review_mine", review.public_id)).content.decode()
    assert "Keep all 2 undecided items without findings" in page
    assert "Attest my decisions" not in page

    kept = client.post(url("review_bulk", review.public_id), {"mode": "clean", "decision": "keep"})
    assert kept.status_code == 302
    assert list(ReviewItem.objects.order_by("username").values_list("decision", flat=True)) == ["", KEEP, KEEP]

    refused = client.post(
        url("review_bulk", review.public_id), {"mode": "chosen", "decision": "keep", "items": [made[0].public_id]}
    )
    assert escape("1 chosen item has findings: say why they should be kept") in refused.content.decode()
    client.post(url("review_item", review.public_id, made[0].public_id), {"decision": "revoke"})

    page = client.get(url("review_mine", review.public_id)).content.decode()
    assert "Attest my decisions" in page
    unconfirmed = client.post(url("review_attest", review.public_id), {})
    assert "Tick the box to confirm before attesting." in unconfirmed.content.decode()
    attested = client.post(url("review_attest", review.public_id), {"confirm": "on"})
    assert attested.status_code == 302
    assert ReviewerAttestation.objects.get().reviewer == boss
    page = client.get(url("review_mine", review.public_id)).content.decode()
    assert "your decisions are final" in page
    assert 'class="decide"' not in page


def test_attesting_early_is_refused_on_the_page(cast: Cast, review_of_boss) -> None:
    review, made, boss = review_of_boss
    response = client_for(boss).post(url("review_attest", review.public_id), {"confirm": "on"})
    assert response.status_code == 200
    assert "3 items assigned to you are still undecided" in response.content.decode()
    assert not ReviewerAttestation.objects.exists()


def test_the_official_reassigns_an_item(cast: Cast, review_of_boss) -> None:
    review, made, boss = review_of_boss
    other = manager(cast.org, "otherboss")
    response = client_for(cast.official).post(
        url("review_item_reassign", review.public_id, made[1].public_id), {"reviewer": str(other.public_id)}
    )
    assert response.status_code == 302
    made[1].refresh_from_db()
    assert made[1].reviewer == other


# ---- closing and the package ---------------------------------------------------------------------------------------


def test_closing_from_the_page_names_blockers_then_closes_and_offers_the_package(
    cast: Cast, review_of_boss, django_capture_on_commit_callbacks
) -> None:
    review, made, boss = review_of_boss
    client = client_for(cast.official)

    page = client.get(url("review_detail", review.public_id)).content.decode()
    assert "3 items are undecided; waiting for boss@clinic.test." in page
    refused = client.post(url("review_close", review.public_id), follow=True)
    assert "The review cannot close yet." in refused.content.decode()

    decide_all(review)
    ReviewerAttestation.objects.all().delete()
    client_for(boss).post(url("review_attest", review.public_id), {"confirm": "on"})
    with django_capture_on_commit_callbacks(execute=True):
        closed = client.post(url("review_close", review.public_id))
    assert closed.status_code == 302

    review.refresh_from_db()
    assert review.status == Status.CLOSED
    page = client.get(url("review_detail", review.public_id)).content.decode()
    evidence = review.package_evidence
    version = evidence.versions.get()
    download = reverse("core:evidence_download", args=["clinic", evidence.public_id, version.number])
    assert download in page
    assert version.sha256 in page
    assert client_for(cast.auditor).get(download).status_code == 200


# ---- revocations ---------------------------------------------------------------------------------------------------


def test_the_revocations_page_marks_overdue_and_records_the_removal(cast: Cast, review_of_boss) -> None:
    review, made, boss = review_of_boss
    ReviewItem.objects.filter(pk=made[1].pk).update(
        decision=REVOKE, decided_by=boss, decided_at=timezone.now(), revoke_due_on=TODAY - timedelta(days=1)
    )
    client = client_for(cast.official)

    page = client.get(url("revocation_list")).content.decode()
    assert made[1].username in page
    assert "overdue" in page

    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    refused = client.post(url("revocation_done", made[1].public_id), {"revoked_at": future})
    assert refused.status_code == 400
    assert "The access cannot have been removed in the future." in refused.content.decode()

    removed = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    done = client.post(url("revocation_done", made[1].public_id), {"revoked_at": removed, "note": "Ticket 7"})
    assert done.status_code == 302
    made[1].refresh_from_db()
    assert made[1].revocation_note == "Ticket 7"
    after = client.get(url("revocation_list")).content.decode()
    assert "No revocation is waiting to be carried out." in after
    assert f"access of {made[1].username} on EHR removed" in after


# ---- query counts ------------------------------------------------------------------------------------------------


def _queries(client, address: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries)


@pytest.mark.parametrize("page", ["review_mine", "review_detail"])
def test_review_pages_read_the_same_queries_for_5_and_50_items(cast: Cast, page: str) -> None:
    counts = []
    for size in (5, 50):
        boss = manager(cast.org, f"boss{size}")
        review = campaign(cast.org, cast.official, title=f"Review {size}")
        ehr = system(cast.org, f"EHR {size}")
        items(review, ehr, boss, size, findings=size // 5)
        items(review, system(cast.org, f"Billing {size}"), manager(cast.org, f"other{size}"), size // 5)
        ReviewItem.objects.filter(campaign=review, finding_count=0).update(decision=KEEP, decided_by=boss)
        client = client_for(boss)
        client.get(url(page, review.public_id))  # the session's first request loads more
        counts.append(_queries(client, url(page, review.public_id)))
        counts.append(_queries(client_for(cast.official), url(page, review.public_id) + "?finding=any"))
    assert counts[:2] == counts[2:]


def test_the_revocations_page_reads_the_same_queries_for_5_and_50(cast: Cast) -> None:
    counts = []
    for size in (5, 50):
        boss = manager(cast.org, f"boss{size}")
        review = campaign(cast.org, cast.official, title=f"Review {size}")
        items(review, system(cast.org, f"EHR {size}"), boss, size, decision=REVOKE, revoke_due_on=TODAY)
        client = client_for(cast.official)
        client.get(url("revocation_list"))
        counts.append(_queries(client, url("revocation_list")))
    assert counts[0] == counts[1]
