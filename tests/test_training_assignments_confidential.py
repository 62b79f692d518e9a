"""What the pages show of the training a sanction brings: the people a sanction rule would assign and the rule
behind a confidential assignment only to readers of the sanctions log, and to them alone how many sanctions the
rule could not link to a roster person, and why."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from safeguard.training.models import AudienceKind
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast, client_for, make_member
from tests.test_training_assignments_support import sanction
from tests.test_training_assignments_views import url, who

TODAY = timezone.localdate()


@pytest.fixture
def sanctioned(cast: Cast) -> dict[str, Any]:
    """A sanction rule, the nurse on the roster named in a sanction since its start, and their open assignment."""
    course = make.course(cast.org, "REM", title="Remedial")
    rule = make.rule(course, name="After a sanction", audience=AudienceKind.SANCTIONED, starts_on=date(2026, 1, 1))
    nurse = make.person(cast.org, "E-1", name="Nora Nurse", email="nurse@clinic.test")
    sanction(cast, cast.workforce, date(2026, 2, 1))
    other = make.person(cast.org, "E-2", name="Owen Owed", email="owen@clinic.test")
    owen = make_member(cast.org, "OWEN@clinic.test", "workforce").user
    sanction(cast, owen, date(2026, 2, 2))
    row = make.assignment(
        nurse, course, due_on=TODAY + timedelta(days=5), rule=rule, confidential=True, reason="Named in a sanction"
    )
    return {"rule": rule, "assignment": row, "owed": other}


@pytest.mark.parametrize(
    ("name", "shown"), [("official", True), ("privacy", True), ("owner", True), ("auditor", False), ("manager", False)]
)
def test_a_sanction_rules_preview_names_people_only_to_sanctions_readers(
    cast: Cast, sanctioned: dict[str, Any], name: str, shown: bool
) -> None:
    body = client_for(who(cast, name)).get(url("rule_detail", sanctioned["rule"].public_id), {"preview": "1"})
    text = body.content.decode()

    assert "<strong>1</strong> person" in text  # the count is for every program viewer
    assert ("Owen Owed" in text) is shown
    assert (f"/people/{sanctioned['owed'].public_id}/" in text) is shown
    assert ("their names show only to those who may read the sanctions log" in text) is not shown


@pytest.mark.parametrize(
    ("name", "shown"), [("official", True), ("privacy", True), ("auditor", False), ("manager", False)]
)
def test_a_confidential_assignment_names_its_rule_only_to_sanctions_readers(
    cast: Cast, sanctioned: dict[str, Any], name: str, shown: bool
) -> None:
    rule = sanctioned["rule"]
    body = client_for(who(cast, name)).get(url("assignment_detail", sanctioned["assignment"].public_id))
    text = body.content.decode()

    assert ("After a sanction" in text) is shown
    assert (url("rule_detail", rule.public_id) in text) is shown
    assert ("by the security official" in text) is not shown


def test_the_rule_page_counts_sanctions_it_could_not_link_for_sanctions_readers(cast: Cast) -> None:
    course = make.course(cast.org, "REM")
    rule = make.rule(course, audience=AudienceKind.SANCTIONED, starts_on=date(2026, 1, 1))
    make.person(cast.org, "E-1", email="Nurse@Clinic.test")  # the nurse's user, whatever the case
    make.person(cast.org, "E-9", email="gone@clinic.test", status=Person.Status.TERMINATED)
    stranger = make_member(cast.org, "stranger@clinic.test", "workforce").user
    gone = make_member(cast.org, "gone@clinic.test", "workforce").user
    sanction(cast, cast.workforce, date(2026, 2, 1))  # linked
    sanction(cast, gone, date(2026, 2, 1))  # linked to a leaver: left out on purpose, not for want of a link
    sanction(cast, None, date(2026, 2, 2))  # a typed name only
    sanction(cast, None, date(2026, 3, 2))
    sanction(cast, stranger, date(2026, 3, 3))  # a user on nobody's roster record
    sanction(cast, None, date(2025, 12, 31))  # before the rule's start
    sanction(cast, None, date(2026, 2, 2), organization=cast.other_org)

    official = client_for(cast.official).get(url("rule_detail", rule.public_id)).content.decode()
    auditor = client_for(cast.auditor).get(url("rule_detail", rule.public_id)).content.decode()

    assert "<strong>3 sanctions</strong> decided since 2026-01-01 could not be linked" in official
    assert "2 name no user, only a typed name" in official
    assert "1 names a user whose email matches nobody on the roster" in official
    assert "could not link" not in auditor and "could not be linked" not in auditor


def test_the_rule_page_says_when_every_sanction_is_linked(cast: Cast) -> None:
    rule = make.rule(make.course(cast.org, "REM"), audience=AudienceKind.SANCTIONED, starts_on=date(2026, 1, 1))
    make.person(cast.org, "E-1", email="nurse@clinic.test")
    sanction(cast, cast.workforce, date(2026, 2, 1))
    everyone = make.rule(make.course(cast.org, "SEC"))

    body = client_for(cast.official).get(url("rule_detail", rule.public_id)).content.decode()
    other = client_for(cast.official).get(url("rule_detail", everyone.public_id)).content.decode()

    assert "Every sanction decided since 2026-01-01 names a user found on the roster." in body
    assert "Sanctions this rule could not link" not in other
