"""Security reminders over the API: who reaches what, writing and its bad input, scheduling, cancelling, sending
now, deliveries, the calendar, the caller's own reminders, isolation and flat query counts."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from safeguard.training.models import ReminderDelivery, SecurityReminder
from tests.conftest import Cast
from tests.test_api_support import api_client, audit_count, error_of
from tests.test_training_reminders_support import deliver, events, member, reminder, roster
from tests.training_factories import person, topic

BASE = "/api/v1/orgs/clinic/training/reminders/"
MINE = "/api/v1/orgs/clinic/training/me/reminders/"
Status = SecurityReminder.Status

READ = [
    ("owner", 200),
    ("official", 200),
    ("manager", 200),
    ("auditor", 200),
    ("workforce", 403),
    ("outsider", 404),
    ("anonymous", 401),
]
DENIED = [("manager", 403), ("auditor", 403), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]


def client(cast: Cast, who: str) -> APIClient:
    return api_client(None if who == "anonymous" else member(cast, who))


def body(**values: object) -> dict[str, object]:
    return {"title": "Report odd emails", "body": "Use the **Report** button.", **values}


# ---- authorization ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("who", "expected"), READ)
def test_reads_matrix(cast: Cast, who: str, expected: int) -> None:
    sent = reminder(cast.org)
    deliver(sent, [person(cast.org, "P1")])
    api = client(cast, who)
    before = audit_count()

    codes = [
        api.get(BASE).status_code,
        api.get(f"{BASE}{sent.public_id}/").status_code,
        api.get(f"{BASE}{sent.public_id}/deliveries/").status_code,
        api.get(f"{BASE}calendar/").status_code,
    ]

    assert codes == [expected] * 4
    assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), ("official", 201), ("privacy", 201), *DENIED])
def test_create_matrix(cast: Cast, who: str, expected: int) -> None:
    before = audit_count()

    response = client(cast, who).post(BASE, body(schedule=True), format="json")

    assert response.status_code == expected
    if expected == 201:
        made = SecurityReminder.objects.get()
        assert response.json()["public_id"] == str(made.public_id)
        assert response.json()["status"] == "scheduled"
        assert audit_count() == before + 1
    else:
        assert not SecurityReminder.objects.exists()
        assert audit_count() == before


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), *DENIED])
def test_write_matrix(cast: Cast, who: str, expected: int) -> None:
    draft = reminder(cast.org, status=Status.DRAFT)
    planned = reminder(cast.org, "Second")
    doomed = reminder(cast.org, "Third")
    api = client(cast, who)
    before = audit_count()

    codes = [
        api.patch(f"{BASE}{draft.public_id}/", {"title": "Edited"}, format="json").status_code,
        api.post(f"{BASE}{draft.public_id}/schedule/", {}, format="json").status_code,
        api.post(f"{BASE}{doomed.public_id}/cancel/").status_code,
        api.post(f"{BASE}{planned.public_id}/send-now/").status_code,
    ]

    if expected == 200:
        assert codes == [200, 200, 200, 202]
        draft.refresh_from_db()
        assert (draft.title, draft.status) == ("Edited", Status.SCHEDULED)
    else:
        assert codes == [expected] * 4
        assert set(SecurityReminder.objects.values_list("title", "status")) == {
            ("Lock your screen", Status.DRAFT),
            ("Second", Status.SCHEDULED),
            ("Third", Status.SCHEDULED),
        }
        assert audit_count() == before


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", ""),
        ("patch", ""),
        ("post", "schedule/"),
        ("post", "cancel/"),
        ("post", "send-now/"),
        ("get", "deliveries/"),
    ],
)
def test_another_organizations_reminder_is_not_found(cast: Cast, method: str, suffix: str) -> None:
    theirs = reminder(cast.other_org, status=Status.DRAFT)
    before = audit_count()

    response = getattr(client(cast, "owner"), method)(f"{BASE}{theirs.public_id}/{suffix}", {}, format="json")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.status == Status.DRAFT
    assert audit_count() == before


# ---- writing ------------------------------------------------------------------------------------------------------


def test_create_with_topics_audience_and_repeat(cast: Cast) -> None:
    phishing = topic(cast.org, "phishing")

    response = client(cast, "owner").post(
        BASE,
        body(
            topic_ids=[str(phishing.public_id)],
            audience="job_role",
            audience_values=["Nurse"],
            repeat_months=3,
            send_email=False,
        ),
        format="json",
    )

    assert response.status_code == 201
    out = response.json()
    assert out["status"] == "draft"
    assert out["topics"] == [{"public_id": str(phishing.public_id), "key": "phishing", "name": "Phishing"}]
    assert (out["audience"], out["audience_values"], out["repeat_months"], out["send_email"]) == (
        "job_role",
        ["Nurse"],
        3,
        False,
    )
    assert out["body_html"] == "<p>Use the <strong>Report</strong> button.</p>\n"
    assert (out["read_rate"], out["recipients"]) == (None, 0)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"audience": "phishing_clickers"}, "audience", "Choose one of the audiences"),
        ({"audience": "department"}, "audience_values", "Name at least one department."),
        ({"repeat_months": -1}, "repeat_months", "Repeat every 1 to 12 months"),
        ({"topic_ids": ["00000000-0000-0000-0000-000000000000"]}, "topic_ids", "No such topic"),
        ({"title": ""}, "title", ""),
        ({"scheduled_for": "2099-01-01T00:00:00Z", "schedule": True}, "scheduled_for", "Schedule it between"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    cast: Cast, values: dict[str, object], field: str, message: str
) -> None:
    before = audit_count()

    response = client(cast, "owner").post(BASE, body(**values), format="json")

    assert response.status_code == 400
    error = error_of(response)
    assert field in error["fields"]
    assert message in " ".join(error["fields"][field])
    assert not SecurityReminder.objects.exists()
    assert audit_count() == before


def test_a_topic_of_another_organization_is_refused(cast: Cast) -> None:
    theirs = topic(cast.other_org, "phishing")

    response = client(cast, "owner").post(BASE, body(topic_ids=[str(theirs.public_id)]), format="json")

    assert response.status_code == 400
    assert "topic_ids" in error_of(response)["fields"]


def test_a_sent_reminder_cannot_be_changed(cast: Cast) -> None:
    done = reminder(cast.org, status=Status.SENT)

    response = client(cast, "owner").patch(f"{BASE}{done.public_id}/", {"title": "Changed"}, format="json")

    assert response.status_code == 400
    assert "only a draft or a scheduled reminder can be changed" in error_of(response)["message"]


def test_send_now_sends_after_the_commit(cast: Cast, django_capture_on_commit_callbacks: Any) -> None:
    roster(cast.org)
    planned = reminder(cast.org, scheduled_for=timezone.now() + timedelta(days=9))

    with django_capture_on_commit_callbacks(execute=True):
        response = client(cast, "owner").post(f"{BASE}{planned.public_id}/send-now/")

    assert response.status_code == 202
    planned.refresh_from_db()
    assert (planned.status, planned.recipients) == (Status.SENT, 4)
    assert len(mail.outbox) == 3
    deliveries = client(cast, "auditor").get(f"{BASE}{planned.public_id}/deliveries/").json()
    assert deliveries["count"] == 4
    assert {row["person"]["employee_id"] for row in deliveries["results"]} == {"N1", "C1", "X1", "L1"}


def test_list_filters_by_status_and_shows_read_rates(cast: Cast) -> None:
    sent = reminder(cast.org, "Sent one")
    deliver(sent, [person(cast.org, "P1"), person(cast.org, "P2"), person(cast.org, "P3")], read=2)
    reminder(cast.org, "Draft one", status=Status.DRAFT)

    everything = client(cast, "auditor").get(BASE).json()
    sent_only = client(cast, "auditor").get(BASE, {"status": "sent"}).json()
    bad = client(cast, "auditor").get(BASE, {"status": "lost"})

    assert everything["count"] == 2
    assert [(r["title"], r["read"], r["read_rate"]) for r in sent_only["results"]] == [("Sent one", 2, 66)]
    assert bad.status_code == 400 and "status" in error_of(bad)["fields"]


def test_the_calendar(cast: Cast) -> None:
    out = client(cast, "auditor").get(f"{BASE}calendar/").json()

    assert out["cadence_months"] == 1
    assert len(out["months"]) == 18
    assert out["gaps"] == 18
    current = [month for month in out["months"] if month["current"]]
    assert current[0]["month"] == f"{timezone.localdate():%Y-%m}"
    assert set(out["periods"][0]) == {"first", "last", "state", "gap"}


def _count(api: APIClient, url: str) -> int:
    api.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert api.get(url).status_code == 200
    return len(captured.captured_queries)


def test_lists_are_flat_in_queries(cast: Cast) -> None:
    phishing = topic(cast.org, "phishing")
    people = [person(cast.org, f"P{n}") for n in range(30)]

    def make(n: int) -> None:
        made = reminder(cast.org, f"R{n}")
        made.topics.add(phishing)
        deliver(made, people[: 3 if n < 3 else 30], read=1)

    for n in range(3):
        make(n)
    api = client(cast, "owner")
    first = SecurityReminder.objects.order_by("pk").first()
    assert first is not None
    few = (_count(api, BASE), _count(api, f"{BASE}{first.public_id}/deliveries/"))
    for n in range(3, 30):
        make(n)
    ReminderDelivery.objects.filter(reminder=first).delete()
    deliver(first, people)

    assert (_count(api, BASE), _count(api, f"{BASE}{first.public_id}/deliveries/")) == few


# ---- the caller's own -------------------------------------------------------------------------------------------


def test_my_reminders_and_marking_one_read(cast: Cast) -> None:
    people = roster(cast.org)
    [mine, clerks] = deliver(reminder(cast.org), [people["nurse"], people["clerk"]])
    api = client(cast, "workforce")

    listed = api.get(MINE).json()
    read = api.post(f"{MINE}{mine.public_id}/read/")
    again = api.post(f"{MINE}{mine.public_id}/read/")
    other = api.post(f"{MINE}{clerks.public_id}/read/")

    assert [row["public_id"] for row in listed["results"]] == [str(mine.public_id)]
    assert listed["results"][0]["reminder"]["title"] == "Lock your screen"
    assert listed["results"][0]["read_at"] is None
    assert read.status_code == 200 and read.json()["read_at"] is not None
    assert again.json()["read_at"] == read.json()["read_at"]
    assert other.status_code == 404
    clerks.refresh_from_db()
    assert clerks.read_at is None
    assert len(events("training.reminder.read")) == 1


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("outsider", 404), ("anonymous", 401)])
def test_my_reminders_for_someone_not_on_the_roster(cast: Cast, who: str, expected: int) -> None:
    people = roster(cast.org)
    [mine] = deliver(reminder(cast.org), [people["nurse"]])
    api = client(cast, who)
    before = audit_count()

    listed = api.get(MINE)
    read = api.post(f"{MINE}{mine.public_id}/read/")

    assert listed.status_code == expected
    if expected == 200:
        assert listed.json()["count"] == 0
        assert read.status_code == 404
    else:
        assert read.status_code == expected
    mine.refresh_from_db()
    assert mine.read_at is None
    assert audit_count() == before
