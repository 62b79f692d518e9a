"""Import services: mapping, the per-row checks with row and column, all-or-nothing commits, the one trigger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.utils import timezone

from safeguard.core import tabular
from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Membership
from safeguard.core.services.errors import ServiceError
from safeguard.risk.methods import METHODOLOGY, PROFILE_5X5
from safeguard.risk.models import (
    AnalysisScopeItem,
    Asset,
    AssetKind,
    DataFlow,
    ImportJob,
    ReanalysisTrigger,
    RiskAnalysis,
    Transport,
    VolumeBand,
)
from safeguard.risk.services import imports
from safeguard.risk.services.import_rows import check_rows, guess_mapping
from safeguard.risk.services.imports import import_commit, import_map
from tests.conftest import Cast
from tests.test_risk_import_support import (
    ASSET_HEADER,
    FLOW_HEADER,
    Capture,
    actions,
    asset,
    binary_file,
    checked,
    committed,
    csv_file,
    flow,
    inventory,
    start,
    xlsx_file,
)

State = ImportJob.State


def owner_actor(cast: Cast) -> Actor:
    return Actor(user=cast.owner)


# ---- upload and mapping ----------------------------------------------------------------------------------------


def test_upload_reads_the_headers_guesses_the_mapping_and_keeps_the_file(cast: Cast) -> None:
    job = start(cast, csv_file("Name;KIND;Owner email;Volume band;Hosting ;Something else\n", name="x.csv"))
    assert (job.state, job.file_format, job.file_name) == (State.UPLOADED, "csv", "x.csv")
    assert job.headers == ["Name", "KIND", "Owner email", "Volume band", "Hosting", "Something else"]
    assert job.mapping == {
        "name": "Name",
        "kind": "KIND",
        "owner": "Owner email",
        "volume_band": "Volume band",
        "hosting": "Hosting",
    }
    assert job.stored_name.startswith(f"risk-imports/{cast.org.public_id}/")
    assert default_storage.exists(job.stored_name)
    event = AuditEvent.objects.get(action="risk.import.started")
    assert event.changes["file_name"] == [None, "x.csv"] and event.object_id == str(job.public_id)


def test_flow_headers_are_guessed_from_their_labels() -> None:
    headers = ["Source asset", "Destination", "ePHI", "Transport", "Encrypted in transit", "Notes"]
    assert guess_mapping("data_flows", headers) == {
        "source": "Source asset",
        "destination": "Destination",
        "ephi": "ePHI",
        "transport": "Transport",
        "encrypted_in_transit": "Encrypted in transit",
        "notes": "Notes",
    }


def test_an_unreadable_upload_is_refused_and_leaves_nothing(cast: Cast) -> None:
    upload = binary_file()
    with pytest.raises(ServiceError, match="not UTF-8 text") as refused:
        start(cast, upload)
    assert refused.value.field == "file"
    assert not ImportJob.objects.exists()
    assert actions() == []
    assert not default_storage.exists(f"risk-imports/{cast.org.public_id}")


@pytest.mark.parametrize(
    ("mapping", "field", "message"),
    [
        ({"name": "name"}, "kind", "for “Kind”: it is required"),
        ({"name": "name", "kind": "Nope"}, "kind", "no column headed 'Nope'"),
        ({"name": "name", "kind": "kind", "hosting": "name"}, "hosting", "already used for “Name”"),
        ({"name": "name", "kind": "kind", "colour": "kind"}, "colour", "not a column of this import"),
    ],
)
def test_a_mapping_that_does_not_work_is_refused(cast: Cast, mapping: dict, field: str, message: str) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    before = actions()
    with pytest.raises(ServiceError, match=message) as refused:
        import_map(organization=cast.org, actor=owner_actor(cast), job=job, mapping=mapping)
    assert refused.value.field == field
    job.refresh_from_db()
    assert job.state == State.UPLOADED
    assert actions() == before


def test_mapping_cannot_change_while_rows_are_being_checked(cast: Cast) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    ImportJob.objects.filter(pk=job.pk).update(state=State.VALIDATING)
    with pytest.raises(ServiceError, match="checking every row"):
        import_map(organization=cast.org, actor=owner_actor(cast), job=job, mapping=job.mapping)


# ---- the checks --------------------------------------------------------------------------------------------------


def test_unknown_kind_is_reported_with_row_and_the_files_column_and_nothing_commits(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    text = "Asset;Type\nEHR;application\nToaster;appliance\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), mapping={"name": "Asset", "kind": "Type"})
    assert job.state == State.INVALID
    assert job.errors == [
        {
            "row": 3,
            "column": "Type",
            "message": "'appliance' is not a kind of asset: use one of " + ", ".join(AssetKind.values) + ".",
        }
    ]
    assert job.preview == []
    assert (job.total_rows, job.processed_rows) == (2, 2)
    with pytest.raises(ServiceError, match="Only a checked file without errors"):
        import_commit(organization=cast.org, actor=owner_actor(cast), job=job)
    assert inventory() == (0, 0)


def test_a_name_repeated_in_the_file_is_an_error_on_each_later_row(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    text = "name,kind\nEHR,application\nPACS,server\nehr ,database\nEHR,application\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (4, "name", "Duplicates row 2: each asset appears once in a file."),
        (5, "name", "Duplicates row 2: each asset appears once in a file."),
    ]
    assert inventory() == (0, 0)


def test_a_flow_to_an_asset_not_in_the_inventory_names_the_missing_asset(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    asset(cast, "EHR")
    text = "From,To,What,How,Encrypted\nEHR,Billing portal,Claims,tls,yes\nGhost,EHR,Claims,tls,no\n"
    job = checked(
        cast,
        django_capture_on_commit_callbacks,
        csv_file(text),
        kind="data_flows",
        mapping={
            "source": "From",
            "destination": "To",
            "ephi": "What",
            "transport": "How",
            "encrypted_in_transit": "Encrypted",
        },
    )
    assert job.state == State.INVALID
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "To"), (3, "From")]
    assert "No asset named 'Billing portal' in the inventory" in job.errors[0]["message"]
    assert "No asset named 'Ghost'" in job.errors[1]["message"]
    assert DataFlow.objects.count() == 0


def test_every_error_of_every_row_is_kept_in_file_order(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    rows = "".join(f"Asset {n},gadget,someday,stranger@x.test,,huge,,\n" for n in range(250))
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(ASSET_HEADER + "\n" + rows))
    assert len(job.errors) == 250 * 4
    assert [e["column"] for e in job.errors[:4]] == ["kind", "status", "owner", "volume_band"]
    assert job.errors[-1]["row"] == 251


def test_progress_is_reported_every_two_hundred_rows(cast: Cast) -> None:
    table = tabular.Table(["name", "kind"], [tabular.Row(n + 2, [f"A{n}", "server"]) for n in range(450)])
    heard: list[int] = []
    check_rows(
        organization=cast.org,
        kind="assets",
        table=table,
        mapping={"name": "name", "kind": "kind"},
        progress=heard.append,
    )
    assert heard == [200, 400]


def test_values_are_accepted_by_their_labels_in_any_case(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    text = (
        ASSET_HEADER + "\n"
        "Portal,Cloud service,PLANNED,SO@clinic.test, AWS ,Fewer than 500,Acme Hosting,Patient portal\n"
        "Backups,storage,in_service,,,100k_plus,,\n"
    )
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    assert job.state == State.READY, job.errors
    assert [row["action"] for row in job.preview] == ["create", "create"]
    assert job.preview[0]["values"] == {
        "name": "Portal",
        "kind": "cloud_service",
        "status": "planned",
        "owner": "so@clinic.test",
        "hosting": "AWS",
        "volume_band": "under_500",
        "business_associate": "Acme Hosting",
        "description": "Patient portal",
    }
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.state, job.created_count, job.updated_count) == (State.COMMITTED, 2, 0)
    portal = Asset.objects.get(name="Portal")
    assert (portal.kind, portal.status, portal.owner, portal.volume_band) == (
        AssetKind.CLOUD_SERVICE,
        Asset.Status.PLANNED,
        cast.official,
        VolumeBand.UNDER_500,
    )


def test_an_auditor_or_a_stranger_cannot_own_an_asset(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    text = "name,kind,owner\nEHR,application,auditor@firm.test\nPACS,server,nobody@else.test\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "owner"), (3, "owner")]
    assert "No current member (other than an auditor)" in job.errors[0]["message"]


def test_an_owner_who_has_left_stays_on_an_asset_the_file_leaves_unchanged(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    ehr = asset(cast, "EHR", owner=cast.official)
    Membership.objects.filter(user=cast.official).update(is_active=False)
    text = "name,kind,owner\nEHR,application,SO@clinic.test\nPACS,server,so@clinic.test\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    assert [(e["row"], e["column"]) for e in job.errors] == [(3, "owner")]  # a new asset needs a current member
    job = checked(cast, django_capture_on_commit_callbacks, csv_file("name,kind,owner\nEHR,database,so@clinic.test\n"))
    assert job.state == State.READY, job.errors
    assert job.preview[0]["changes"] == ["kind"] and job.preview[0]["values"]["owner"] == "so@clinic.test"
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.state, job.updated_count) == (State.COMMITTED, 1)
    ehr.refresh_from_db()
    assert (ehr.owner, ehr.kind) == (cast.official, AssetKind.DATABASE)
    assert AuditEvent.objects.get(action="risk.asset.updated").changes == {"kind": ["application", "database"]}


# ---- commits -----------------------------------------------------------------------------------------------------


def test_a_clean_file_commits_every_row_with_each_records_audit_event(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    ehr = asset(cast, "EHR")
    lab = asset(cast, "Lab", AssetKind.SERVER)
    text = (
        FLOW_HEADER + "\n"
        "EHR,Lab,Lab orders,HL7 / MLLP interface,TRUE,\n"
        "lab,ehr,Results,hl7,0,Nightly\n"
        "EHR,Lab,Referrals,email,no,\n"
    )
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), kind="data_flows")
    assert job.state == State.READY, job.errors
    before = actions()
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.state, job.created_count, job.updated_count, job.failure) == (State.COMMITTED, 3, 0, "")
    assert job.finished_at is not None
    results = DataFlow.objects.get(ephi="Results")
    assert (results.source, results.destination, results.encrypted_in_transit, results.notes) == (
        lab,
        ehr,
        False,
        "Nightly",
    )
    assert DataFlow.objects.get(ephi="Lab orders").transport == Transport.HL7
    assert actions()[len(before) :] == ["risk.flow.created"] * 3 + ["risk.import.committed"]
    event = AuditEvent.objects.get(action="risk.import.committed")
    assert event.changes["created"] == [None, 3] and event.changes["rows"] == [None, 3]
    assert event.actor == cast.owner


def test_an_existing_asset_is_updated_mapped_columns_set_and_unmapped_ones_kept(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    ehr = asset(cast, "EHR", owner=cast.official, hosting="Room 1", description="Kept", business_associate="Acme")
    text = "Name,Kind,Owner,Hosting\nehr,database,,\nPACS,server,,Room 2\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    assert [(row["action"], row["changes"]) for row in job.preview] == [
        ("update", ["name", "kind", "owner", "hosting"]),
        ("create", []),
    ]
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.created_count, job.updated_count) == (1, 1)
    ehr.refresh_from_db()
    assert (ehr.name, ehr.kind, ehr.owner, ehr.hosting) == ("ehr", AssetKind.DATABASE, None, "")
    assert (ehr.description, ehr.business_associate) == ("Kept", "Acme")
    assert Asset.objects.count() == 2


def test_a_blank_status_is_the_default_for_a_new_asset_and_an_error_for_an_existing_one(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    asset(cast, "EHR", status=Asset.Status.RETIRED)
    job = checked(
        cast, django_capture_on_commit_callbacks, csv_file("name,kind,status\nEHR,application,\nNew,server,\n")
    )
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "status")]
    assert "An existing asset keeps a status" in job.errors[0]["message"]


def test_an_existing_flow_is_matched_by_source_destination_and_ephi_in_any_case(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    ehr, lab = asset(cast, "EHR"), asset(cast, "Lab")
    existing = flow(cast, ehr, lab, "Lab orders", notes="old")
    text = FLOW_HEADER + "\nEHR,LAB,lab orders,tls,yes,\nEHR,Lab,LAB ORDERS,tls,yes,\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), kind="data_flows")
    assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
        (3, "ephi", "Duplicates row 2: each flow appears once in a file.")
    ]
    job = checked(
        cast,
        django_capture_on_commit_callbacks,
        csv_file(FLOW_HEADER + "\nEHR,LAB,lab orders,tls,yes,\n"),
        "data_flows",
    )
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.created_count, job.updated_count) == (0, 1)
    existing.refresh_from_db()
    assert (existing.ephi, existing.transport, existing.notes) == ("lab orders", Transport.TLS, "")


def test_commit_is_refused_unless_the_import_is_ready(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    for state in (State.UPLOADED, State.VALIDATING, State.INVALID, State.COMMITTING, State.COMMITTED, State.FAILED):
        ImportJob.objects.filter(pk=job.pk).update(state=state)
        before = actions()
        with pytest.raises(ServiceError, match="Only a checked file without errors can be committed"):
            import_commit(organization=cast.org, actor=owner_actor(cast), job=job)
        assert ImportJob.objects.get(pk=job.pk).state == state
        assert actions() == before
    assert inventory() == (0, 0)


def test_the_commit_checks_again_and_writes_nothing_when_the_database_changed(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    text = "name,kind,owner\nEHR,application,so@clinic.test\nPACS,server,\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    assert job.state == State.READY
    # Between the check and the commit the security official leaves: the file's owner is no longer a member.
    Membership.objects.filter(user=cast.official).update(is_active=False)
    before = actions()
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert job.state == State.FAILED
    assert job.failure == "1 error in 1 row: nothing was committed."
    assert [(e["row"], e["column"]) for e in job.errors] == [(2, "owner")]
    assert (job.created_count, job.updated_count) == (0, 0)
    assert inventory() == (0, 0)
    assert actions() == before


@pytest.mark.parametrize(
    ("failure", "message"),
    [
        (ServiceError("The name is taken.", field="name"), "The name is taken."),
        (IntegrityError("UNIQUE constraint failed"), "The database refused this row."),
    ],
)
def test_a_row_refused_midway_rolls_back_every_row_before_it(
    cast: Cast,
    django_capture_on_commit_callbacks: Capture,
    monkeypatch: pytest.MonkeyPatch,
    failure: Exception,
    message: str,
) -> None:
    job = checked(cast, django_capture_on_commit_callbacks, csv_file("name,kind\nA,server\nB,server\nC,server\n"))
    real_create = imports.asset_create

    def create(**values: object) -> Asset:
        if values["name"] == "C":
            raise failure
        return real_create(**values)  # type: ignore[arg-type]

    monkeypatch.setattr(imports, "asset_create", create)
    before = actions()
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert job.state == State.FAILED
    assert job.failure == "Row 4 could not be written: nothing was committed."
    assert job.errors == [{"row": 4, "column": "name" if "taken" in message else "", "message": message}]
    assert inventory() == (0, 0)
    assert actions() == before


def test_a_stored_file_that_disappeared_fails_the_check(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    job = start(cast, csv_file("name,kind\nEHR,application\n"))
    default_storage.delete(job.stored_name)
    with django_capture_on_commit_callbacks(execute=True):
        import_map(organization=cast.org, actor=owner_actor(cast), job=job, mapping=job.mapping)
    job.refresh_from_db()
    assert (job.state, job.failure) == (State.FAILED, "The uploaded file can no longer be read: upload it again.")


def test_a_failed_or_invalid_import_can_be_mapped_again(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    text = "name,kind,type\nEHR,nonsense,application\n"
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    assert job.state == State.INVALID
    job = checked(cast, django_capture_on_commit_callbacks, csv_file(text), mapping={"name": "name", "kind": "type"})
    assert (job.state, job.errors) == (State.READY, [])
    assert actions().count("risk.import.mapped") == 2


def test_xlsx_imports_like_csv(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    upload = xlsx_file([["Name", "Kind", "Status"], ["EHR", "Application", "In service"], ["Fax", "endpoint", None]])
    job = committed(cast, django_capture_on_commit_callbacks, checked(cast, django_capture_on_commit_callbacks, upload))
    assert (job.state, job.file_format, job.created_count) == (State.COMMITTED, "xlsx", 2)
    assert Asset.objects.get(name="Fax").status == Asset.Status.IN_SERVICE


# ---- re-analysis ------------------------------------------------------------------------------------------------


def approved_analysis(cast: Cast, *scope: Asset) -> RiskAnalysis:
    analysis = RiskAnalysis.objects.create(
        organization=cast.org,
        title="2026",
        method=dict(PROFILE_5X5),
        methodology=METHODOLOGY,
        started_by=cast.official,
        status=RiskAnalysis.Status.APPROVED,
        approved_at=timezone.now() - timedelta(days=10),
    )
    for item in scope:
        AnalysisScopeItem.objects.create(
            analysis=analysis, asset=item, name=item.name, kind=item.kind, status=item.status
        )
    return analysis


def test_one_trigger_names_the_file_and_every_asset_it_put_in_service(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    ehr = asset(cast, "EHR")
    retired = asset(cast, "Old fax", AssetKind.ENDPOINT, status=Asset.Status.RETIRED)
    approved_analysis(cast, ehr)
    text = (
        "name,kind,status\n"
        "EHR,application,in_service\nOld fax,endpoint,in_service\nPACS,server,in_service\nLater,server,planned\n"
    )
    job = committed(
        cast,
        django_capture_on_commit_callbacks,
        checked(cast, django_capture_on_commit_callbacks, csv_file(text, "q3.csv")),
    )
    assert job.state == State.COMMITTED, job.failure
    trigger = ReanalysisTrigger.objects.get()
    assert (trigger.kind, trigger.asset) == (ReanalysisTrigger.Kind.ASSET_ADDED, None)
    assert "q3.csv" in trigger.reason
    assert "2 assets (“Old fax”, “PACS”)" in trigger.reason
    assert trigger.obligation is not None and trigger.obligation.owner == cast.official
    retired.refresh_from_db()
    assert retired.status == Asset.Status.IN_SERVICE


def test_an_in_scope_asset_changed_materially_raises_one_changed_trigger(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    ehr, lab = asset(cast, "EHR", hosting="Room 1"), asset(cast, "Lab", hosting="Room 1")
    approved_analysis(cast, ehr, lab)
    text = "name,kind,hosting\nEHR,application,Cloud\nLab,application,Cloud\n"
    committed(
        cast, django_capture_on_commit_callbacks, checked(cast, django_capture_on_commit_callbacks, csv_file(text))
    )
    trigger = ReanalysisTrigger.objects.get()
    assert trigger.kind == ReanalysisTrigger.Kind.ASSET_CHANGED
    assert "2 assets (“EHR”, “Lab”) materially" in trigger.reason


def test_no_trigger_without_an_approved_analysis(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    job = checked(cast, django_capture_on_commit_callbacks, csv_file("name,kind\nPACS,server\n"))
    assert committed(cast, django_capture_on_commit_callbacks, job).state == State.COMMITTED
    assert not ReanalysisTrigger.objects.exists()
