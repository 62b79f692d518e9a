"""Inventory downloads: the columns the import reads, formulas neutralised, audited, and a lossless round trip."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.models import AuditEvent
from safeguard.risk.models import Asset, AssetKind, DataFlow, ImportJob, Transport, VolumeBand
from tests.conftest import Cast, client_for
from tests.test_api_support import audit_count, client_as, error_of
from tests.test_risk_import_support import (
    ASSET_HEADER,
    FLOW_HEADER,
    Capture,
    actions,
    asset,
    checked,
    committed,
    flow,
    xlsx_rows,
)

TODAY = timezone.localdate().isoformat()
EVIL = '=HYPERLINK("http://evil.test","click")'


def page(name: str, org: str = "clinic") -> str:
    return reverse(f"risk:{name}", args=[org])


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def inventory_of(cast: Cast) -> tuple[Asset, Asset, Asset]:
    ehr = asset(
        cast,
        "EHR",
        owner=cast.official,
        hosting="Server room",
        volume_band=VolumeBand.UNDER_100K,
        business_associate="Acme EHR, Inc.",
        description='Charts, orders; "results"\nSecond line',
    )
    lab = asset(cast, "Lab interface", AssetKind.SERVER, status=Asset.Status.PLANNED, description="-negative start")
    fax = asset(cast, EVIL, AssetKind.ENDPOINT, status=Asset.Status.RETIRED, volume_band=VolumeBand.NONE)
    flow(cast, ehr, lab, "Lab orders", notes="@mention; semicolons")
    flow(cast, lab, ehr, "Results", transport=Transport.TLS, encrypted_in_transit=False)
    flow(cast, ehr, fax, "Referrals", transport=Transport.FAX, encrypted_in_transit=False)
    return ehr, lab, fax


def state_of_inventory() -> list[tuple[Any, ...]]:
    assets = Asset.objects.order_by("pk").values_list(
        "pk",
        "name",
        "kind",
        "status",
        "owner_id",
        "hosting",
        "volume_band",
        "business_associate",
        "description",
        "updated_at",
    )
    flows = DataFlow.objects.order_by("pk").values_list(
        "pk", "source_id", "destination_id", "ephi", "transport", "encrypted_in_transit", "notes", "updated_at"
    )
    return [*assets, *flows]


# ---- what the files hold -----------------------------------------------------------------------------------------


def test_asset_csv_has_the_import_columns_values_and_neutralised_formulas(cast: Cast) -> None:
    inventory_of(cast)
    response = client_for(cast.owner).get(page("asset_export"), {"format": "csv"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="assets-clinic-{TODAY}.csv"'
    text = body(response).decode("utf-8")
    lines = text.splitlines()
    assert lines[0] == "\ufeff" + ASSET_HEADER
    assert lines[1] == f'"\'{EVIL.replace(chr(34), chr(34) * 2)}",endpoint,retired,,,none,,'
    assert "EHR,application,in_service,so@clinic.test,Server room,10k_to_100k" in text
    assert "'-negative start" in text


def test_flow_xlsx_names_assets_and_says_yes_or_no(cast: Cast) -> None:
    inventory_of(cast)
    response = client_for(cast.owner).get(page("flow_export"), {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == f'attachment; filename="data-flows-clinic-{TODAY}.xlsx"'
    assert xlsx_rows(body(response)) == [
        FLOW_HEADER.split(","),
        ["EHR", f"'{EVIL}", "Referrals", "fax", "no", ""],
        ["EHR", "Lab interface", "Lab orders", "hl7", "yes", "'@mention; semicolons"],
        ["Lab interface", "EHR", "Results", "tls", "no", ""],
    ]


def test_each_download_is_recorded_with_its_format_and_row_count(cast: Cast) -> None:
    inventory_of(cast)
    client = client_for(cast.auditor)
    client.get(page("asset_export"), {"format": "xlsx"})
    body(client.get(page("flow_export")))
    assets_event = AuditEvent.objects.get(action="risk.assets.exported")
    assert assets_event.changes == {"format": [None, "xlsx"], "rows": [None, 3]}
    assert assets_event.actor == cast.auditor
    assert AuditEvent.objects.get(action="risk.flows.exported").changes == {"format": [None, "csv"], "rows": [None, 3]}


def test_an_unknown_format_is_refused_and_not_recorded(cast: Cast) -> None:
    response = client_for(cast.owner).get(page("asset_export"), {"format": "pdf"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action__endswith=".exported").exists()


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_download_page_matrix(cast: Cast, who: str, status: int) -> None:
    inventory_of(cast)
    user = {"owner": cast.owner, "auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider}[who]
    before = audit_count()
    for name in ("asset_export", "flow_export"):
        assert client_for(user).get(page(name)).status_code == status
    assert audit_count() == before + (2 if status == 200 else 0)


def test_anonymous_downloads_go_to_sign_in(cast: Cast) -> None:
    response = client_for(None).get(page("asset_export"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_another_organizations_assets_never_appear(cast: Cast) -> None:
    asset(cast, "Their EHR", organization=cast.other_org)
    asset(cast, "Our EHR")
    text = body(client_for(cast.owner).get(page("asset_export"))).decode()
    assert "Our EHR" in text and "Their EHR" not in text


def test_download_queries_do_not_grow_with_rows(cast: Cast) -> None:
    client = client_for(cast.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body(client.get(page("asset_export")))
            body(client.get(page("flow_export"), {"format": "xlsx"}))
        return len(captured)

    ehr = asset(cast, "EHR", owner=cast.official)
    for n in range(2):
        flow(cast, ehr, asset(cast, f"Device {n}", owner=cast.owner), "Vitals")
    queries()  # the first request also starts the session and the audit chain
    few = queries()
    for n in range(2, 30):
        flow(cast, ehr, asset(cast, f"Device {n}", owner=cast.owner), "Vitals")
    assert queries() == few


# ---- over the API ------------------------------------------------------------------------------------------------

API = "/api/v1/orgs/{org}/{path}"


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_api_download_matrix(cast: Cast, who: str, status: int) -> None:
    inventory_of(cast)
    response = client_as(cast, who).get(API.format(org="clinic", path="assets/export"), {"format": "xlsx"})
    assert response.status_code == status
    if status == 200:
        assert xlsx_rows(body(response))[0] == ASSET_HEADER.split(",")
        assert response["Content-Disposition"] == f'attachment; filename="assets-clinic-{TODAY}.xlsx"'
    else:
        assert error_of(response)["code"] in {"permission_denied", "not_found", "not_authenticated"}


def test_api_flow_download_streams_csv_and_refuses_unknown_formats(cast: Cast) -> None:
    inventory_of(cast)
    client = client_as(cast, "owner")
    url = API.format(org="clinic", path="data-flows/export")
    response = client.get(url, {"format": "csv"})
    assert response.status_code == 200
    assert body(response).decode().splitlines()[0] == "\ufeff" + FLOW_HEADER
    refused = client.get(url, {"format": "pdf"})
    assert refused.status_code == 400
    assert list(error_of(refused)["fields"]) == ["format"]
    assert actions().count("risk.flows.exported") == 1


# ---- the round trip ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize(("kind", "export", "rows"), [("assets", "asset_export", 3), ("data_flows", "flow_export", 3)])
def test_an_exported_file_imports_back_as_updates_that_change_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Capture, file_format: str, kind: str, export: str, rows: int
) -> None:
    inventory_of(cast)
    before = state_of_inventory()
    data = body(client_for(cast.owner).get(page(export), {"format": file_format}))
    upload = SimpleUploadedFile(f"{kind}.{file_format}", data)
    job = checked(cast, django_capture_on_commit_callbacks, upload, kind=kind)
    assert job.state == ImportJob.State.READY, job.errors
    assert all(row["action"] == "update" and row["changes"] == [] for row in job.preview)
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.state, job.created_count, job.updated_count) == (ImportJob.State.COMMITTED, 0, rows)
    assert state_of_inventory() == before
    assert not [action for action in actions() if action.endswith((".created", ".updated"))]
    committed_event = AuditEvent.objects.get(action="risk.import.committed")
    assert committed_event.changes["unchanged"] == [None, rows]


def test_an_edited_export_updates_only_what_was_edited(cast: Cast, django_capture_on_commit_callbacks: Capture) -> None:
    ehr, _, _ = inventory_of(cast)
    text = body(client_for(cast.owner).get(page("asset_export"))).decode("utf-8")
    edited = text.replace("Server room", "Data centre").encode()
    job = checked(cast, django_capture_on_commit_callbacks, SimpleUploadedFile("assets.csv", edited))
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.created_count, job.updated_count) == (0, 3)
    ehr.refresh_from_db()
    assert ehr.hosting == "Data centre"
    assert [a for a in actions() if a.startswith("risk.asset.")] == ["risk.asset.updated"]
    assert AuditEvent.objects.get(action="risk.asset.updated").changes == {"hosting": ["Server room", "Data centre"]}
