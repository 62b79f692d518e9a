"""Acknowledgement emails and the daily chore: the emails a publication sends after its commit, the newcomers the
chore asks, the one reminder after the due date, a failed send tried again, a dry run that changes nothing, and
the sanction policy approved before the training app existed."""

from __future__ import annotations

import smtplib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from safeguard.core.chores import registered_chores
from safeguard.training.links import read_token
from safeguard.training.models import AckDocumentVersion, Acknowledgement, AckRequest, AudienceKind
from safeguard.training.services.acknowledgements import acknowledgement_record, document_retire
from tests.access_factories import person
from tests.conftest import Cast
from tests.test_risk_sanctions_support import approved
from tests.test_training_acks_support import (
    TODAY,
    actions,
    actor,
    audit_count,
    document,
    draft,
    last_event,
    nurse,
    published,
)

CHORE = "training.acknowledgements"


def chore(today: date = TODAY, dry_run: bool = False) -> list[str]:
    return registered_chores()[CHORE](today, dry_run)


def token_of(body: str) -> str:
    link = next(line for line in body.splitlines() if "/t/acks/" in line)
    return link.rstrip("/").rsplit("/", 1)[-1]


def test_publishing_emails_each_person_a_personal_link_after_the_commit(
    cast: Cast, django_capture_on_commit_callbacks
) -> None:
    nurse_ = nurse(cast)
    doc = document(cast, "Incident reporting policy", due_days=10)

    with django_capture_on_commit_callbacks(execute=True):
        version = published(cast, doc)

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nurse@clinic.test"]
    assert message.subject == "Please read and acknowledge: Incident reporting policy (version 1)"
    assert f"by {TODAY + timedelta(days=10):%Y-%m-%d}" in message.body
    request = AckRequest.objects.get(version=version, person=nurse_)
    assert read_token("ack", token_of(str(message.body))) == str(request.public_id)
    assert request.emailed_at is not None
    assert last_event("training.ack_version.emailed").changes == {"emails": [None, 1]}


def test_new_hires_are_asked_by_the_chore_once(cast: Cast) -> None:
    version = published(cast, document(cast))
    hired = person(cast.org, "N-9", name="Nia New")
    mail.outbox.clear()

    lines = chore()
    again = chore()

    request = AckRequest.objects.get(version=version, person=hired)
    assert request.due_on == TODAY + timedelta(days=30)
    assert [m.to for m in mail.outbox] == [["n-9@clinic.test"]]
    assert lines == ["clinic: Acceptable use policy v1: asked 1 more people, emailed 1"]
    assert again == []
    assert last_event("training.ack_version.requested").changes == {"requested": [None, 1]}


def test_movers_into_the_audience_are_asked_and_people_who_left_are_not(cast: Cast) -> None:
    version = published(cast, document(cast, audience=AudienceKind.DEPARTMENT, values=["Billing"]))
    mover = person(cast.org, "N-1")
    person(cast.org, "B-9", department="Billing", status="terminated")
    mover.department = "Billing"
    mover.save()

    chore()

    assert list(AckRequest.objects.filter(version=version).values_list("person__employee_id", flat=True)) == ["N-1"]


def test_one_reminder_after_the_due_date_and_none_once_acknowledged(cast: Cast) -> None:
    late = nurse(cast)
    done = person(cast.org, "N-2")
    version = published(cast, document(cast, due_days=5))
    chore()  # the first emails
    acknowledgement_record(
        organization=cast.org, actor=actor(None), version=version, person=done, method=Acknowledgement.Method.EMAIL_LINK
    )
    mail.outbox.clear()

    on_due_date = chore(TODAY + timedelta(days=5))
    after = chore(TODAY + timedelta(days=6))
    later = chore(TODAY + timedelta(days=20))

    assert on_due_date == []
    assert after == ["clinic: Acceptable use policy v1: reminded 1"]
    assert later == []
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["nurse@clinic.test"], "Reminder: please acknowledge Acceptable use policy (version 1)")
    ]
    assert "(1 day ago)" in mail.outbox[0].body
    assert AckRequest.objects.get(person=late).reminded_at is not None


def test_a_failed_send_is_released_and_tried_again(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    nurse(cast)
    version = published(cast, document(cast))

    def refuse(self: object, messages: object) -> int:
        raise smtplib.SMTPServerDisconnected("gone")

    with monkeypatch.context() as patched:
        patched.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse)
        failed = chore()
    assert failed == ["clinic: Acceptable use policy v1: a send failed; the rest will be tried on the next run"]
    assert AckRequest.objects.get(version=version).emailed_at is None

    assert chore() == ["clinic: Acceptable use policy v1: emailed 1"]
    assert len(mail.outbox) == 1


def test_people_without_an_email_are_counted_not_mailed(cast: Cast) -> None:
    person(cast.org, "N-1", email="")
    published(cast, document(cast))

    assert chore() == ["clinic: Acceptable use policy v1: 1 without an email address"]
    assert chore(TODAY + timedelta(days=40)) == ["clinic: Acceptable use policy v1: 1 without an email address"]
    assert mail.outbox == []


def test_a_dry_run_writes_and_sends_nothing(cast: Cast) -> None:
    published(cast, document(cast))
    person(cast.org, "N-9")
    before = (audit_count(), AckRequest.objects.count())

    lines = chore(dry_run=True)

    assert lines == ["clinic: Acceptable use policy v1: would ask 1 more people"]
    assert (audit_count(), AckRequest.objects.count()) == before
    assert mail.outbox == []


def test_superseded_retired_and_draft_versions_are_neither_emailed_nor_asked(cast: Cast) -> None:
    nurse(cast)
    doc = document(cast)
    first = published(cast, doc)
    retired = published(cast, document(cast, "Old guide"))
    draft_ = draft(cast, document(cast, "Draft only"))
    published(cast, doc, "Second text")
    document_retire(organization=cast.org, actor=actor(cast.official), document=retired.document)
    AckRequest.objects.filter(version__number=2).update(emailed_at=timezone.now())  # its email went out
    person(cast.org, "N-9")

    assert chore() == ["clinic: Acceptable use policy v2: asked 1 more people, emailed 1"]
    assert not AckRequest.objects.filter(version=draft_).exists()
    assert not AckRequest.objects.filter(version__in=[first, retired], person__employee_id="N-9").exists()
    assert AckRequest.objects.filter(version__in=[first, retired], emailed_at__isnull=False).count() == 0
    assert [m.to for m in mail.outbox] == [["n-9@clinic.test"]]


def test_the_chore_mirrors_a_sanction_policy_approved_earlier(cast: Cast) -> None:
    nurse(cast)
    policy = approved(cast)
    AckRequest.objects.all().delete()
    AckDocumentVersion.objects.all().delete()

    dry = chore(dry_run=True)
    lines = chore()

    assert dry[0] == "clinic: sanction policy v1 would be published for acknowledgement"
    assert lines[0] == "clinic: sanction policy v1 published for acknowledgement"
    assert AckDocumentVersion.objects.get(sanction_policy=policy).status == AckDocumentVersion.Status.PUBLISHED
    assert "training.ack_version.published" in actions()
    assert chore() == []
