"""Signing a review: the statistics are frozen, the signature's hash covers them, a second signature is refused;
the pages and API, with their roles, isolation and flat query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from safeguard.activity import store
from safeguard.activity.models import ActivityReview, AlertStatus
from safeguard.activity.services.reviews import review_sign
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Signature
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.signatures import content_hash
from tests.activity_factories import make_alert, make_rule, make_source
from tests.conftest import client_for

SUMMARY = {"events": 120, "by_outcome": {"success": 118, "failure": 2}, "days_without_events": ["2026-01-07"]}


@pytest.fixture
def summaries(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, datetime, datetime]]:
    asked: list[tuple[int, datetime, datetime]] = []

    class FakeStore:
        def summary(self, source_id: int, start: datetime, end: datetime, **hours: int) -> dict[str, Any]:
            assert hours == {"business_start_hour": 7, "business_end_hour": 19}  # the defaults
            asked.append((source_id, start, end))
            return dict(SUMMARY)

        def source_days(self, start: datetime, end: datetime) -> list[Any]:
            return []

    monkeypatch.setattr(store, "store_for", lambda organization_id: FakeStore())
    return asked


def make_review(org: Any, name: str = "EHR", **extra: Any) -> ActivityReview:
    source = make_source(org, name, review_every_days=7)
    values = {"period_start": date(2026, 1, 5), "period_end": date(2026, 1, 11), "due_on": date(2026, 1, 14)}
    values.update(extra)
    return ActivityReview.objects.create(organization=org, source=source, **values)


def test_signing_freezes_statistics_and_signs_them(cast: Any, summaries: list[Any]) -> None:
    review = make_review(cast.org)
    rule = make_rule(cast.org, "vip")
    inside = datetime(2026, 1, 8, 15, tzinfo=UTC)
    make_alert(cast.org, rule, source=review.source, first_seen=inside)
    make_alert(cast.org, rule, source=review.source, first_seen=inside, status=AlertStatus.FALSE_POSITIVE)
    # 2026-01-12 04:00 UTC is still the 11th in New York: inside the period; 05:00 UTC is the 12th.
    make_alert(cast.org, rule, source=review.source, first_seen=datetime(2026, 1, 12, 4, 59, tzinfo=UTC))
    make_alert(cast.org, rule, source=review.source, first_seen=datetime(2026, 1, 12, 5, 0, tzinfo=UTC))

    signed = review_sign(
        organization=cast.org, actor=Actor(user=cast.official), review=review, conclusion="no_issues", notes=" ok "
    )

    assert summaries == [(review.source.pk, datetime(2026, 1, 5, 5, tzinfo=UTC), datetime(2026, 1, 12, 5, tzinfo=UTC))]
    assert signed.statistics["events"] == {
        **SUMMARY,
        "after_hours_window": "outside 07–19 local time, every day of the week",
    }
    assert signed.statistics["alerts"]["total"] == 3
    assert signed.statistics["alerts"]["open"] == 2
    assert signed.statistics["alerts"]["new_at_signing"] == 2
    signature = Signature.objects.get()
    assert signature.meaning == Signature.Meaning.REVIEWED
    assert signature.statement == "I reviewed the activity of EHR for 2026-01-05 – 2026-01-11."
    content = {
        "review": str(review.public_id),
        "source": "EHR",
        "period_start": "2026-01-05",
        "period_end": "2026-01-11",
        "conclusion": "no_issues",
        "notes": "ok",
        "statistics": ActivityReview.objects.get().statistics,
    }
    assert signature.content_sha256 == content_hash(content)
    stored = ActivityReview.objects.get()
    assert (stored.signed_by, stored.signature, stored.notes) == (cast.official, signature, "ok")
    assert AuditEvent.objects.filter(action="activity.review_signed").count() == 1


def test_a_signed_review_is_not_signed_again(cast: Any, summaries: list[Any]) -> None:
    review = make_review(cast.org)
    review_sign(organization=cast.org, actor=Actor(user=cast.owner), review=review, conclusion="no_issues")
    with pytest.raises(ServiceError, match="already signed"):
        review_sign(organization=cast.org, actor=Actor(user=cast.official), review=review, conclusion="no_issues")
    assert Signature.objects.count() == 1


def test_issues_found_needs_notes(cast: Any, summaries: list[Any]) -> None:
    review = make_review(cast.org)
    with pytest.raises(ServiceError) as refused:
        review_sign(organization=cast.org, actor=Actor(user=cast.owner), review=review, conclusion="issues_found")
    assert refused.value.field == "notes"
    assert not Signature.objects.exists() and ActivityReview.objects.get().signed_at is None


# ---- pages ------------------------------------------------------------------------------------------------------


def test_review_list_shows_states_with_flat_queries(
    cast: Any, summaries: list[Any], django_assert_max_num_queries: Any
) -> None:
    today = timezone.localdate()
    make_review(
        cast.org,
        "A",
        period_start=today - timedelta(days=20),
        period_end=today - timedelta(days=14),
        due_on=today - timedelta(days=11),
    )
    client = client_for(cast.auditor)
    url = reverse("activity:review_list", args=["clinic"])
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        response = client.get(url)
    for n in range(8):
        make_review(
            cast.org,
            f"S{n}",
            period_start=today - timedelta(days=30),
            period_end=today - timedelta(days=24),
            due_on=today + timedelta(days=1),
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<td>Overdue (missed)</td>") == 1 and body.count("<td>Due</td>") == 8


def test_review_page_signs_for_a_triager(cast: Any, summaries: list[Any]) -> None:
    review = make_review(cast.org)
    url = reverse("activity:review_detail", args=["clinic", review.public_id])
    page = client_for(cast.official).get(url)
    assert page.status_code == 200 and "Sign the review" in page.content.decode()
    response = client_for(cast.official).post(url, {"conclusion": "no_issues", "notes": "", "confirm": "on"})
    assert response.status_code == 302
    assert ActivityReview.objects.get().signed_by == cast.official


@pytest.mark.parametrize("who, status", [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_review_page_refuses_signing(cast: Any, summaries: list[Any], who: str, status: int) -> None:
    review = make_review(cast.org)
    url = reverse("activity:review_detail", args=["clinic", review.public_id])
    response = client_for(getattr(cast, who)).post(url, {"conclusion": "no_issues", "confirm": "on"})
    assert response.status_code == status
    assert ActivityReview.objects.get().signed_at is None
    assert not AuditEvent.objects.filter(action="activity.review_signed").exists()


def test_auditor_reads_but_workforce_does_not(cast: Any, summaries: list[Any]) -> None:
    review = make_review(cast.org)
    url = reverse("activity:review_detail", args=["clinic", review.public_id])
    assert client_for(cast.auditor).get(url).status_code == 200
    assert "Sign the review" not in client_for(cast.auditor).get(url).content.decode()
    assert client_for(cast.workforce).get(url).status_code == 403
    assert client_for(cast.workforce).get(reverse("activity:review_list", args=["clinic"])).status_code == 403


def test_another_organizations_review_is_404(cast: Any, summaries: list[Any]) -> None:
    theirs = make_review(cast.other_org)
    assert (
        client_for(cast.owner).get(reverse("activity:review_detail", args=["clinic", theirs.public_id])).status_code
        == 404
    )


# ---- API --------------------------------------------------------------------------------------------------------


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_lists_reads_and_signs(cast: Any, summaries: list[Any], django_assert_max_num_queries: Any) -> None:
    review = make_review(cast.org)
    make_review(cast.other_org)
    listed = api(cast.auditor).get("/api/v1/orgs/clinic/activity/reviews/?state=missed")
    assert listed.status_code == 200
    assert [row["public_id"] for row in listed.json()["results"]] == [str(review.public_id)]
    assert listed.json()["results"][0]["state"] == "missed"
    for n in range(5):
        make_review(cast.org, f"S{n}")
    with django_assert_max_num_queries(10):
        assert len(api(cast.auditor).get("/api/v1/orgs/clinic/activity/reviews/").json()["results"]) == 6
    signed = api(cast.official).post(
        f"/api/v1/orgs/clinic/activity/reviews/{review.public_id}/sign/", {"conclusion": "no_issues"}, format="json"
    )
    assert signed.status_code == 200
    assert signed.json()["state"] == "late"
    assert signed.json()["signature_sha256"] == Signature.objects.get().content_sha256
    again = api(cast.official).post(
        f"/api/v1/orgs/clinic/activity/reviews/{review.public_id}/sign/", {"conclusion": "no_issues"}, format="json"
    )
    assert again.status_code == 400


@pytest.mark.parametrize("who, status", [("auditor", 403), ("workforce", 403), ("outsider", 404)])
def test_api_sign_roles(cast: Any, summaries: list[Any], who: str, status: int) -> None:
    review = make_review(cast.org)
    response = api(getattr(cast, who)).post(
        f"/api/v1/orgs/clinic/activity/reviews/{review.public_id}/sign/", {"conclusion": "no_issues"}, format="json"
    )
    assert response.status_code == status
    assert not Signature.objects.exists()


def test_api_other_orgs_review_is_404(cast: Any, summaries: list[Any]) -> None:
    theirs = make_review(cast.other_org)
    assert api(cast.owner).get(f"/api/v1/orgs/clinic/activity/reviews/{theirs.public_id}/").status_code == 404
