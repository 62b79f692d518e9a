"""Reading a reminder: the person's own pages and the personal link. A GET never records a read (link scanners
prefetch), the "Mark as read" POST does, once; someone else's delivery and a forged or expired link are 404."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.models import AuditEvent
from safeguard.training import links
from safeguard.training.models import ReminderDelivery
from safeguard.training.queries_reminders import my_reminders
from tests.conftest import Cast, client_for
from tests.test_training_reminders_support import deliver, events, reminder, roster

MY = "/o/clinic/training/my/reminders/"


@pytest.fixture
def nurse_delivery(cast: Cast) -> ReminderDelivery:
    """A reminder delivered to the nurse (the cast's workforce member) and to the clerk."""
    people = roster(cast.org)
    [mine, _] = deliver(reminder(cast.org), [people["nurse"], people["clerk"]])
    return mine


def link(delivery: ReminderDelivery) -> str:
    return f"/t/reminders/{links.make_token('reminder', str(delivery.public_id))}/"


# ---- the person's own pages -------------------------------------------------------------------------------------


def test_the_person_sees_their_reminder_and_a_get_marks_nothing(cast: Cast, nurse_delivery: ReminderDelivery) -> None:
    web = client_for(cast.workforce)

    page = web.get(f"{MY}{nurse_delivery.public_id}/")
    listing = web.get(MY)

    assert page.status_code == 200 and listing.status_code == 200
    assert "Lock your screen" in page.content.decode() and "Mark as read" in page.content.decode()
    assert "Not yet" in listing.content.decode()
    nurse_delivery.refresh_from_db()
    assert nurse_delivery.read_at is None
    assert events("training.reminder.read") == []


def test_mark_as_read_is_a_post_recorded_once(cast: Cast, nurse_delivery: ReminderDelivery) -> None:
    web = client_for(cast.workforce)

    first = web.post(f"{MY}{nurse_delivery.public_id}/")
    nurse_delivery.refresh_from_db()
    read_at = nurse_delivery.read_at
    web.post(f"{MY}{nurse_delivery.public_id}/")

    assert first.status_code == 302
    nurse_delivery.refresh_from_db()
    assert read_at is not None and nurse_delivery.read_at == read_at
    [event] = events("training.reminder.read")
    assert event.actor == cast.workforce
    assert "You marked it as read" in web.get(f"{MY}{nurse_delivery.public_id}/").content.decode()


@pytest.mark.parametrize("who", ["owner", "auditor", "outsider"])
def test_someone_elses_delivery_is_not_found(cast: Cast, nurse_delivery: ReminderDelivery, who: str) -> None:
    """The owner and the auditor are not on the roster; the outsider is in another organization."""
    web = client_for(getattr(cast, who))
    before = AuditEvent.objects.count()

    assert web.get(f"{MY}{nurse_delivery.public_id}/").status_code == 404
    assert web.post(f"{MY}{nurse_delivery.public_id}/").status_code == 404
    nurse_delivery.refresh_from_db()
    assert nurse_delivery.read_at is None
    assert AuditEvent.objects.count() == before


def test_the_clerks_delivery_is_not_the_nurses(cast: Cast, nurse_delivery: ReminderDelivery) -> None:
    clerks = ReminderDelivery.objects.exclude(pk=nurse_delivery.pk).get()

    assert client_for(cast.workforce).post(f"{MY}{clerks.public_id}/").status_code == 404
    clerks.refresh_from_db()
    assert clerks.read_at is None


def test_a_member_not_on_the_roster_is_told_so(cast: Cast) -> None:
    page = client_for(cast.owner).get(MY)

    assert page.status_code == 200
    assert "not on this organization's workforce roster" in page.content.decode()


def test_my_reminders_is_one_query_newest_first_at_most_ten(cast: Cast) -> None:
    nurse = roster(cast.org)["nurse"]
    now = timezone.now()
    for number in range(12):
        made = reminder(cast.org, f"R{number:02}", scheduled_for=now - timedelta(days=number))
        deliver(made, [nurse], read=number % 2)

    with CaptureQueriesContext(connection) as captured:
        rows = my_reminders(cast.org, nurse)
        titles = [row.reminder.title for row in rows]
        read = [row.read_at is not None for row in rows]

    assert len(captured.captured_queries) == 1
    assert titles == [f"R{number:02}" for number in range(10)]
    assert read == [number % 2 == 1 for number in range(10)]


def test_my_reminders_are_only_mine(cast: Cast) -> None:
    people = roster(cast.org)
    deliver(reminder(cast.org, "For the clerk"), [people["clerk"]])

    assert my_reminders(cast.org, people["nurse"]) == []


# ---- the personal link ------------------------------------------------------------------------------------------


def test_a_link_scanners_get_shows_it_and_marks_nothing(cast: Cast, nurse_delivery: ReminderDelivery) -> None:
    response = client_for(None).get(link(nurse_delivery))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Lock your screen" in body and "Mark as read" in body and "Riverside Clinic" in body
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"]
    nurse_delivery.refresh_from_db()
    assert nurse_delivery.read_at is None
    assert events("training.reminder.read") == []


def test_the_button_on_the_link_page_marks_it_read(cast: Cast, nurse_delivery: ReminderDelivery) -> None:
    web = client_for(None)

    response = web.post(link(nurse_delivery))

    assert response.status_code == 302
    nurse_delivery.refresh_from_db()
    assert nurse_delivery.read_at is not None
    [event] = events("training.reminder.read")
    assert event.actor is None and event.actor_label == "personal link"
    assert "You marked it as read" in web.get(link(nurse_delivery)).content.decode()


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        signing.dumps("00000000-0000-0000-0000-000000000000", salt="safeguard.training.reminder"),
        "{ack}",  # a valid token for another purpose
        "{tampered}",
    ],
)
def test_a_forged_token_is_a_plain_404(cast: Cast, nurse_delivery: ReminderDelivery, token: str) -> None:
    genuine = links.make_token("reminder", str(nurse_delivery.public_id))
    token = token.format(ack=links.make_token("ack", str(nurse_delivery.public_id)), tampered=genuine[:-2] + "xx")
    web = client_for(None)

    shown = web.get(f"/t/reminders/{token}/")
    posted = web.post(f"/t/reminders/{token}/")

    assert (shown.status_code, posted.status_code) == (404, 404)
    assert "This link is invalid or has expired" in shown.content.decode()
    nurse_delivery.refresh_from_db()
    assert nurse_delivery.read_at is None


