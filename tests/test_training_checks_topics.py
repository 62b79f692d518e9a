"""The 164.308(a)(5)(ii)(B), (C) and (D) checks: a published course covers the topic, completion meets the
threshold, and for (D) the MFA coverage of the accounts; the lapse day and the bounded query count."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import Organization
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from safeguard.training.checks_topics import topic_b, topic_c, topic_d
from safeguard.training.models import Course, TrainingSettings
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_support import TODAY, accounts, ago, at

B, C, D = "164.308(a)(5)(ii)(B)", "164.308(a)(5)(ii)(C)", "164.308(a)(5)(ii)(D)"


def covering(organization: Organization, citation: str = B, code: str = "MAL-1", **values: Any) -> Course:
    topic = make.topic(organization, f"topic_{code.lower().replace('-', '_')}", [citation, "164.308(a)(5)"])
    return make.course(organization, code, topics=[topic], title=f"Course {code}", **values)


def done(course: Course, employee_id: str, days_ago: int = 30, **values: object) -> Person:
    who = make.person(course.organization, employee_id, **values)
    make.completion(who, course, at=at(ago(days_ago)))
    return who


@pytest.mark.parametrize(
    ("citation", "name"), [(B, "training.topic_b"), (C, "training.topic_c"), (D, "training.topic_d")]
)
def test_registered_per_specification(citation: str, name: str) -> None:
    # Log-in monitoring is also activity review's (failure rules over identity sources, and their reviews).
    others = ["activity.login_monitoring"] if citation == C else []
    assert [c.name for c in checks_for(citation)] == [name, *others]


def test_no_covering_course_is_not_met(cast: Cast) -> None:
    make.person(cast.org, "E-1")
    covering(cast.org, C)  # covers log-in monitoring, not malicious software
    covering(cast.org, B, "MAL-2", status=Course.Status.DRAFT)
    result = topic_b(cast.org, TODAY)
    assert result.status == Status.NOT_MET
    assert result.reason == (
        "No course covers protection from malicious software: no published course is linked to a topic that serves "
        "164.308(a)(5)(ii)(B)."
    )
    assert result.next_action.startswith("Publish a course on protection from malicious software")


def test_covered_and_completed_is_met_until_the_first_completion_ages_out(cast: Cast) -> None:
    course = covering(cast.org, C, "LOG-1")
    done(course, "E-1", days_ago=100)
    pat = done(course, "E-2", days_ago=200)
    make.completion(pat, course, at=at(ago(20)))  # the latest completion is the one that counts
    result = topic_c(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason == (
        "Course LOG-1 covers log-in monitoring; 2 of 2 active people (100%) completed it in the last 12 months "
        "(threshold 95%)."
    )
    assert result.lapses_on == ago(100) + timedelta(days=365)
    assert [ref.type for ref in result.records] == ["training.course"]
    assert result.records[0].label == "Course LOG-1 (LOG-1)"
    assert result.records[0].url == reverse("training:course_detail", args=["clinic", course.public_id])


def test_below_the_threshold_is_partially_met_naming_the_missing(cast: Cast) -> None:
    course = covering(cast.org)
    done(course, "E-1")
    stale = done(course, "E-2", days_ago=365, name="Cy Old")
    result = topic_b(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert result.reason == (
        "Course MAL-1 covers protection from malicious software; 1 of 2 active people (50%) completed it in the last "
        "12 months (threshold 95%); not completed by Cy Old."
    )
    assert [ref.id for ref in result.records][1:] == [str(stale.public_id)]
    assert result.lapses_on is None
    assert result.next_action == "Assign Course MAL-1 to everyone (an assignment rule for everyone, yearly)."


def test_the_day_before_the_365_day_boundary_counts(cast: Cast) -> None:
    course = covering(cast.org)
    done(course, "E-1", days_ago=364)
    assert topic_b(cast.org, TODAY).status == Status.MET
    assert topic_b(cast.org, TODAY + timedelta(days=1)).status == Status.PARTIALLY_MET


def test_any_of_several_covering_courses_counts(cast: Cast) -> None:
    first = covering(cast.org, B, "MAL-1")
    second = covering(cast.org, B, "MAL-2")
    done(first, "E-1")
    done(second, "E-2")
    result = topic_b(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason.startswith("Course MAL-1, Course MAL-2 cover protection from malicious software; 2 of 2")


def test_a_completion_of_another_course_does_not_count(cast: Cast) -> None:
    covering(cast.org)
    other = make.course(cast.org, "GEN-1")
    done(other, "E-1")
    assert topic_b(cast.org, TODAY).status == Status.PARTIALLY_MET


@pytest.mark.parametrize(("threshold", "expected"), [(80, Status.MET), (81, Status.PARTIALLY_MET)])
def test_threshold_exactly_met(cast: Cast, threshold: int, expected: Status) -> None:
    TrainingSettings.objects.create(organization=cast.org, completion_threshold=threshold)
    course = covering(cast.org)
    for n in range(4):
        done(course, f"E-{n}")
    make.person(cast.org, "E-9")
    assert topic_b(cast.org, TODAY).status == expected


def test_no_roster_is_unknown(cast: Cast) -> None:
    covering(cast.org)
    assert topic_b(cast.org, TODAY).status == Status.UNKNOWN


# ---- (D) and MFA -------------------------------------------------------------------------------------------------


def test_password_topic_reports_mfa_coverage(cast: Cast) -> None:
    course = covering(cast.org, D, "PWD-1")
    pat = done(course, "E-1")
    accounts(cast.org, [{"person": pat}, {"mfa_enabled": False}, {"mfa_enabled": None}, {"mfa_enabled": True}])
    result = topic_d(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason.endswith("; MFA on 2 of 3 enabled accounts with MFA recorded (66%).")


def test_a_privileged_account_without_mfa_lowers_met_to_partially_met(cast: Cast) -> None:
    course = covering(cast.org, D, "PWD-1")
    pat = done(course, "E-1", name="Pat Kim")
    accounts(
        cast.org,
        [
            {"person": pat, "username": "pkim-admin", "privileged": True, "mfa_enabled": False},
            {"username": "svc-admin", "privileged": True, "mfa_enabled": None},  # not recorded: not judged
            {"username": "old-admin", "privileged": True, "mfa_enabled": False, "status": "disabled"},
        ],
    )
    result = topic_d(cast.org, TODAY)
    assert result.status == Status.PARTIALLY_MET
    assert result.reason.endswith(
        "; MFA on 0 of 1 enabled account with MFA recorded (0%); 1 privileged account without MFA: EHR account "
        "pkim-admin (Pat Kim)."
    )
    assert result.next_action == "Turn MFA on for every privileged account."


def test_mfa_is_read_only_for_passwords(cast: Cast) -> None:
    course = covering(cast.org, B)
    done(course, "E-1")
    accounts(cast.org, [{"privileged": True, "mfa_enabled": False}])
    result = topic_b(cast.org, TODAY)
    assert result.status == Status.MET
    assert "MFA" not in result.reason


def test_password_topic_without_account_lists_says_nothing_of_mfa(cast: Cast) -> None:
    course = covering(cast.org, D, "PWD-1")
    done(course, "E-1")
    result = topic_d(cast.org, TODAY)
    assert result.status == Status.MET
    assert "MFA" not in result.reason


def test_query_count_does_not_grow_with_people_or_accounts(cast: Cast) -> None:
    course = covering(cast.org, D, "PWD-1")

    def grow(start: int, stop: int) -> None:
        people = [
            done(course, f"E-{n:03}") if n % 4 else make.person(cast.org, f"E-{n:03}") for n in range(start, stop)
        ]
        accounts(cast.org, [{"person": p, "privileged": True, "mfa_enabled": False} for p in people], f"S{stop}")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            topic_d(cast.org, TODAY)
        return len(queries)

    grow(0, 5)
    few = count()
    grow(5, 50)
    assert count() == few
