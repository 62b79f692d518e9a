"""Access functions for attestations and decisions: tenant-scoped, one 404 for missing and foreign, 403 by role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from uuid import uuid4

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import Membership
from safeguard.tracker.access import get_attestation_for_user, get_decision_for_user
from safeguard.tracker.models import AddressableDecision, Attestation
from safeguard.tracker.services import attestation_record, decision_record
from tests.conftest import Cast

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def membership(cast: Cast, who: str) -> Membership:
    return Membership.objects.select_related("organization").get(user=getattr(cast, who))


@pytest.fixture
def records(cast: Cast) -> tuple[Attestation, AddressableDecision]:
    attestation = attestation_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.310(b)",
        statement="Policy issued.",
        expires_on=TODAY + timedelta(days=30),
    )
    decision = decision_record(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        citation="164.312(a)(2)(iii)",
        decision="alternative",
        rationale="Kiosk.",
        alternative_measure="Locked room.",
        review_on=TODAY + timedelta(days=30),
    )
    return attestation, decision


GETTERS = [get_attestation_for_user, get_decision_for_user]


@pytest.mark.parametrize("index", [0, 1])
@pytest.mark.parametrize(
    ("who", "write", "outcome"),
    [
        ("owner", False, "ok"),
        ("owner", True, "ok"),
        ("official", True, "ok"),
        ("auditor", False, "ok"),
        ("auditor", True, "403"),
        ("workforce", False, "403"),
        ("outsider", False, "404"),
        ("outsider", True, "404"),
    ],
)
def test_access_matrix(
    cast: Cast, records: tuple[Attestation, AddressableDecision], index: int, who: str, write: bool, outcome: str
) -> None:
    record = records[index]
    getter = GETTERS[index]
    if outcome == "ok":
        assert getter(membership(cast, who), record.public_id, write=write) == record
    elif outcome == "403":
        with pytest.raises(PermissionDenied):
            getter(membership(cast, who), record.public_id, write=write)
    else:
        with pytest.raises(Http404):
            getter(membership(cast, who), record.public_id, write=write)


@pytest.mark.parametrize("getter", GETTERS)
@pytest.mark.parametrize("public_id", [str(uuid4()), "not-a-uuid", ""])
def test_missing_or_malformed_ids_are_404(cast: Cast, getter: Callable[..., object], public_id: str) -> None:
    with pytest.raises(Http404):
        getter(membership(cast, "owner"), public_id)


def test_ids_as_strings_work_and_load_the_requirement(
    cast: Cast, records: tuple[Attestation, AddressableDecision]
) -> None:
    attestation = get_attestation_for_user(membership(cast, "owner"), str(records[0].public_id))
    assert attestation.requirement.citation == "164.310(b)"
    decision = get_decision_for_user(membership(cast, "owner"), str(records[1].public_id))
    assert decision.requirement.citation == "164.312(a)(2)(iii)"
