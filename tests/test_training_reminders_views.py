"""Security reminder pages: who reaches what, writing and sending from the pages, the detail's read rate and
deliveries, isolation, and flat query counts on the lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from safeguard.core.models import AuditEvent, User
from safeguard.training.models import ReminderDelivery, SecurityReminder
from tests.conftest import Cast, client_for
from tests.test_training_reminders_support import deliver, member, reminder, roster
from tests.training_factories import person, topic

BASE = "/o/clinic/training/reminders/"
Status = SecurityReminder.Status

READ = [
    ("owner", 200),
    ("official", 200),
    ("manager", 200),
    ("reviewer", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
]
DENIED = [("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404)]


def form(**values: object) -> dict[str, object]:
    return {
        "title": "Report odd emails",
        "body": "Use the **Report** button.",
        "audience": "everyone",
        "audience_values": "",
        "send_email": "on",
        "scheduled_for": "",
        "repeat_months": "0",
        **values,
    }


# ---- authorization ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READ)
def test_read_pages_matrix(cast: Cast, who: str, expected: int) -> None:
    planned = reminder(cast.org)
    web = client_for(member(cast, who))
    before = AuditEvent.objects.count()

    codes = [
        web.get(BASE).status_code,
        web.get(f"{BASE}{planned.public_id}/").status_code,
        web.get(f"{BASE}calendar/").status_code,
    ]

    assert codes == [expected] * 3
    assert AuditEvent.objects.count() == before


def test_anonymous_is_sent_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get(BASE)

    assert response.status_code == 302
    assert "/login" in response["Location"] or "next=" in response["Location"]


@pytest.mark.parametrize(("who", "expected"), [("owner", 302), ("official", 302), ("privacy", 302), *DENIED])
def test_write_pages_matrix(cast: Cast, who: str, expected: int) -> None:
    draft = reminder(cast.org, status=Status.DRAFT)
    planned = reminder(cast.org, "Second")
    doomed = reminder(cast.org, "Third")
    web = client_for(member(cast, who))
    before = AuditEvent.objects.count()

    codes = [
        web.post(f"{BASE}new/", form(action="schedule")).status_code,
        web.post(f"{BASE}{draft.public_id}/edit/", form(title="Edited")).status_code,
        web.post(f"{BASE}{draft.public_id}/schedule/", {"scheduled_for": ""}).status_code,
        web.post(f"{BASE}{doomed.public_id}/cancel/").status_code,
        web.post(f"{BASE}{planned.public_id}/send-now/").status_code,
    ]

    assert codes == [expected] * 5
    if expected != 302:
        assert SecurityReminder.objects.count() == 3
        assert set(SecurityReminder.objects.values_list("status", flat=True)) == {Status.DRAFT, Status.SCHEDULED}
        assert not SecurityReminder.objects.filter(title="Edited").exists()
        assert AuditEvent.objects.count() == before
    else:
        assert SecurityReminder.objects.filter(title="Report odd emails", status=Status.SCHEDULED).exists()
        draft.refresh_from_db()
        doomed.refresh_from_db()
        assert (draft.title, draft.status, doomed.status) == ("Edited", Status.SCHEDULED, Status.CANCELLED)


@pytest.mark.parametrize("suffix", ["", "edit/", "schedule/", "cancel/", "send-now/"])
def test_another_organizations_reminder_is_not_found(cast: Cast, suffix: str) -> None:
    theirs = reminder(cast.other_org, status=Status.DRAFT)
    web = client_for(cast.owner)

    response = (
        web.post(f"{BASE}{theirs.public_id}/{suffix}", form()) if suffix else web.get(f"{BASE}{theirs.public_id}/")
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert (theirs.status, theirs.title) == (Status.DRAFT, "Lock your screen")


def test_get_on_an_action_is_refused(cast: Cast) -> None:
    planned = reminder(cast.org)

    response = client_for(cast.owner).get(f"{BASE}{planned.public_id}/send-now/")

    assert response.status_code == 405


# ---- writing from the pages -------------------------------------------------------------------------------------


def test_create_a_draft_with_topics_and_an_audience(cast: Cast) -> None:
    phishing = topic(cast.org, "phishing")

    response = client_for(cast.official).post(
        f"{BASE}new/",
        form(
            action="draft",
            topics=[str(phishing.public_id)],
            audience="department",
            audience_values="Nursing, Billing",
            scheduled_for="2030-02-01T08:30",
        ),
    )

    made = SecurityReminder.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}{made.public_id}/"
    assert (made.status, made.audience_values, list(made.topics.all())) == (
        Status.DRAFT,
        ["Nursing", "Billing"],
        [phishing],
    )
    assert timezone.localtime(made.scheduled_for).strftime("%Y-%m-%d %H:%M") == "2030-02-01 08:30"


def test_a_service_refusal_shows_on_its_field(cast: Cast) -> None:
    response = client_for(cast.owner).post(f"{BASE}new/", form(audience="department"))

    assert response.status_code == 200
    assert "Name at least one department." in response.content.decode()
    assert not SecurityReminder.objects.exists()


def test_a_sent_reminder_has_no_edit_page(cast: Cast) -> None:
    done = reminder(cast.org, status=Status.SENT)

    response = client_for(cast.owner).post(f"{BASE}{done.public_id}/edit/", form(title="Changed"))

    assert response.status_code == 302
    done.refresh_from_db()
    assert done.title == "Lock your screen"


def test_send_now_from_the_page(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    roster(cast.org)
    draft = reminder(cast.org, status=Status.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(cast.owner).post(f"{BASE}{draft.public_id}/send-now/")

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.recipients) == (Status.SENT, 4)
    assert len(mail.outbox) == 3


# ---- the detail page --------------------------------------------------------------------------------------------


def test_detail_shows_the_sanitized_text_the_read_rate_and_each_delivery(cast: Cast) -> None:
    people = roster(cast.org)
    sent = reminder(cast.org, body="Hi <script>alert(1)</script> [x](javascript:alert(1)) **bold**")
    rows = deliver(sent, [people["nurse"], people["clerk"], people["leave"]], read=1)
    ReminderDelivery.objects.filter(pk=rows[1].pk).update(email_error="550 mailbox unavailable")

    page = client_for(cast.auditor).get(f"{BASE}{sent.public_id}/").content.decode()

    assert "<strong>bold</strong>" in page
    assert "<script>alert" not in page and 'href="javascript:' not in page
    assert "<strong>33%</strong> (1 of 3)" in page
    assert "Nora Nurse" in page and "Cal Clerk" in page and "Lee Leave" in page
    assert "550 mailbox unavailable" in page
    assert "Edit" not in page and "Send now" not in page  # the auditor reads only


def test_list_shows_the_read_rate_and_filters_by_status(cast: Cast) -> None:
    people = roster(cast.org)
    sent = reminder(cast.org, "Sent one")
    deliver(sent, [people["nurse"], people["clerk"]], read=1)
    reminder(cast.org, "Draft one", status=Status.DRAFT)

    everything = client_for(cast.owner).get(BASE).content.decode()
    drafts = client_for(cast.owner).get(BASE, {"status": "draft"}).content.decode()

    assert "Sent one" in everything and "50%" in everything and "Draft one" in everything
    assert "Draft one" in drafts and "Sent one" not in drafts


def _count_queries(url: str, user: User) -> int:
    web = client_for(user)
    web.get(url)  # warm up (session, chain head)
    with CaptureQueriesContext(connection) as captured:
        assert web.get(url).status_code == 200
    return len(captured.captured_queries)


def test_list_queries_do_not_grow_with_reminders(cast: Cast) -> None:
    people = list(roster(cast.org).values())[:4]
    phishing = topic(cast.org, "phishing")
    for number in range(3):
        made = reminder(cast.org, f"R{number}")
        made.topics.add(phishing)
        deliver(made, people, read=number)
    few = _count_queries(BASE, cast.owner)
    for number in range(3, 30):
        made = reminder(cast.org, f"R{number}")
        made.topics.add(phishing)
        deliver(made, people, read=1)

    assert _count_queries(BASE, cast.owner) == few


def test_detail_queries_do_not_grow_with_deliveries(cast: Cast) -> None:
    sent = reminder(cast.org)
    deliver(sent, [person(cast.org, f"P{n}") for n in range(3)])
    few = _count_queries(f"{BASE}{sent.public_id}/", cast.owner)
    ReminderDelivery.objects.all().delete()
    deliver(sent, [person(cast.org, f"Q{n}") for n in range(30)])

    assert _count_queries(f"{BASE}{sent.public_id}/", cast.owner) == few


def test_calendar_page_shows_each_month_and_what_the_tracker_counts(cast: Cast) -> None:
    roster(cast.org)
    this_month = timezone.localtime().replace(day=1, hour=9, minute=0, second=0, microsecond=0)
    sent = reminder(cast.org, "Sent this month", scheduled_for=this_month)
    deliver(sent, [person(cast.org, "P1")])

    page = client_for(cast.owner).get(f"{BASE}calendar/").content.decode()

    assert "Sent this month" in page
    assert "What the tracker counts" in page  # the check's own periods (its tests are with the calendar's)
    assert page.count("No reminder this month") == 11  # the 11 months before: a fact, not a verdict
    assert page.count("Nothing scheduled yet") == 6  # the next 6
