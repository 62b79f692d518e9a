"""Enrichment records: the patient flag import (rows named in errors, all or nothing, upsert), the alias,
shift and workstation rules, and their pages and API (roles, other organizations' records are 404)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from safeguard.activity.models import ActivitySettings, PatientFlag, UserAlias, WorkShift, Workstation
from safeguard.activity.patient_flag_import import KIND, PatientFlagImporter
from safeguard.activity.services.enrichment_records import alias_create, shift_create, workstation_create
from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.models import FileImport
from safeguard.core.services.errors import ServiceError
from safeguard.core.services.file_imports import ImportRejected, import_apply
from safeguard.workforce.models import Person
from tests.activity_factories import make_source
from tests.conftest import Cast, client_for
from tests.test_api_support import api_client

HEADERS = "MRN,Surname,VIP,Restricted,Employee,Note\n"


def _import(cast: Cast, text: str):
    importer = PatientFlagImporter()
    table = tabular.read_table(text.encode(), "csv", max_rows=importer.max_rows)
    mapping = importer.guess_mapping(table.headers)
    return import_apply(
        organization=cast.org,
        actor=Actor(cast.owner),
        importer=importer,
        table=table,
        mapping=mapping,
        options={},
        file_name="flags.csv",
    )


def test_import_upserts_by_patient_and_links_employees(cast: Cast) -> None:
    ann = Person.objects.create(organization=cast.org, employee_id="E7", family_name="Smith")
    PatientFlag.objects.create(organization=cast.org, patient_ref="mrn-1", patient_key="mrn-1", vip=False)
    _, outcome = _import(cast, HEADERS + "MRN-1,Stone,yes,no,,board member\nMRN-2,Smith,0,TRUE,e7,\n")
    assert (outcome.created, outcome.updated) == (1, 1)
    flags = {flag.patient_key: flag for flag in PatientFlag.objects.filter(organization=cast.org)}
    assert (flags["mrn-1"].patient_ref, flags["mrn-1"].vip, flags["mrn-1"].note) == ("MRN-1", True, "board member")
    assert (flags["mrn-2"].restricted, flags["mrn-2"].employee_id) == (True, ann.pk)
    assert ActivitySettings.objects.get(organization=cast.org).reference_version == 1


def test_import_bad_rows_named_and_nothing_written(cast: Cast) -> None:
    text = (
        HEADERS
        + "MRN-1,Stone,yes,no,,\nMRN-2,Roe,maybe,no,,\nMRN-3,Poe,no,no,E404,\n,Nobody,no,no,,\nMRN-1,Twice,no,no,,\n"
    )
    with pytest.raises(ImportRejected) as rejected:
        _import(cast, text)
    errors = [(error["row"], error["column"], error["message"]) for error in rejected.value.errors]
    assert errors == [
        (3, "VIP", "'maybe' is not yes or no: write yes, no, true, false, 1 or 0."),
        (4, "Employee", "No one on the roster has the employee id 'E404'."),
        (5, "MRN", "Give the patient id (the MRN as the logs write it)."),
        (6, "MRN", "The patient MRN-1 is already on row 2."),
    ]
    assert not PatientFlag.objects.exists()


def test_alias_rules(cast: Cast) -> None:
    ann = Person.objects.create(organization=cast.org, employee_id="E1", given_name="Ann", family_name="Smith")
    theirs = Person.objects.create(organization=cast.other_org, employee_id="X")
    vpn = make_source(cast.org, name="VPN", format="normalized")
    alias_create(organization=cast.org, actor=Actor(cast.owner), person=ann, alias=" ASmith ")
    assert UserAlias.objects.get().alias_key == "asmith"
    with pytest.raises(ServiceError, match="“asmith” already names Ann Smith in every source"):
        alias_create(organization=cast.org, actor=Actor(cast.owner), person=ann, alias="asmith")
    alias_create(organization=cast.org, actor=Actor(cast.owner), person=ann, alias="asmith", source=vpn)
    with pytest.raises(ServiceError, match="No such person") as refused:
        alias_create(organization=cast.org, actor=Actor(cast.owner), person=theirs, alias="x")
    assert refused.value.field == "person"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "person"),
        ({"department": "ICU", "start_hour": 24}, "start_hour"),
        ({"department": "ICU", "end_hour": 7}, "end_hour"),
        ({"department": "ICU", "weekdays": [0, 8]}, "weekdays"),
        ({"department": "ICU", "weekdays": []}, "weekdays"),
    ],
)
def test_shift_refusals(cast: Cast, values: dict, field: str) -> None:
    base = {"name": "Days", "start_hour": 7, "end_hour": 19, "weekdays": [1, 2]}
    with pytest.raises(ServiceError) as refused:
        shift_create(organization=cast.org, actor=Actor(cast.owner), **{**base, **values})
    assert refused.value.field == field
    assert not WorkShift.objects.exists()


def test_workstation_unique_and_zone_checked(cast: Cast) -> None:
    workstation_create(organization=cast.org, actor=Actor(cast.owner), host="WS-1", site="Main")
    with pytest.raises(ServiceError, match="already listed"):
        workstation_create(organization=cast.org, actor=Actor(cast.owner), host="ws-1")
    with pytest.raises(ServiceError, match="not a time zone"):
        workstation_create(organization=cast.org, actor=Actor(cast.owner), host="ws-2", time_zone="Nowhere/City")


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_overview_page_roles(cast: Cast, who: str, status: int) -> None:
    assert client_for(getattr(cast, who)).get("/o/clinic/activity/enrichment/").status_code == status


def test_patient_flags_need_view_events(cast: Cast) -> None:
    PatientFlag.objects.create(organization=cast.org, patient_ref="MRN-1", patient_key="mrn-1", vip=True)
    assert client_for(cast.auditor).get("/o/clinic/activity/enrichment/patients/").status_code == 403
    assert api_client(cast.auditor).get("/api/v1/orgs/clinic/activity/patient-flags/").status_code == 403
    assert b"MRN-1" in client_for(cast.owner).get("/o/clinic/activity/enrichment/patients/").content
    rows = api_client(cast.owner).get("/api/v1/orgs/clinic/activity/patient-flags/").json()["results"]
    assert [(row["patient_ref"], row["vip"]) for row in rows] == [("MRN-1", True)]


def test_patient_flag_upload_starts_an_import(cast: Cast) -> None:
    upload = SimpleUploadedFile("flags.csv", (HEADERS + "MRN-1,Stone,yes,no,,\n").encode())
    response = client_for(cast.owner).post("/o/clinic/activity/enrichment/patients/", {"file": upload})
    job = FileImport.objects.get(kind=KIND)
    assert response.status_code == 302 and str(job.public_id) in response["Location"]
    assert job.mapping["patient_id"] == "MRN"


def test_workstation_create_and_delete_pages(cast: Cast) -> None:
    client = client_for(cast.owner)
    assert client.post("/o/clinic/activity/enrichment/workstations/", {"host": "WS-9"}).status_code == 302
    station = Workstation.objects.get()
    assert (
        client_for(cast.auditor)
        .post(f"/o/clinic/activity/enrichment/workstations/{station.public_id}/delete/")
        .status_code
        == 403
    )
    assert client.post(f"/o/clinic/activity/enrichment/workstations/{station.public_id}/delete/").status_code == 302
    assert not Workstation.objects.exists()


def test_api_create_and_isolation(cast: Cast, django_assert_max_num_queries) -> None:
    ann = Person.objects.create(organization=cast.org, employee_id="E1")
    theirs = Person.objects.create(organization=cast.other_org, employee_id="E1")
    client = api_client(cast.owner)
    base = "/api/v1/orgs/clinic/activity"
    assert (
        client.post(f"{base}/aliases/", {"alias": "a1", "person": str(theirs.public_id)}, format="json").status_code
        == 404
    )
    created = client.post(f"{base}/aliases/", {"alias": "a1", "person": str(ann.public_id)}, format="json")
    assert created.status_code == 201 and created.json()["person"]["employee_id"] == "E1"
    shift = {"name": "Nights", "department": "ICU", "start_hour": 19, "end_hour": 7, "weekdays": [6, 7]}
    assert client.post(f"{base}/shifts/", shift, format="json").json()["weekdays"] == [6, 7]
    auditor = api_client(cast.auditor)
    assert auditor.post(f"{base}/workstations/", {"host": "x"}, format="json").status_code == 403
    for n in range(10):
        UserAlias.objects.create(
            organization=cast.org, person=ann, alias=f"b{n}", alias_key=f"b{n}", created_by=cast.owner
        )
    with django_assert_max_num_queries(8):
        assert len(auditor.get(f"{base}/aliases/").json()["results"]) == 11
    their_alias = UserAlias.objects.create(
        organization=cast.other_org, person=theirs, alias="t", alias_key="t", created_by=cast.outsider
    )
    assert client.delete(f"{base}/aliases/{their_alias.public_id}/").status_code == 404
    assert UserAlias.objects.filter(pk=their_alias.pk).exists()
