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
from safeguard.core.services.organizations import membership_add, membership_deactivate, membership_update
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


# --- an owner's access never lapses (a sole owner could otherwise lock everyone out) -----------------------------


@pytest.mark.parametrize("days", [-1, 0, 30])
def test_a_sole_owner_cannot_give_themselves_an_end_date(cast: Cast, days: int) -> None:
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)
    ends = timezone.localdate() + timedelta(days=days)

    with pytest.raises(ServiceError) as refused:
        membership_update(
            organization=cast.org, actor=Actor(user=cast.owner), membership=owner, role=Role.OWNER, access_ends_on=ends
        )

    assert refused.value.field == "access_ends_on"
    assert refused.value.message == "An owner's access cannot end; make someone else owner first."
    owner.refresh_from_db()
    assert owner.access_ends_on is None
    assert Membership.objects.filter(organization=cast.org, role=Role.OWNER).current().count() == 1
    assert not AuditEvent.objects.exists()


def test_an_owner_cannot_be_added_with_an_end_date(cast: Cast) -> None:
    with pytest.raises(ServiceError) as refused:
        membership_add(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            email="co-owner@clinic.test",
            role=Role.OWNER,
            access_ends_on=timezone.localdate() + timedelta(days=90),
        )

    assert refused.value.field == "access_ends_on"
    assert not Membership.objects.filter(user__email="co-owner@clinic.test").exists()
    assert not AuditEvent.objects.exists()


def test_the_last_current_owner_cannot_become_an_auditor_whose_access_ended(cast: Cast) -> None:
    owner = Membership.objects.get(organization=cast.org, user=cast.owner)

    with pytest.raises(ServiceError, match="must keep at least one owner"):
        membership_update(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            membership=owner,
            role=Role.AUDITOR,
            access_ends_on=timezone.localdate() - timedelta(days=1),
        )

    owner.refresh_from_db()
    assert (owner.role, owner.access_ends_on) == (Role.OWNER, None)


def test_an_owner_whose_access_already_ended_can_be_demoted_when_another_owner_is_current(
    cast: Cast, two_owners: tuple[Membership, Membership]
) -> None:
    first, second = two_owners
    Membership.objects.filter(pk=second.pk).update(access_ends_on=timezone.localdate() - timedelta(days=1))

    demote(cast, second, by=first)

    second.refresh_from_db()
    assert second.role == Role.WORKFORCE
    assert AuditEvent.objects.get(action="membership.changed").changes["role"] == [Role.OWNER, Role.WORKFORCE]


# --- adding a deactivated member again gives them access back -------------------------------------------------------


def test_adding_a_deactivated_member_reactivates_them_with_the_new_role(cast: Cast) -> None:
    nurse = Membership.objects.get(organization=cast.org, user=cast.workforce)
    membership_deactivate(organization=cast.org, actor=Actor(user=cast.owner), membership=nurse)
    ends = timezone.localdate() + timedelta(days=30)

    back = membership_add(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        email="Nurse@Clinic.test",
        role=Role.AUDITOR,
        access_ends_on=ends,
    )

    assert back.pk == nurse.pk
    nurse.refresh_from_db()
    assert (nurse.is_active, nurse.role, nurse.access_ends_on) == (True, Role.AUDITOR, ends)
    assert nurse.is_current()
    event = AuditEvent.objects.get(action="membership.reactivated")
    assert event.actor == cast.owner
    assert event.object_id == str(nurse.public_id)
    assert event.changes == {
        "is_active": [False, True],
        "role": [Role.WORKFORCE, Role.AUDITOR],
        "access_ends_on": [None, ends.isoformat()],
    }
    assert not AuditEvent.objects.filter(action="membership.added").exists()
    assert Membership.objects.filter(organization=cast.org, user=cast.workforce).count() == 1


def test_adding_an_active_member_whose_access_ended_points_to_the_end_date(cast: Cast) -> None:
    ended = timezone.localdate() - timedelta(days=3)
    Membership.objects.filter(organization=cast.org, user=cast.auditor).update(access_ends_on=ended)

    with pytest.raises(ServiceError) as refused:
        membership_add(
            organization=cast.org,
            actor=Actor(user=cast.owner),
            email="auditor@firm.test",
            role=Role.AUDITOR,
            access_ends_on=timezone.localdate() + timedelta(days=30),
        )

    assert refused.value.field == "email"
    assert f"their access ended on {ended:%Y-%m-%d}" in refused.value.message
    assert Membership.objects.get(organization=cast.org, user=cast.auditor).access_ends_on == ended
    assert not AuditEvent.objects.exists()
