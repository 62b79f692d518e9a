"""One CSV mapping for the parser, the source service, the form and the API: a source saved through the form with
its own action names and time format ingests an export only that table knows; keys the parser does not read are
refused by name everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest

from safeguard.activity.models import LogSource
from safeguard.activity.parsers.base import SourceConfig
from safeguard.activity.parsers.ehr_csv_mapping import CsvMapping, MappingError, check_mapping, check_time_format
from safeguard.activity.services.ingestion import ingest_path
from safeguard.activity.services.sources import source_create
from safeguard.activity.store import store_for
from safeguard.core.audit import Actor
from safeguard.core.services.errors import ServiceError
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client

CERNER_EXPORT = (
    "Event ID,Event Date/Time,Prsnl Username,Event Name,Person MRN,Device Name\n"
    "E1,03/10/2024 09:15:30 AM,rnjones,Chart Copy Requested,MRN-1,CERN-4W-PC07\n"
    "E2,03/10/2024 11:47:19 PM,rnjones,Pt Summary Glanced,MRN-2,CERN-4W-PC07\n"
    "E3,03/11/2024 01:02:03 AM,drsmith,PT SUMMARY GLANCED,MRN-3,CERN-ED-PC01\n"
    "E4,03/11/2024 01:05:00 AM,drsmith,Chart Merge,MRN-3,CERN-ED-PC01\n"
)
FORM = {
    "name": "Cerner",
    "kind": "ehr",
    "format": "ehr_csv",
    "time_zone": "America/Chicago",
    "silent_after_hours": "24",
    "review_grace_days": "3",
    "map_event_uid": "Event ID",
    "map_time": "Event Date/Time",
    "map_user_name": "Prsnl Username",
    "map_action": "Event Name",
    "map_patient_id": "Person MRN",
    "map_src_host": "Device Name",
    "actions": "Chart Copy Requested = export\n\n  Pt Summary Glanced=read  \n",
    "time_format": " %m/%d/%Y %I:%M:%S %p ",
}


@pytest.fixture
def evaluations(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    from safeguard.activity.services import ingestion

    asked: list[dict[str, Any]] = []
    monkeypatch.setattr(ingestion, "request_evaluation", lambda organization, **kwargs: asked.append(kwargs))
    return asked


def test_form_saved_actions_and_time_format_ingest_an_export_only_they_read(cast: Cast, evaluations, tmp_path):
    response = client_for(cast.official).post("/o/clinic/activity/sources/new/", FORM)
    assert response.status_code == 302
    source = LogSource.objects.get(organization=cast.org)
    assert source.mapping["actions"] == {"Chart Copy Requested": "export", "Pt Summary Glanced": "read"}
    assert source.mapping["time_format"] == "%m/%d/%Y %I:%M:%S %p"
    path = tmp_path / "cerner.csv"
    path.write_text(CERNER_EXPORT)

    batch = ingest_path(source, path, file_name=path.name, channel="command", actor=Actor(cast.owner))

    assert (batch.state, batch.accepted, batch.rejected) == ("done", 3, 1)
    assert (batch.rejects[0]["line"], batch.rejects[0]["field"]) == (5, "Event Name")
    assert "'Chart Merge'" in batch.rejects[0]["reason"]
    stored = {event["event_uid"]: event for event in store_for(cast.org.pk).events(["E1", "E2", "E3"])}
    assert {uid: event["activity"] for uid, event in stored.items()} == {"E1": "export", "E2": "read", "E3": "read"}
    # 11:47:19 PM Central daylight time on 10 March 2024 is 04:47:19 UTC the next day.
    assert stored["E2"]["time"].isoformat().startswith("2024-03-11T04:47:19")
    assert stored["E1"]["src_host"] == "cern-4w-pc07"  # the store keeps host names lower-cased


def test_catch_all_line_takes_the_rest(cast: Cast, evaluations, tmp_path):
    client_for(cast.owner).post("/o/clinic/activity/sources/new/", {**FORM, "actions": FORM["actions"] + "* = other"})
    source = LogSource.objects.get(organization=cast.org)
    path = tmp_path / "cerner.csv"
    path.write_text(CERNER_EXPORT)
    batch = ingest_path(source, path, file_name=path.name, channel="command", actor=Actor(cast.owner))
    assert (batch.accepted, batch.rejected) == (4, 0)
    assert store_for(cast.org.pk).events(["E4"])[0]["activity"] == "other"


def test_edit_form_shows_the_saved_actions_and_format(cast: Cast):
    client = client_for(cast.owner)
    client.post("/o/clinic/activity/sources/new/", {**FORM, "actions": "* = other\n" + FORM["actions"]})
    source = LogSource.objects.get(organization=cast.org)
    form = client.get(f"/o/clinic/activity/sources/{source.public_id}/edit/").context["form"]
    assert form.initial["actions"] == "Chart Copy Requested = export\nPt Summary Glanced = read\n* = other"
    assert (form.initial["time_format"], form.initial["map_src_host"]) == ("%m/%d/%Y %I:%M:%S %p", "Device Name")
    detail = client.get(f"/o/clinic/activity/sources/{source.public_id}/").content.decode()
    assert "“Chart Copy Requested” = export" in detail and "%m/%d/%Y %I:%M:%S %p" in detail
    saved = source.mapping
    resent = {name: value for name, value in form.initial.items() if value is not None}
    assert client.post(f"/o/clinic/activity/sources/{source.public_id}/edit/", resent).status_code == 302
    source.refresh_from_db()
    assert source.mapping == saved


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("actions", "Chart Copy Requested = copy", "maps to 'copy', which is not an activity"),
        ("actions", "Chart Copy Requested", "Line 1: write the action name = activity"),
        ("actions", "Open = read\n = read", "Line 2: write the action name = activity"),
        ("time_format", "%m/%d/%Y %Q", "'Q' is a bad directive"),
        ("time_format", "%H:%M:%S", "loses part of the time"),
        ("time_format", "%m/%d/%Y %I:%M", "loses part of the time"),
        ("time_format", "MM/DD/YYYY", "has no %-directives"),
    ],
)
def test_form_refuses_what_the_parser_would(cast: Cast, field: str, value: str, message: str):
    response = client_for(cast.owner).post("/o/clinic/activity/sources/new/", {**FORM, field: value})
    assert response.status_code == 200
    assert any(message in error for error in response.context["form"].errors[field])
    assert not LogSource.objects.exists()


def test_form_has_a_box_for_each_column_the_parser_reads_and_none_for_derived_fields(cast: Cast):
    form = client_for(cast.owner).get("/o/clinic/activity/sources/new/").context["form"]
    boxes = {name.removeprefix("map_") for name in form.fields if name.startswith("map_")}
    assert {"time", "user_name", "action", "src_host", "department", "resource_type"} <= boxes
    assert not boxes & {"event_class", "activity", "user_type", "mfa", "country", "action_name"}
    assert {"actions", "time_format"} <= set(form.fields)


@pytest.mark.parametrize("key", ["event_class", "activity", "user_type", "mfa", "country", "action_name"])
def test_service_refuses_keys_the_parser_does_not_read(cast: Cast, key: str):
    mapping = {"time": "T", "user_name": "U", "action": "A", key: "X"}
    with pytest.raises(ServiceError) as refused:
        source_create(organization=cast.org, actor=Actor(cast.owner), name="EHR", kind="ehr", format="ehr_csv",
                      mapping=mapping)  # fmt: skip
    assert refused.value.field == "mapping"
    assert f"does not read: {key}." in refused.value.message
    assert "come from the action column" in refused.value.message
    assert not LogSource.objects.exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"workstation": "W", "src_host": "H"}, "workstation and src_host both name the column for src_host"),
        ({"actions": ["read"]}, "actions must be an object"),
        ({"actions": {"Open": "read", "OPEN": "export"}}, "one name (case is ignored) with two activities"),
        ({"time_format": 12}, "time_format must be text"),
        ({"patient_id": 7}, "The column for patient_id must be a header name"),
    ],
)
def test_service_messages_name_the_key(cast: Cast, extra: dict, message: str):
    with pytest.raises(ServiceError, match=re.escape(message)):
        source_create(organization=cast.org, actor=Actor(cast.owner), name="EHR", kind="ehr", format="ehr_csv",
                      mapping={"time": "T", "user_name": "U", "action": "A", **extra})  # fmt: skip


def test_api_takes_actions_and_time_format_and_keeps_aliases_under_the_field(cast: Cast):
    mapping = {
        "time": "Event Date/Time",
        "user_name": "Prsnl Username",
        "action": "Event Name",
        "workstation": "Device Name",
        "event_id": "Event ID",
        "actions": {"Chart Copy Requested": "export", "*": "other"},
        "time_format": "%m/%d/%Y %I:%M:%S %p",
    }
    body = {"name": "Cerner", "kind": "ehr", "format": "ehr_csv", "time_zone": "America/Chicago", "mapping": mapping}
    client = api_client(cast.owner)
    created = client.post("/api/v1/orgs/clinic/activity/sources/", body, format="json")
    assert created.status_code == 201
    read = client.get(f"/api/v1/orgs/clinic/activity/sources/{created.json()['public_id']}/").json()
    assert read["mapping"] == {
        "time": "Event Date/Time",
        "user_name": "Prsnl Username",
        "action": "Event Name",
        "src_host": "Device Name",
        "event_uid": "Event ID",
        "actions": {"Chart Copy Requested": "export", "*": "other"},
        "time_format": "%m/%d/%Y %I:%M:%S %p",
    }


def test_api_refuses_an_unread_key_by_name(cast: Cast):
    body = {"name": "EHR", "kind": "ehr", "format": "ehr_csv", "mapping": {"time": "T", "user_name": "U",
            "action": "A", "event_class": "C"}}  # fmt: skip
    response = api_client(cast.owner).post("/api/v1/orgs/clinic/activity/sources/", body, format="json")
    assert response.status_code == 400
    assert "does not read: event_class." in response.json()["error"]["fields"]["mapping"][0]


def test_what_the_service_keeps_the_parser_reads_unchanged():
    mapping = {"time": " T ", "user_name": "U", "action": "A", "ip": "IP", "department": "", "purpose": "P",
               "actions": {" Open Chart ": "read", "*": "other"}, "time_format": "%Y%m%d %H%M"}  # fmt: skip
    kept = check_mapping(mapping)
    assert kept == {"time": "T", "user_name": "U", "action": "A", "src_ip": "IP", "purpose_of_use": "P",
                    "actions": {"Open Chart": "read", "*": "other"}, "time_format": "%Y%m%d %H%M"}  # fmt: skip
    assert check_mapping(kept) == kept
    parsed = CsvMapping.from_source(SourceConfig(source_id=1, kind="ehr", time_zone="UTC", mapping=kept))
    assert (parsed.actions["open chart"], parsed.fallback, parsed.time_format) == ("read", "other", "%Y%m%d %H%M")
    assert parsed.columns == {"time": "T", "user_name": "U", "action": "A", "src_ip": "IP", "purpose_of_use": "P"}


def test_time_format_check_keeps_formats_with_zones_or_without_seconds():
    assert check_time_format("%d.%m.%y %H:%M:%S %z") == "%d.%m.%y %H:%M:%S %z"
    assert check_time_format("%b %d %Y %I:%M %p") == "%b %d %Y %I:%M %p"
    assert check_time_format("  ") == ""
    with pytest.raises(MappingError) as refused:
        check_time_format("%Y-%m-%d")
    assert refused.value.key == "time_format"
