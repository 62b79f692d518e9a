"""The training home page: who may read it, the headline numbers, links to the training pages that exist, and a
flat query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import Organization
from safeguard.core.roles import Role
from safeguard.training.models import (
    AckDocument,
    AckDocumentVersion,
    AckRequest,
    PhishingOutcome,
    ReminderDelivery,
    SecurityReminder,
    TrainingSettings,
)
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_training_checks_support import at

TODAY = timezone.localdate()


def home_url(slug: str = "clinic") -> str:
    return reverse("training:home", args=[slug])


def records(organization: Organization, count: int, prefix: str = "E") -> None:
    course = make.course(organization, f"{prefix}-C{count}")
    version = AckDocumentVersion.objects.create(
        organization=organization,
        document=AckDocument.objects.create(
            organization=organization, title=f"Policy {prefix}{count}", kind=AckDocument.Kind.POLICY
        ),
        number=1,
        body="Text",
        status=AckDocumentVersion.Status.PUBLISHED,
    )
    reminder = SecurityReminder.objects.create(
        organization=organization,
        title=f"Reminder {prefix}{count}",
        body="Lock your screen.",
        scheduled_for=at(TODAY - timedelta(days=count)),
        status=SecurityReminder.Status.SENT,
        sent_at=at(TODAY - timedelta(days=count)),
    )
    campaign = make.campaign(organization, f"Campaign {prefix}{count}", launched_at=at(TODAY - timedelta(days=count)))
    for n in range(count):
        who = make.person(organization, f"{prefix}{count}-{n}")
        if n % 2:
            make.completion(who, course, at=at(TODAY - timedelta(days=3)))
        else:
            make.assignment(who, course, due_on=TODAY - timedelta(days=1))
        ReminderDelivery.objects.create(
            organization=organization, reminder=reminder, person=who, read_at=reminder.sent_at if n < 1 else None
        )
        AckRequest.objects.create(organization=organization, version=version, person=who, due_on=TODAY)
        status = PhishingOutcome.CLICKED if n == 0 else PhishingOutcome.SENT
        make.phishing_result(campaign, f"{who.employee_id}@x.test", status=status, reported=n == 1)


@pytest.mark.parametrize(("who", "expected"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_home_matrix(cast: Cast, who: str, expected: int) -> None:
    user = {"owner": cast.owner, "auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider}[who]
    assert client_for(user).get(home_url()).status_code == expected


def test_a_reviewer_reads_the_home_page(cast: Cast) -> None:
    reviewer = make_member(cast.org, "r@clinic.test", Role.REVIEWER).user
    assert client_for(reviewer).get(home_url()).status_code == 200


def test_headline_numbers(cast: Cast) -> None:
    records(cast.org, 4)
    records(cast.other_org, 7, prefix="O")
    body = client_for(cast.owner).get(home_url()).content.decode()
    assert "<strong>4</strong> active people on the roster" in body
    assert "<strong>2</strong> open assignments,\n    <strong>2 overdue</strong>" in body
    assert "<strong>50%</strong> trained on time" in body
    assert "(2 of 4; threshold 95%: not met)" in body
    assert "<strong>Reminder E4</strong>" in body and "read by 1 of 4 (25%)" in body
    assert "<strong>Campaign E4</strong>" in body
    assert "clicked by 25.0%, reported by 25.0% of 4 recipients" in body
    assert "<strong>4</strong> acknowledgements pending, over 1 document" in body


def test_nothing_recorded_yet(cast: Cast) -> None:
    body = client_for(cast.owner).get(home_url()).content.decode()
    assert "No security reminder sent yet." in body
    assert "No phishing simulation recorded yet." in body
    assert "No acknowledgement pending." in body
    assert "nobody is active on the roster" in body


def test_links_to_the_training_pages_that_exist(cast: Cast) -> None:
    body = client_for(cast.owner).get(home_url()).content.decode()
    assert f'href="{reverse("training:effectiveness", args=["clinic"])}"' in body
    assert f'href="{reverse("training:settings", args=["clinic"])}"' in body
    pages = (
        "course_list",
        "rule_list",
        "assignment_list",
        "departments",
        "completion_list",
        "phishing_campaign_list",
        "reminder_list",
        "reminder_calendar",
        "ack_document_list",
    )
    for name in pages:
        assert f'href="{reverse(f"training:{name}", args=["clinic"])}"' in body


def test_the_on_time_rate_is_rounded_down_and_agrees_with_the_threshold(cast: Cast) -> None:
    TrainingSettings.objects.create(organization=cast.org, completion_threshold=67)
    course = make.course(cast.org, "SEC-1")
    for n in range(3):
        who = make.person(cast.org, f"E-{n}")
        if n:
            make.completion(who, course, at=at(TODAY - timedelta(days=3)))
    body = client_for(cast.owner).get(home_url()).content.decode()
    assert "<strong>66%</strong> trained on time" in body  # 2 of 3 is 66.7%: rounded down, below 67
    assert "(2 of 3; threshold 67%: not met)" in body


def test_home_query_count_is_flat(cast: Cast) -> None:
    client = client_for(cast.owner)
    records(cast.org, 3)
    client.get(home_url())
    with CaptureQueriesContext(connection) as few:
        assert client.get(home_url()).status_code == 200
    records(cast.org, 30, prefix="F")
    with CaptureQueriesContext(connection) as many:
        assert client.get(home_url()).status_code == 200
    assert len(many) == len(few)
