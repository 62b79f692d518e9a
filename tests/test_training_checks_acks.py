"""The acknowledgement part of 164.308(a)(1)(ii)(C): the approved sanction policy, published for acknowledgement,
acknowledged by the threshold of the active workforce."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from safeguard.core.models import Organization, User
from safeguard.risk.models import SanctionPolicy
from safeguard.tracker.models import Status
from safeguard.tracker.registry import checks_for
from safeguard.training.checks_acks import sanction_policy_acknowledged
from safeguard.training.models import AckDocument, AckDocumentVersion, Acknowledgement, TrainingSettings
from safeguard.workforce.models import Person
from tests import training_factories as make
from tests.conftest import Cast
from tests.test_training_checks_support import TODAY, ago, at


def policy(organization: Organization, user: User, version: int = 1, status: str = "approved") -> SanctionPolicy:
    """Written directly: approving through the service would also publish the mirror (another area's receiver)."""
    return SanctionPolicy.objects.create(
        organization=organization,
        version=version,
        body="Violations are sanctioned by level.",
        status=status,
        approved_at=at(ago(30)) if status == SanctionPolicy.Status.APPROVED else None,
        created_by=user,
    )


def mirror(target: SanctionPolicy, status: str = AckDocumentVersion.Status.PUBLISHED) -> AckDocumentVersion:
    document, _ = AckDocument.objects.get_or_create(
        organization=target.organization,
        kind=AckDocument.Kind.SANCTION_POLICY,
        defaults={"title": "Sanction policy"},
    )
    return AckDocumentVersion.objects.create(
        organization=target.organization,
        document=document,
        number=target.version,
        body=target.body,
        status=status,
        sanction_policy=target,
    )


def acknowledge(version: AckDocumentVersion, who: Person) -> None:
    Acknowledgement.objects.create(
        organization=version.organization,
        version=version,
        person=who,
        acknowledged_at=at(ago(5)),
        method=Acknowledgement.Method.IN_APP,
    )


def test_a_second_check_on_the_sanction_policy() -> None:
    assert [c.name for c in checks_for("164.308(a)(1)(ii)(C)")] == [
        "risk.sanction_policy",
        "training.sanction_policy_acknowledged",
    ]


def test_no_approved_policy_is_unknown(cast: Cast) -> None:
    policy(cast.org, cast.owner, status=SanctionPolicy.Status.DRAFT)
    result = sanction_policy_acknowledged(cast.org, TODAY)
    assert result.status == Status.UNKNOWN
    assert result.reason == "No sanction policy is approved, so there is nothing for the workforce to acknowledge yet."


@pytest.mark.parametrize("state", ["no mirror", "draft mirror", "mirror of an older version"])
def test_an_approved_policy_not_published_is_not_met(cast: Cast, state: str) -> None:
    make.person(cast.org, "E-1")
    if state == "mirror of an older version":
        old = policy(cast.org, cast.owner, version=1, status=SanctionPolicy.Status.SUPERSEDED)
        mirror(old)
    current = policy(cast.org, cast.owner, version=2)
    if state == "draft mirror":
        mirror(current, AckDocumentVersion.Status.DRAFT)
    result = sanction_policy_acknowledged(cast.org, TODAY)
    assert (result.status, result.reason) == (
        Status.NOT_MET,
        "The approved sanction policy v2 is not published for acknowledgement.",
    )
    assert result.next_action.startswith("Publish the approved sanction policy for acknowledgement")


def test_acknowledged_by_everyone_is_met(cast: Cast) -> None:
    version = mirror(policy(cast.org, cast.owner))
    for n in range(3):
        acknowledge(version, make.person(cast.org, f"E-{n}"))
    make.person(cast.org, "E-9", status=Person.Status.LEAVE)  # not active: not counted
    result = sanction_policy_acknowledged(cast.org, TODAY)
    assert result.status == Status.MET
    assert result.reason == "3 of 3 active people (100%) acknowledged the sanction policy v1 (threshold 95%)."
    assert [(ref.type, ref.id, ref.label) for ref in result.records] == [
        ("training.ackdocumentversion", str(version.public_id), "Sanction policy v1")
    ]
    assert result.records[0].url == reverse("training:ack_version_detail", args=["clinic", version.public_id])


@pytest.mark.parametrize(("threshold", "expected"), [(75, Status.MET), (76, Status.NOT_MET)])
def test_threshold_exactly_met(cast: Cast, threshold: int, expected: Status) -> None:
    TrainingSettings.objects.create(organization=cast.org, ack_threshold=threshold)
    version = mirror(policy(cast.org, cast.owner))
    for n in range(3):
        acknowledge(version, make.person(cast.org, f"E-{n}"))
    make.person(cast.org, "E-9", name="Ned Late")
    result = sanction_policy_acknowledged(cast.org, TODAY)
    assert result.status == expected
    if expected == Status.NOT_MET:
        assert result.reason == (
            "3 of 4 active people (75%) acknowledged the sanction policy v1 (threshold 76%); not yet acknowledged by "
            "Ned Late."
        )
        assert [ref.type for ref in result.records] == ["training.ackdocumentversion", "workforce.person"]


def test_acknowledging_an_older_version_does_not_count(cast: Cast) -> None:
    old = mirror(policy(cast.org, cast.owner, version=1, status=SanctionPolicy.Status.SUPERSEDED))
    AckDocumentVersion.objects.filter(pk=old.pk).update(status=AckDocumentVersion.Status.SUPERSEDED)
    current = mirror(policy(cast.org, cast.owner, version=2))
    pat = make.person(cast.org, "E-1")
    acknowledge(old, pat)
    assert sanction_policy_acknowledged(cast.org, TODAY).status == Status.NOT_MET
    acknowledge(current, pat)
    assert sanction_policy_acknowledged(cast.org, TODAY).status == Status.MET


def test_no_active_people_is_unknown(cast: Cast) -> None:
    mirror(policy(cast.org, cast.owner))
    make.person(cast.org, "E-1", status=Person.Status.LEAVE)
    assert sanction_policy_acknowledged(cast.org, TODAY).status == Status.UNKNOWN


def test_query_count_does_not_grow_with_people(cast: Cast) -> None:
    version = mirror(policy(cast.org, cast.owner))

    def grow(start: int, stop: int) -> None:
        for n in range(start, stop):
            who = make.person(cast.org, f"E-{n:03}")
            if n % 3:
                acknowledge(version, who)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            sanction_policy_acknowledged(cast.org, TODAY)
        return len(queries)

    grow(0, 5)
    few = count()
    grow(5, 50)
    assert count() == few
