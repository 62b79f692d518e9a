"""The six training checks inside a tracker evaluation: each requirement's stored verdict, and the standard's
roll-up with its own check."""

from __future__ import annotations

from datetime import date, timedelta

from safeguard.core.audit import Actor
from safeguard.risk.models import SanctionPolicy
from safeguard.tracker.evaluation import tracker_evaluate
from safeguard.tracker.models import Status, Verdict
from safeguard.training.models import ReminderDelivery, SecurityReminder
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_acks import mirror
from tests.test_training_checks_support import TODAY, ago, at, program

A, B, C, D = (f"164.308(a)(5)(ii)({letter})" for letter in "ABCD")
SANCTIONS = "164.308(a)(1)(ii)(C)"


def verdicts(cast: Cast) -> dict[str, Verdict]:
    tracker_evaluate(organization=cast.org, actor=Actor.system("test"), today=TODAY)
    rows = Verdict.objects.filter(organization=cast.org).select_related("requirement")
    return {row.requirement.citation: row for row in rows}


def records(cast: Cast) -> None:
    """Everyone trained on time and covered for (B); half covered for (C); nothing covers (D); reminders monthly to
    everyone; the sanction policy approved and published, acknowledged by nobody."""
    initial = program(cast.org)
    malware = make.topic(cast.org, "malicious_software", [B])
    logins = make.topic(cast.org, "login_monitoring", [C])
    initial.topics.set([malware])
    logins_course = make.course(cast.org, "LOG-1", topics=[logins])
    people = []
    for n in range(4):
        who = make.person(cast.org, f"E-{n}", name=f"Pat P{n}")
        people.append(who)
        make.completion(who, initial, at=at(ago(20 + n)))
        if n % 2:
            make.completion(who, logins_course, at=at(ago(10)))
    for day in (date(2026, 6, 1), date(2026, 5, 1), date(2026, 4, 1)):
        reminder = SecurityReminder.objects.create(
            organization=cast.org,
            title=f"Reminder {day}",
            body="Lock your screen.",
            scheduled_for=at(day),
            status=SecurityReminder.Status.SENT,
            sent_at=at(day),
            recipients=4,
        )
        for who in people:
            ReminderDelivery.objects.create(organization=cast.org, reminder=reminder, person=who)
    policy = SanctionPolicy.objects.create(
        organization=cast.org,
        version=1,
        body="Violations are sanctioned by level.",
        status=SanctionPolicy.Status.APPROVED,
        approved_at=at(ago(30)),
        created_by=cast.owner,
    )
    mirror(policy)


def test_the_evaluation_stores_each_training_verdict(cast: Cast) -> None:
    records(cast)
    found = verdicts(cast)

    assert found[A].status == Status.MET
    assert found[A].lapses_on == date(2026, 7, 1)
    assert found[B].status == Status.MET
    assert found[C].status == Status.PARTIALLY_MET
    assert "2 of 4 active people (50%) completed it" in found[C].reason
    assert found[D].status == Status.NOT_MET
    assert found[D].reason.startswith("No course covers password management")
    for citation, name in ((A, "security_reminders"), (B, "topic_b"), (D, "topic_d")):
        assert found[citation].checks == [f"training.{name}"]
    # Log-in monitoring is also activity review's: with no identity source its check is unknown and adds nothing.
    assert found[C].checks == ["training.topic_c", "activity.login_monitoring"]

    standard = found["164.308(a)(5)"]
    assert standard.checks == ["training.workforce_trained"]
    assert standard.status == Status.PARTIALLY_MET
    assert standard.reason.startswith("3 of 5 applicable specifications met.")  # A, B and the standard's own check

    sanctions = found[SANCTIONS]
    assert sanctions.checks == ["risk.sanction_policy", "training.sanction_policy_acknowledged"]
    assert sanctions.status == Status.PARTIALLY_MET  # the risk check's partial verdict, and ours not met
    assert "0 of 4 active people (0%) acknowledged the sanction policy v1" in sanctions.reason


def test_the_standard_is_not_met_when_its_own_check_fails(cast: Cast) -> None:
    records(cast)
    late = make.person(cast.org, "E-9", name="Lou Late")
    make.assignment(late, make.course(cast.org, "HIPAA-2"), due_on=TODAY - timedelta(days=2))
    found = verdicts(cast)
    standard = found["164.308(a)(5)"]
    assert standard.status == Status.PARTIALLY_MET
    assert "(standard) the standard's own checks: " in standard.reason and "Lou Late" in standard.reason
    assert "(not met)" in standard.reason
