"""The daily chore: evaluating the rules of organizations with an active rule, reminding people before their due
date, telling managers after it (one email per manager a day, listing their reports' overdue training), and doing
each once however many times it runs; a dry run sends and writes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail

from safeguard.core.chores import registered_chores
from safeguard.training.models import Assignment, TrainingSettings
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_assignments_support import audit_count, events

DUE = date(2026, 5, 20)


def chore(today: date, dry_run: bool = False) -> list[str]:
    return registered_chores()["training.assignments"](today, dry_run)


@pytest.fixture
def team(cast: Cast) -> dict[str, Person]:
    boss = make.person(cast.org, "M-1", name="Maria Lopez", email="maria@clinic.test")
    return {
        "boss": boss,
        "dana": make.person(cast.org, "E-1", name="Dana Reyes", manager=boss),
        "sam": make.person(cast.org, "E-2", name="Sam Ito", manager=boss),
    }


def test_the_chore_evaluates_organizations_with_an_active_rule(cast: Cast) -> None:
    make.rule(make.course(cast.org, "SEC-1"))
    make.person(cast.org, "E-1")
    idle = make.rule(make.course(cast.other_org, "X"))
    idle.active = False
    idle.save()
    make.person(cast.other_org, "X-1")

    assert chore(date(2026, 4, 1), dry_run=True) == [
        "clinic: would open 1 assignment(s), 0 already completed, 0 cancelled"
    ]
    assert not Assignment.objects.exists()
    assert chore(date(2026, 4, 1))[0] == "clinic: opened 1 assignment(s), 0 already completed, 0 cancelled"
    assert Assignment.objects.filter(organization=cast.org).count() == 1
    assert not Assignment.objects.filter(organization=cast.other_org).exists()


def test_a_person_is_reminded_once_from_remind_days_before(cast: Cast, team: dict[str, Person]) -> None:
    course = make.course(cast.org, "SEC-1", title="Security basics")
    row = make.assignment(team["dana"], course, due_on=DUE)
    TrainingSettings.objects.create(organization=cast.org, remind_days_before=7)

    assert chore(DUE - timedelta(days=8)) == []
    lines = chore(DUE - timedelta(days=7))
    again = chore(DUE - timedelta(days=7)) + chore(DUE - timedelta(days=6))

    assert lines == ["clinic: Dana Reyes, “Security basics” due 2026-05-20: reminded e-1@clinic.test"]
    assert again == []
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["e-1@clinic.test"], "Training due 2026-05-20: Security basics")
    ]
    assert "You have 7 days left" in mail.outbox[0].body
    row.refresh_from_db()
    assert (row.reminded_on, row.reminders_sent) == (DUE - timedelta(days=7), 1)
    assert events("training.assignment.reminded")[0].changes == {
        "reminded_on": [None, "2026-05-13"],
        "recipient": [None, "e-1@clinic.test"],
    }


def test_a_dry_run_sends_and_writes_nothing(cast: Cast, team: dict[str, Person]) -> None:
    course = make.course(cast.org, "SEC-1", title="Security basics")
    make.assignment(team["dana"], course, due_on=DUE)
    before = audit_count()

    lines = chore(DUE + timedelta(days=2), dry_run=True)

    assert lines == [
        "clinic: Dana Reyes, “Security basics” due 2026-05-20: would remind e-1@clinic.test",
        "would tell clinic: maria@clinic.test about 1 overdue assignment",
    ]
    assert mail.outbox == [] and audit_count() == before
    assert Assignment.objects.get().reminded_on is None


def test_no_email_on_the_roster_is_said_and_nothing_is_marked(cast: Cast) -> None:
    course = make.course(cast.org, "SEC-1", title="Security basics")
    row = make.assignment(make.person(cast.org, "E-1", name="Dana Reyes", email=""), course, due_on=DUE)

    assert chore(DUE) == ["clinic: Dana Reyes, “Security basics” due 2026-05-20: no email on the roster, not reminded"]
    row.refresh_from_db()
    assert row.reminded_on is None


def test_the_manager_is_told_once_in_one_email_listing_their_reports_overdue_training(
    cast: Cast, team: dict[str, Person]
) -> None:
    first, second = make.course(cast.org, "A", title="Phishing"), make.course(cast.org, "B", title="Passwords")
    make.assignment(team["dana"], first, due_on=DUE, reminded_on=DUE)
    make.assignment(team["sam"], second, due_on=DUE, reminded_on=DUE)
    TrainingSettings.objects.create(organization=cast.org, escalate_days_after=2)

    assert chore(DUE + timedelta(days=1)) == []
    lines = chore(DUE + timedelta(days=2))
    assert chore(DUE + timedelta(days=2)) == [] and chore(DUE + timedelta(days=3)) == []

    assert lines == ["told clinic: maria@clinic.test about 2 overdue assignments"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert (message.to, message.subject) == (["maria@clinic.test"], "Overdue training in your team: 2 new")
    assert message.body.split("\n\n")[2].splitlines() == [
        '- Sam Ito (E-2): "Passwords", due 2026-05-20, 2 days overdue (new)',
        '- Dana Reyes (E-1): "Phishing", due 2026-05-20, 2 days overdue (new)',
    ]
    assert {row.escalated_on for row in Assignment.objects.all()} == {DUE + timedelta(days=2)}
    assert [e.changes["manager"] for e in events("training.assignment.escalated")] == [
        [None, "maria@clinic.test"],
        [None, "maria@clinic.test"],
    ]


def test_a_manager_already_told_today_hears_of_new_overdue_training_tomorrow(
    cast: Cast, team: dict[str, Person]
) -> None:
    course = make.course(cast.org, "A", title="Phishing")
    make.assignment(team["dana"], course, due_on=DUE, reminded_on=DUE)
    today = DUE + timedelta(days=1)
    chore(today)
    late = make.assignment(team["sam"], course, due_on=DUE, reminded_on=DUE)

    assert chore(today) == ["clinic: maria@clinic.test about 1 overdue assignment: already told today, tomorrow"]
    assert chore(today + timedelta(days=1)) == ["told clinic: maria@clinic.test about 1 overdue assignment"]

    assert len(mail.outbox) == 2
    assert "Dana Reyes" in mail.outbox[1].body and "(new)" in mail.outbox[1].body.split("Sam Ito")[1]
    late.refresh_from_db()
    assert late.escalated_on == today + timedelta(days=1)


def test_without_a_current_manager_there_is_no_one_to_tell(cast: Cast) -> None:
    gone = make.person(cast.org, "M-9", status=Person.Status.TERMINATED)
    course = make.course(cast.org, "A", title="Phishing")
    row = make.assignment(
        make.person(cast.org, "E-1", name="Dana Reyes", manager=gone), course, due_on=DUE, reminded_on=DUE
    )

    assert chore(DUE + timedelta(days=1)) == [
        "clinic: Dana Reyes, “Phishing” overdue since 2026-05-20: "
        "no current manager with an email on the roster to tell"
    ]
    row.refresh_from_db()
    assert row.escalated_on is None and mail.outbox == []


def test_closed_assignments_are_neither_reminded_nor_escalated(cast: Cast, team: dict[str, Person]) -> None:
    course = make.course(cast.org, "A")
    make.assignment(team["dana"], course, due_on=DUE, status=Assignment.Status.EXCUSED)

    assert chore(DUE + timedelta(days=5)) == []
    assert mail.outbox == []


def test_a_confidential_reason_never_reaches_an_email(cast: Cast, team: dict[str, Person]) -> None:
    course = make.course(cast.org, "REM", title="Remedial")
    make.assignment(team["dana"], course, due_on=DUE, confidential=True, reason="Named in a sanction decided on X")

    chore(DUE + timedelta(days=3))

    assert len(mail.outbox) == 2
    assert all("sanction" not in message.body.lower() for message in mail.outbox)


def test_only_the_person_learns_a_confidential_assignments_course(cast: Cast, team: dict[str, Person]) -> None:
    remedial = make.course(cast.org, "REM", title="Remedial handling")
    basics = make.course(cast.org, "SEC", title="Security basics")
    make.assignment(team["dana"], remedial, due_on=DUE, confidential=True, reason="Named in a sanction")
    make.assignment(team["sam"], basics, due_on=DUE)

    lines = chore(DUE + timedelta(days=3))

    to = {message.to[0]: message for message in mail.outbox}
    own = to[team["dana"].email]
    manager = to["maria@clinic.test"]
    assert "Remedial handling" in f"{own.subject} {own.body}"  # the person's own reminder may name it
    assert "Remedial handling" not in f"{manager.subject} {manager.body}"
    assert "Dana Reyes (E-1): a required course, due 2026-05-20" in manager.body
    assert 'Sam Ito (E-2): "Security basics", due 2026-05-20' in manager.body
    assert all("Remedial handling" not in line for line in lines)
    assert "clinic: Dana Reyes, a required course due 2026-05-20: reminded e-1@clinic.test" in lines
