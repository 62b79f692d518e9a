"""Roster sources and issued items: the rules of services/roster.py, and their audit events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import IssuedItem, Person, RosterSource
from safeguard.workforce.services import roster as services
from tests.access_factories import person
from tests.conftest import Cast
from tests.test_roster_support import source, utc


def test_a_source_is_created_with_its_zone_and_audited(cast: Cast) -> None:
    created = services.roster_source_create(
        organization=cast.org, actor=Actor(user=cast.owner), name=" Workday ", time_zone="Europe/Berlin"
    )
    assert (created.name, created.time_zone) == ("Workday", "Europe/Berlin")
    event = AuditEvent.objects.get(action="workforce.roster_source.created")
    assert event.changes == {"name": [None, "Workday"], "time_zone": [None, "Europe/Berlin"]}


@pytest.mark.parametrize(
    ("name", "zone", "field", "message"),
    [
        ("", "UTC", "name", "Name the source, e.g. the HR system the file comes from."),
        ("x" * 101, "UTC", "name", "At most 100 characters."),
        ("PAYROLL hr", "UTC", "name", "There is already a roster source named 'PAYROLL hr'."),
        ("ADP", "EST5EDT6", "time_zone", "'EST5EDT6' is not a time zone"),
        ("ADP", "", "time_zone", "'' is not a time zone"),
    ],
)
def test_bad_sources_are_refused(cast: Cast, name: str, zone: str, field: str, message: str) -> None:
    source(cast.org)
    with pytest.raises(ServiceError) as refused:
        services.roster_source_create(organization=cast.org, actor=Actor(user=cast.owner), name=name, time_zone=zone)
    assert refused.value.field == field
    assert refused.value.message.startswith(message)
    assert RosterSource.objects.count() == 1


def test_an_unchanged_source_writes_no_event(cast: Cast) -> None:
    roster = source(cast.org)
    services.roster_source_update(
        organization=cast.org,
        actor=Actor(user=cast.owner),
        source=roster,
        name="Payroll HR",
        time_zone=roster.time_zone,
    )
    assert not AuditEvent.objects.filter(action="workforce.roster_source.updated").exists()


def test_a_remembered_mapping_is_audited_only_when_it_changes(cast: Cast) -> None:
    roster = source(cast.org)
    for _ in range(2):
        services.roster_source_remember_mapping(organization=cast.org, source=roster, mapping={"employee_id": "ID"})
    roster.refresh_from_db()
    assert roster.mapping == {"employee_id": "ID"}
    assert AuditEvent.objects.filter(action="workforce.roster_source.mapping_saved").count() == 1


def item(cast: Cast, who: Person, issued_on: date | None = None) -> IssuedItem:
    return services.item_issue(
        organization=cast.org, actor=Actor(user=cast.owner), person=who, kind="key", label="K-12", issued_on=issued_on
    )


def test_an_item_is_issued_and_recovered_with_its_audit(cast: Cast) -> None:
    issued = item(cast, person(cast.org, "E-1"), date(2024, 5, 1))
    services.item_recover(
        organization=cast.org, actor=Actor(user=cast.official), item=issued, recovered_at=utc(2025, 1, 2, 9), note="ok"
    )
    issued.refresh_from_db()
    assert (issued.recovered_at, issued.recovered_by, issued.note) == (utc(2025, 1, 2, 9), cast.official, "ok")
    events = AuditEvent.objects.filter(action__startswith="workforce.issued_item").order_by("sequence")
    assert [e.action for e in events] == ["workforce.issued_item.issued", "workforce.issued_item.recovered"]
    assert events[0].changes["label"] == [None, "K-12"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"kind": "car"}, "Use one of badge, key, device, token, other."),
        ({"label": "  "}, "Say what was issued: an asset tag, serial number or key number."),
        ({"issued_on": timezone.localdate() + timedelta(days=2)}, "The issue date cannot be in the future."),
    ],
)
def test_bad_items_are_refused(cast: Cast, values: dict, message: str) -> None:
    arguments = {"kind": "key", "label": "K-1", **values}
    with pytest.raises(ServiceError, match=message):
        services.item_issue(
            organization=cast.org, actor=Actor(user=cast.owner), person=person(cast.org, "E-1"), **arguments
        )
    assert not IssuedItem.objects.exists()


def test_an_item_of_another_organizations_person_is_refused(cast: Cast) -> None:
    with pytest.raises(ServiceError, match="No such person."):
        item(cast, person(cast.other_org, "X-1"))


@pytest.mark.parametrize(
    ("recovered_at", "message"),
    [
        (timezone.now() + timedelta(hours=1), "The recovery time cannot be in the future."),
        (utc(2024, 4, 1, 12), "Key K-12 was issued on 2024-05-01, after that time."),
    ],
)
def test_impossible_recoveries_are_refused(cast: Cast, recovered_at, message: str) -> None:
    issued = item(cast, person(cast.org, "E-1"), date(2024, 5, 1))
    with pytest.raises(ServiceError, match=message):
        services.item_recover(
            organization=cast.org, actor=Actor(user=cast.owner), item=issued, recovered_at=recovered_at
        )
    issued.refresh_from_db()
    assert issued.recovered_at is None