def test_an_expired_token_is_a_plain_404(cast: Cast, nurse_delivery: ReminderDelivery) -> None:
    long_ago = timezone.now().timestamp() - (links.MAX_AGE_DAYS + 1) * 86400
    with mock.patch("django.core.signing.time.time", return_value=long_ago):
        old = link(nurse_delivery)

    response = client_for(None).post(old)

    assert response.status_code == 404
    assert "invalid or has expired" in response.content.decode()
    nurse_delivery.refresh_from_db()
    assert nurse_delivery.read_at is None


@pytest.mark.parametrize(("age_days", "expected"), [(links.MAX_AGE_DAYS - 0.5, 200), (links.MAX_AGE_DAYS + 0.5, 404)])
def test_a_reminder_link_works_for_60_days(
    cast: Cast, nurse_delivery: ReminderDelivery, age_days: float, expected: int
) -> None:
    made_at = timezone.now().timestamp() - age_days * 86400
    with mock.patch("django.core.signing.time.time", return_value=made_at):
        token_link = link(nurse_delivery)

    assert client_for(None).get(token_link).status_code == expected


def test_the_link_needs_no_login_but_works_for_a_signed_in_stranger_too(
    cast: Cast, nurse_delivery: ReminderDelivery
) -> None:
    """The token is the key: whoever holds the emailed link can read that one reminder, nothing else."""
    response = client_for(cast.outsider).get(link(nurse_delivery))

    assert response.status_code == 200
    assert "Nora Nurse" in response.content.decode()


def test_the_my_training_partial_lists_them_with_read_state(cast: Cast, nurse_delivery: ReminderDelivery) -> None:
    request = RequestFactory().get("/")
    request.org = cast.org  # type: ignore[attr-defined]
    ReminderDelivery.objects.filter(pk=nurse_delivery.pk).update(read_at=timezone.now())

    html = render_to_string(
        "training/reminders/_my_reminders.html",
        {"my_reminders": my_reminders(cast.org, nurse_delivery.person), "request": request},
    )
    empty = render_to_string("training/reminders/_my_reminders.html", {"my_reminders": [], "request": request})

    assert f'href="{MY}{nurse_delivery.public_id}/"' in html
    assert "Lock your screen" in html and "· read" in html
    assert "No security reminder delivered to you yet." in empty
