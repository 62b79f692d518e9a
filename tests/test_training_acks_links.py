"""The personal link in an acknowledgement email (/t/acks/<token>/): no sign-in, a GET only shows the document, a
POST with the box ticked records the acknowledgement with the address and browser; forged, foreign-purpose and
expired tokens lead nowhere; a replaced version points to the current one."""

from __future__ import annotations

import time
from datetime import timedelta
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import AuditEvent
from safeguard.training.links import ACK_GRACE_DAYS, MAX_AGE_DAYS, make_token
from safeguard.training.models import Acknowledgement, AckRequest
from tests.conftest import Cast
from tests.test_training_acks_support import audit_count, document, nurse, published


def link(request: AckRequest) -> str:
    return reverse("training_links:ack", args=[make_token("ack", str(request.public_id))])


def token_made_days_ago(request: AckRequest, days: float) -> str:
    with mock.patch("django.core.signing.time.time", return_value=time.time() - days * 86400):
        return make_token("ack", str(request.public_id))


def opens(request: AckRequest, *, due_days_ago: int, token_age_days: float) -> int:
    """The status of a GET of the request's link, made token_age_days ago, with its due date due_days_ago."""
    request.due_on = timezone.localdate() - timedelta(days=due_days_ago)
    request.save(update_fields=["due_on"])
    token = token_made_days_ago(request, token_age_days)
    return Client().get(reverse("training_links:ack", args=[token])).status_code


def test_a_get_shows_the_document_and_records_nothing(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    before = audit_count()

    response = Client().get(link(AckRequest.objects.get(version=version, person=nurse_)))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Use work systems for work." in body and "for Nora Nurse" in body
    assert response.headers["Cache-Control"].startswith("max-age=0")
    assert not Acknowledgement.objects.exists()
    assert audit_count() == before


def test_a_post_with_the_box_ticked_acknowledges_with_address_and_browser(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    url = link(AckRequest.objects.get(version=version, person=nurse_))
    client = Client()

    unticked = client.post(url, {})
    assert "Tick the box to confirm" in unticked.content.decode()
    assert not Acknowledgement.objects.exists()
    ticked = client.post(url, {"confirm": "on"}, REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="Mail app")

    assert ticked.status_code == 302 and ticked["Location"] == url
    done = Acknowledgement.objects.get()
    assert (done.person, done.version, done.method) == (nurse_, version, Acknowledgement.Method.EMAIL_LINK)
    assert (done.ip, done.user_agent, done.recorded_by) == ("203.0.113.5", "Mail app", None)
    event = AuditEvent.objects.get(action="training.acknowledgement.recorded")
    assert (event.actor, event.actor_label, event.ip_address) == (
        None,
        "personal link of nurse@clinic.test",
        "203.0.113.5",
    )
    assert "Thank you: you acknowledged this version" in client.get(url).content.decode()
    client.post(url, {"confirm": "on"})
    assert Acknowledgement.objects.count() == 1


def test_forged_foreign_and_expired_tokens_lead_nowhere(cast: Cast) -> None:
    nurse_ = nurse(cast)
    version = published(cast, document(cast))
    request = AckRequest.objects.get(version=version, person=nurse_)
    request.due_on = timezone.localdate() - timedelta(days=ACK_GRACE_DAYS + 1)
    request.save(update_fields=["due_on"])
    good = make_token("ack", str(request.public_id))
    expired = token_made_days_ago(request, MAX_AGE_DAYS + 1)
    tokens = [
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),  # a changed signature
        make_token("reminder", str(request.public_id)),  # signed for another purpose
        expired,
        "not-a-token",
    ]
    before = audit_count()

    for token in tokens:
        get = Client().get(reverse("training_links:ack", args=[token]))
        post = Client().post(reverse("training_links:ack", args=[token]), {"confirm": "on"})
        assert (get.status_code, post.status_code) == (404, 404), token
        assert "This link is not valid" in get.content.decode()
    assert not Acknowledgement.objects.exists()
    assert audit_count() == before


@pytest.mark.parametrize(
    ("due_days_ago", "token_age_days", "expected"),
    [
        (-300, 200, 200),  # a year to acknowledge: an old link works up to the due date…
        (ACK_GRACE_DAYS, 200, 200),  # …and 30 days after it, that day included
        (ACK_GRACE_DAYS + 1, 200, 404),  # not the day after
        (ACK_GRACE_DAYS + 1, MAX_AGE_DAYS - 0.5, 200),  # a link works at least 60 days after it was sent
        (200, MAX_AGE_DAYS - 0.5, 200),
        (200, MAX_AGE_DAYS + 0.5, 404),
    ],
)
def test_a_link_works_until_30_days_after_the_due_date_and_at_least_60_days(
    cast: Cast, due_days_ago: int, token_age_days: float, expected: int
) -> None:
    nurse_ = nurse(cast)
    request = AckRequest.objects.get(version=published(cast, document(cast)), person=nurse_)

    assert opens(request, due_days_ago=due_days_ago, token_age_days=token_age_days) == expected


def test_an_expired_link_records_nothing_on_post(cast: Cast) -> None:
    nurse_ = nurse(cast)
    request = AckRequest.objects.get(version=published(cast, document(cast)), person=nurse_)
    request.due_on = timezone.localdate() - timedelta(days=ACK_GRACE_DAYS + 1)
    request.save(update_fields=["due_on"])
    before = audit_count()

    url = reverse("training_links:ack", args=[token_made_days_ago(request, MAX_AGE_DAYS + 1)])
    response = Client().post(url, {"confirm": "on"})

    assert response.status_code == 404
    assert not Acknowledgement.objects.exists()
    assert audit_count() == before


def test_a_replaced_version_points_to_the_current_one(cast: Cast) -> None:
    nurse_ = nurse(cast)
    doc = document(cast)
    first = published(cast, doc)
    second = published(cast, doc, "Second text")
    old = AckRequest.objects.get(version=first, person=nurse_)
    new = AckRequest.objects.get(version=second, person=nurse_)

    # Signed links carry the second they were made: one frozen second for the page's link and the expected one.
    with mock.patch("django.core.signing.time.time", return_value=time.time()):
        page = Client().get(link(old))
        expected = link(new)
    refused = Client().post(link(old), {"confirm": "on"})

    assert "This version was replaced by a newer one." in page.content.decode()
    assert expected in page.content.decode()
    assert "<button" not in page.content.decode()
    assert "This version was replaced by a newer one." in refused.content.decode()
    assert not Acknowledgement.objects.exists()
