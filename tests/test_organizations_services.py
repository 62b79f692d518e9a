"""Membership services keep an owner: the owners are locked and counted inside the change's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db.models.query import QuerySet
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Membership
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.organizations import membership_deactivate, membership_update
from tests.conftest import Cast, make_member


@pytest.fixture
def two_owners(cast: Cast) -> tuple[Membership, Membership]:
    first = Membership.objects.get(organization=cast.org, user=cast.owner)
    second = make_member(cast.org, "co-owner@clinic.test", Role.OWNER)
    return first, second


def demote(cast: Cast, membership: Membership, by: Membership) -> None:
    membership_update(
        organization=cast.org,
        actor=Actor(user=by.user),
        membership=membership,
        role=Role.WORKFORCE,
        access_ends_on=None,
    )


def test_two_owners_demoting_each_other_leave_one(cast: Cast, two_owners: tuple[Membership, Membership]) -> None:
    first, second = two_owners
    # Both requests loaded their rows before either change: the second must still see the first's change.
    stale_first = Membership.objects.get(pk=first.pk)

    demote(cast, second, by=first)
    with pytest.raises(ServiceError, match="must keep at least one owner"):
        demote(cast, stale_first, by=second)

    assert list(Membership.objects.filter(organization=cast.org, role=Role.OWNER)) == [first]
    assert AuditEvent.objects.filter(action="membership.changed").count() == 1


def test_an_owner_whose_access_ended_does_not_count(cast: Cast, two_owners: tuple[Membership, Membership]) -> None:
    first, second = two_owners
    Membership.objects.filter(pk=second.pk).update(access_ends_on=timezone.localdate() - timedelta(days=1))

    with pytest.raises(ServiceError, match="must keep at least one owner"):
        membership_deactivate(organization=cast.org, actor=Actor(user=cast.owner), membership=first)

    first.refresh_from_db()
    assert first.is_active is True
    assert not AuditEvent.objects.filter(action="membership.deactivated").exists()


def test_another_organizations_owner_does_not_count(cast: Cast) -> None:
    first = Membership.objects.get(organization=cast.org, user=cast.owner)

    with pytest.raises(ServiceError):
        demote(cast, first, by=first)

    first.refresh_from_db()
    assert first.role == Role.OWNER


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[bool, str]]]:
    """Every membership query the database runs: whether it was locked (select_for_update), and its SQL."""
    seen: list[tuple[bool, str]] = []
    original = QuerySet._fetch_all

    def spy(self: QuerySet) -> None:
        if self.model is Membership and self._result_cache is None:
            seen.append((self.query.select_for_update, str(self.query)))
        original(self)

    monkeypatch.setattr(QuerySet, "_fetch_all", spy)
    yield seen


@pytest.mark.parametrize("change", ["demote", "deactivate"])
def test_owner_memberships_are_locked_before_they_are_counted(
    cast: Cast, two_owners: tuple[Membership, Membership], fetched: list[tuple[bool, str]], change: str
) -> None:
    first, second = two_owners
    fetched.clear()

    if change == "demote":
        demote(cast, second, by=first)
    else:
        membership_deactivate(organization=cast.org, actor=Actor(user=cast.owner), membership=second)

    owner_queries = [(locked, sql) for locked, sql in fetched if '"role" = owner' in sql]
    assert owner_queries, fetched
    assert all(locked for locked, _ in owner_queries)
    # The owners are locked before the member's own row, so concurrent changes take locks in one order.
    assert fetched[0] == owner_queries[0]
