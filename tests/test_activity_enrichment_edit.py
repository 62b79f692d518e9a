"""Editing user aliases, work shifts and workstations: the services check an edit as they check a new record,
audit the fields changed old → new and raise the reference version; the edit pages and the API's PUT and PATCH
need manage-activity, give 404 for another organization's records, and an invalid edit changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model

from safeguard.activity.models import ActivitySettings
from safeguard.activity.services.enrichment_records import (
    alias_create,
    alias_update,
    shift_create,
    shift_update,
    workstation_create,
    workstation_update,
)
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Organization
from safeguard.core.roles import Role
from safeguard.core.services.errors import ServiceError
from safeguard.workforce.models import Person
from tests.activity_factories import make_source
from tests.conftest import Cast, client_for, make_member
from tests.test_api_support import api_client

PAGES = "/o/clinic/activity/enrichment"
API = "/api/v1/orgs/clinic/activity"
KINDS = ("alias", "shift", "workstation")
COLLECTION = {"alias": "aliases", "shift": "shifts", "workstation": "workstations"}


def version(org: Organization) -> int:
    return ActivitySettings.objects.get(organization=org).reference_version


def edits() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action__endswith="_updated", action__startswith="activity.").order_by("pk"))


def person(org: Organization, employee_id: str, family_name: str = "Smith") -> Person:
    return Person.objects.create(organization=org, employee_id=employee_id, given_name="Ann", family_name=family_name)


@pytest.fixture
def ann(cast: Cast) -> Person:
    return person(cast.org, "E1")


@pytest.fixture
def records(cast: Cast, ann: Person) -> dict[str, Model]:
    """One record of each kind in the clinic, made through the services."""
    actor = Actor(cast.owner)
    return {
        "alias": alias_create(organization=cast.org, actor=actor, person=ann, alias="asmith"),
        "shift": shift_create(
            organization=cast.org, actor=actor, name="Nights", department="ICU", start_hour=19, end_hour=7, weekdays=[6]
        ),
        "workstation": workstation_create(organization=cast.org, actor=actor, host="WS-1", site="Main"),
    }


@pytest.fixture
def theirs(cast: Cast) -> dict[str, Model]:
    """One record of each kind in the other organization."""
    actor = Actor(cast.outsider)
    bob = person(cast.other_org, "X1", "Roe")
    return {
        "alias": alias_create(organization=cast.other_org, actor=actor, person=bob, alias="broe"),
        "shift": shift_create(
            organization=cast.other_org, actor=actor, name="Days", person=bob, start_hour=7, end_hour=19, weekdays=[1]
        ),
        "workstation": workstation_create(organization=cast.other_org, actor=actor, host="THEIRS-1"),
    }


def snapshot(row: Model) -> dict[str, Any]:
    row.refresh_from_db()
    return {field.attname: getattr(row, field.attname) for field in row._meta.concrete_fields}


# ---- services -------------------------------------------------------------------------------------------------


def test_alias_update_audits_old_to_new_and_raises_the_reference_version(
    cast: Cast, ann: Person, records: dict
) -> None:
    vpn = make_source(cast.org, "VPN", format="normalized")
    bob = person(cast.org, "E2", "Roe")
    before = version(cast.org)
    row = alias_update(
        organization=cast.org,
        actor=Actor(cast.owner),
        user_alias=records["alias"],
        person=bob,
        alias=" BRoe ",
        source=vpn,
    )
    assert (row.alias, row.alias_key, row.person_id, row.source_id) == ("BRoe", "broe", bob.pk, vpn.pk)
    [event] = edits()
    assert event.action == "activity.alias_updated" and event.object_id == str(row.public_id)
    assert event.changes == {"alias": ["asmith", "BRoe"], "person": ["E1", "E2"], "source": [None, "VPN"]}
    assert version(cast.org) == before + 1


def test_an_edit_that_changes_nothing_writes_nothing(cast: Cast, ann: Person, records: dict) -> None:
    before = version(cast.org)
    alias_update(
        organization=cast.org, actor=Actor(cast.owner), user_alias=records["alias"], person=ann, alias="asmith"
    )
    workstation_update(
        organization=cast.org, actor=Actor(cast.owner), workstation=records["workstation"], host="WS-1", site="Main"
    )
    assert edits() == []
    assert version(cast.org) == before


def test_alias_may_change_its_own_case_but_not_take_another_name(cast: Cast, ann: Person, records: dict) -> None:
    other = alias_create(organization=cast.org, actor=Actor(cast.owner), person=ann, alias="ann.smith")
    alias_update(
        organization=cast.org, actor=Actor(cast.owner), user_alias=records["alias"], person=ann, alias="ASmith"
    )
    kept = snapshot(other)
    with pytest.raises(ServiceError, match="“asmith” already names Ann Smith in every source") as refused:
        alias_update(organization=cast.org, actor=Actor(cast.owner), user_alias=other, person=ann, alias="asmith")
    assert refused.value.field == "alias"
    assert snapshot(other) == kept


def test_alias_update_refuses_another_organizations_person(cast: Cast, records: dict, theirs: dict) -> None:
    kept = snapshot(records["alias"])
    stranger = theirs["alias"].person
    with pytest.raises(ServiceError, match="No such person") as refused:
        alias_update(
            organization=cast.org, actor=Actor(cast.owner), user_alias=records["alias"], person=stranger, alias="x"
        )
    assert refused.value.field == "person"
    assert snapshot(records["alias"]) == kept


def test_another_organizations_record_cannot_be_updated_through_ours(cast: Cast, ann: Person, theirs: dict) -> None:
    kept = snapshot(theirs["alias"])
    with pytest.raises(ServiceError, match="No such alias in this organization"):
        alias_update(organization=cast.org, actor=Actor(cast.owner), user_alias=theirs["alias"], person=ann, alias="x")
    assert snapshot(theirs["alias"]) == kept


def test_shift_update_moves_a_department_shift_to_a_person(cast: Cast, ann: Person, records: dict) -> None:
    row = shift_update(
        organization=cast.org,
        actor=Actor(cast.owner),
        shift=records["shift"],
        name="Nights",
        person=ann,
        start_hour=20,
        end_hour=8,
        weekdays=[7, 6, 6],
    )
    assert (row.person_id, row.department, row.weekdays) == (ann.pk, "", [6, 7])
    [event] = edits()
    assert event.changes == {
        "department": ["ICU", ""],
        "hours": ["19-7", "20-8"],
        "person": [None, "E1"],
        "weekdays": [[6], [6, 7]],
    }


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": " "}, "name"),
        ({"department": ""}, "person"),
        ({"start_hour": 24}, "start_hour"),
        ({"end_hour": 19}, "end_hour"),
        ({"weekdays": [0, 8]}, "weekdays"),
    ],
)
def test_shift_update_refusals_name_the_field_and_change_nothing(
    cast: Cast, records: dict, values: dict, field: str
) -> None:
    kept, before = snapshot(records["shift"]), version(cast.org)
    base = {"name": "Nights", "department": "ICU", "start_hour": 19, "end_hour": 7, "weekdays": [6]}
    with pytest.raises(ServiceError) as refused:
        shift_update(organization=cast.org, actor=Actor(cast.owner), shift=records["shift"], **{**base, **values})
    assert refused.value.field == field
    assert (snapshot(records["shift"]), version(cast.org), edits()) == (kept, before, [])


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"host": "ws-2"}, "host", "already listed"),
        ({"host": " "}, "host", "Write the host"),
        ({"host": "WS-1", "time_zone": "Nowhere/City"}, "time_zone", "not a time zone"),
    ],
)
def test_workstation_update_refusals(cast: Cast, records: dict, values: dict, field: str, message: str) -> None:
    workstation_create(organization=cast.org, actor=Actor(cast.owner), host="WS-2")
    kept = snapshot(records["workstation"])
    with pytest.raises(ServiceError, match=message) as refused:
        workstation_update(organization=cast.org, actor=Actor(cast.owner), workstation=records["workstation"], **values)
    assert refused.value.field == field
    assert snapshot(records["workstation"]) == kept


def test_workstation_update_audits_every_changed_field(cast: Cast, records: dict) -> None:
    workstation_update(
        organization=cast.org,
        actor=Actor(cast.owner),
        workstation=records["workstation"],
        host="ws-1",
        department="ED",
        time_zone="Pacific/Honolulu",
    )
    [event] = edits()
    assert event.changes == {
        "department": ["", "ED"],
        "host": ["WS-1", "ws-1"],
        "site": ["Main", ""],
        "time_zone": ["", "Pacific/Honolulu"],
    }


# ---- pages ----------------------------------------------------------------------------------------------------


POSTS = {
    "alias": lambda cast, ann: {"person": ann.pk, "alias": "ann.s", "source": ""},
    "shift": lambda cast, ann: {
        "name": "Late",
        "department": "ED",
        "job_role": "",
        "person": "",
        "start_hour": 14,
        "end_hour": 23,
        "weekdays": [1, 2],
    },
    "workstation": lambda cast, ann: {"host": "WS-9", "site": "North", "department": "", "time_zone": ""},
}


def page(kind: str, row: Model) -> str:
    return f"{PAGES}/{COLLECTION[kind]}/{row.public_id}/"  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", KINDS)
def test_edit_page_shows_the_record_and_saves_the_change(cast: Cast, ann: Person, records: dict, kind: str) -> None:
    client = client_for(cast.owner)
    shown = client.get(page(kind, records[kind]))
    assert shown.status_code == 200
    assert shown.context["form"].initial  # filled with the record
    saved = client.post(page(kind, records[kind]), POSTS[kind](cast, ann))
    assert saved.status_code == 302 and saved["Location"] == f"{PAGES}/"
    [event] = edits()
    assert event.action == f"activity.{kind}_updated"


def test_edit_page_starts_from_the_records_values(cast: Cast, records: dict) -> None:
    form = client_for(cast.owner).get(page("shift", records["shift"])).context["form"]
    assert {name: form[name].value() for name in ("name", "department", "start_hour", "end_hour", "weekdays")} == {
        "name": "Nights",
        "department": "ICU",
        "start_hour": 19,
        "end_hour": 7,
        "weekdays": [6],
    }


def test_an_invalid_edit_names_the_field_and_changes_nothing(cast: Cast, ann: Person, records: dict) -> None:
    kept = snapshot(records["shift"])
    posted = {**POSTS["shift"](cast, ann), "person": ann.pk}  # a person's shift with a department
    response = client_for(cast.owner).post(page("shift", records["shift"]), posted)
    assert response.status_code == 200
    assert response.context["form"].errors == {"department": ["A person's own shift names no department or job role."]}
    assert (snapshot(records["shift"]), edits()) == (kept, [])


@pytest.mark.parametrize(
    ("who", "status"), [("auditor", 403), ("reviewer", 403), ("workforce", 403), ("outsider", 404)]
)
@pytest.mark.parametrize("kind", KINDS)
def test_edit_pages_need_manage_activity(
    cast: Cast, ann: Person, records: dict, kind: str, who: str, status: int
) -> None:
    user = (
        make_member(cast.org, "reviewer@clinic.test", Role.REVIEWER).user if who == "reviewer" else getattr(cast, who)
    )
    client, kept = client_for(user), snapshot(records[kind])
    assert client.get(page(kind, records[kind])).status_code == status
    assert client.post(page(kind, records[kind]), POSTS[kind](cast, ann)).status_code == status
    assert (snapshot(records[kind]), edits()) == (kept, [])


@pytest.mark.parametrize("kind", KINDS)
def test_another_organizations_record_is_404_on_the_edit_page(cast: Cast, ann: Person, theirs: dict, kind: str) -> None:
    client, kept = client_for(cast.owner), snapshot(theirs[kind])
    assert client.get(page(kind, theirs[kind])).status_code == 404
    assert client.post(page(kind, theirs[kind]), POSTS[kind](cast, ann)).status_code == 404
    assert (snapshot(theirs[kind]), edits()) == (kept, [])


def test_overview_links_each_row_to_its_edit_page_for_managers_only(
    cast: Cast, ann: Person, records: dict, django_assert_max_num_queries: Any
) -> None:
    for n in range(15):
        alias_create(organization=cast.org, actor=Actor(cast.owner), person=ann, alias=f"a{n}")
    with django_assert_max_num_queries(34):  # flat: the same with one alias (session, forms' choices, three pages)
        html = client_for(cast.owner).get(f"{PAGES}/").content.decode()
    for kind in KINDS:
        assert f'href="{page(kind, records[kind])}"' in html
    assert 'aria-label="Edit asmith"' in html
    assert page("alias", records["alias"]) not in client_for(cast.auditor).get(f"{PAGES}/").content.decode()


# ---- API ------------------------------------------------------------------------------------------------------


def detail(kind: str, row: Model) -> str:
    return f"{API}/{COLLECTION[kind]}/{row.public_id}/"  # type: ignore[attr-defined]


def test_api_reads_one_record_of_each_kind(cast: Cast, records: dict) -> None:
    client = api_client(cast.auditor)
    assert client.get(detail("alias", records["alias"])).json()["alias"] == "asmith"
    assert client.get(detail("shift", records["shift"])).json()["weekdays"] == [6]
    assert client.get(detail("workstation", records["workstation"])).json()["site"] == "Main"


def test_api_patch_keeps_the_fields_left_out(cast: Cast, ann: Person, records: dict) -> None:
    vpn = make_source(cast.org, "VPN", format="normalized")
    client = api_client(cast.owner)
    moved = client.patch(detail("alias", records["alias"]), {"source": str(vpn.public_id)}, format="json")
    assert moved.status_code == 200
    assert (moved.json()["alias"], moved.json()["source"]) == ("asmith", str(vpn.public_id))
    everywhere = client.patch(detail("alias", records["alias"]), {"source": None}, format="json")
    assert everywhere.json()["source"] is None
    hours = client.patch(detail("shift", records["shift"]), {"end_hour": 6}, format="json").json()
    assert (hours["name"], hours["department"], hours["start_hour"], hours["end_hour"]) == ("Nights", "ICU", 19, 6)
    station = client.patch(detail("workstation", records["workstation"]), {"department": "ED"}, format="json").json()
    assert (station["host"], station["site"], station["department"]) == ("WS-1", "Main", "ED")
    assert [event.action for event in edits()] == [
        "activity.alias_updated",
        "activity.alias_updated",
        "activity.shift_updated",
        "activity.workstation_updated",
    ]


def test_api_put_replaces_every_field(cast: Cast, ann: Person, records: dict) -> None:
    client = api_client(cast.owner)
    body = {"name": "Own nights", "person": str(ann.public_id), "start_hour": 22, "end_hour": 6}
    replaced = client.put(detail("shift", records["shift"]), body, format="json")
    assert replaced.status_code == 200
    assert (replaced.json()["department"], replaced.json()["weekdays"]) == ("", [1, 2, 3, 4, 5])
    station = client.put(detail("workstation", records["workstation"]), {"host": "WS-1"}, format="json")
    assert station.json()["site"] == ""
    assert client.put(detail("workstation", records["workstation"]), {}, format="json").status_code == 400


def test_api_invalid_edit_names_the_field_and_changes_nothing(cast: Cast, ann: Person, records: dict) -> None:
    client = api_client(cast.owner)
    kept = {kind: snapshot(row) for kind, row in records.items()}
    refused = client.patch(detail("shift", records["shift"]), {"person": str(ann.public_id)}, format="json")
    assert refused.status_code == 400
    assert refused.json()["error"]["fields"] == {
        "department": ["A person's own shift names no department or job role."]
    }
    zone = client.patch(detail("workstation", records["workstation"]), {"time_zone": "Mars/Base"}, format="json")
    assert list(zone.json()["error"]["fields"]) == ["time_zone"]
    shape = client.patch(detail("alias", records["alias"]), {"alias": ""}, format="json")
    assert shape.status_code == 400 and list(shape.json()["error"]["fields"]) == ["alias"]
    assert ({kind: snapshot(row) for kind, row in records.items()}, edits()) == (kept, [])


@pytest.mark.parametrize(
    ("who", "status"), [("auditor", 403), ("reviewer", 403), ("workforce", 403), ("outsider", 404)]
)
@pytest.mark.parametrize("kind", KINDS)
def test_api_edits_need_manage_activity(cast: Cast, records: dict, kind: str, who: str, status: int) -> None:
    user = (
        make_member(cast.org, "reviewer@clinic.test", Role.REVIEWER).user if who == "reviewer" else getattr(cast, who)
    )
    client, kept = api_client(user), snapshot(records[kind])
    body = {"workstation": {"host": "WS-9"}, "alias": {"alias": "x"}, "shift": {"name": "x"}}[kind]
    assert client.patch(detail(kind, records[kind]), body, format="json").status_code == status
    assert client.put(detail(kind, records[kind]), body, format="json").status_code == status
    assert (snapshot(records[kind]), edits()) == (kept, [])


@pytest.mark.parametrize("kind", KINDS)
def test_api_another_organizations_record_is_404(cast: Cast, records: dict, theirs: dict, kind: str) -> None:
    client, kept = api_client(cast.owner), snapshot(theirs[kind])
    assert client.get(detail(kind, theirs[kind])).status_code == 404
    body = {"workstation": {"host": "WS-9"}, "alias": {"alias": "x"}, "shift": {"name": "x"}}[kind]
    assert client.patch(detail(kind, theirs[kind]), body, format="json").status_code == 404
    assert client.put(detail(kind, theirs[kind]), body, format="json").status_code == 404
    assert (snapshot(theirs[kind]), edits()) == (kept, [])


def test_api_refuses_another_organizations_person_or_source_as_404(cast: Cast, records: dict, theirs: dict) -> None:
    client, kept = api_client(cast.owner), snapshot(records["alias"])
    stranger = theirs["alias"].person
    their_source = make_source(cast.other_org, "Their EHR")
    url = detail("alias", records["alias"])
    assert client.patch(url, {"person": str(stranger.public_id)}, format="json").status_code == 404
    assert client.patch(url, {"source": str(their_source.public_id)}, format="json").status_code == 404
    assert (snapshot(records["alias"]), edits()) == (kept, [])
