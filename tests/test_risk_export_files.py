"""Inventory and register downloads: the columns the import reads, formulas neutralised, audited, and a lossless
round trip."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safeguard.core.audit import Actor
from safeguard.core.models import AuditEvent, Membership
from safeguard.risk.models import (
    Asset,
    AssetKind,
    DataFlow,
    ImportJob,
    Risk,
    RiskAnalysis,
    Threat,
    ThreatSource,
    Transport,
    VolumeBand,
    Vulnerability,
    VulnerabilityArea,
)
from safeguard.risk.services.analyses import analysis_start
from safeguard.risk.services.risks import risk_create
from tests.conftest import Cast, client_for
from tests.test_api_support import audit_count, client_as, error_of
from tests.test_risk_import_support import (
    ASSET_HEADER,
    FLOW_HEADER,
    RISK_HEADER,
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


# ---- the risk register -------------------------------------------------------------------------------------------


def register_of(cast: Cast) -> RiskAnalysis:
    """Three risks in a draft analysis, one of them closed, and a risk of the other organization."""
    ehr, billing = asset(cast, "EHR"), asset(cast, "Billing; claims", AssetKind.CLOUD_SERVICE)
    threat = Threat.objects.create(organization=cast.org, name="Ransomware", source_type=ThreatSource.ADVERSARIAL)
    weakness = Vulnerability.objects.create(
        organization=cast.org, name="Unpatched servers", area=VulnerabilityArea.TECHNICAL
    )
    actor = Actor(user=cast.official)
    analysis = analysis_start(organization=cast.org, actor=actor, title="2026 analysis")
    risk_create(
        organization=cast.org,
        actor=actor,
        analysis=analysis,
        title="Ransomware on the EHR",
        assets=[billing, ehr],
        threat=threat,
        vulnerability=weakness,
        description='=cmd|"/c calc"!A1\nSecond line',
        existing_controls="Nightly backups; offline",
        likelihood=4,
        impact=5,
        planned_controls="-EDR everywhere",
        residual_likelihood=2,
        residual_impact=5,
        requirements=["164.308(a)(1)(ii)(B)", "164.308(a)(1)(ii)(A)"],
        owner=cast.official,
    )
    risk_create(organization=cast.org, actor=actor, analysis=analysis, title="Lost paper charts")
    closed = risk_create(organization=cast.org, actor=actor, analysis=analysis, title="Old fax", likelihood=1, impact=1)
    Risk.objects.filter(pk=closed.pk).update(status=Risk.Status.CLOSED, analysis=None)
    Risk.objects.create(organization=cast.other_org, number=1, title="Their risk")
    return analysis


def state_of_register() -> list[tuple[Any, ...]]:
    risks = Risk.objects.order_by("pk").values_list(
        "pk",
        "number",
        "title",
        "analysis_id",
        "threat_id",
        "vulnerability_id",
        "description",
        "existing_controls",
        "likelihood",
        "impact",
        "inherent_score",
        "planned_controls",
        "residual_likelihood",
        "residual_impact",
        "owner_id",
        "status",
        "updated_at",
    )
    links = [*Risk.assets.through.objects.values_list("risk_id", "asset_id").order_by("pk")]
    citations = [*Risk.requirements.through.objects.values_list("risk_id", "requirement_id").order_by("pk")]
    return [*risks, *links, *citations]


def test_risk_csv_has_the_import_columns_names_and_numbers(cast: Cast) -> None:
    register_of(cast)
    response = client_for(cast.auditor).get(page("risk_export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="risks-clinic-{TODAY}.csv"'
    lines = body(response).decode("utf-8").splitlines()
    assert lines[0] == "\ufeff" + RISK_HEADER
    assert lines[1] == (
        'R-0001,Ransomware on the EHR,Billing; claims; EHR,Ransomware,Unpatched servers,"\'=cmd|""/c calc""!A1'
    )
    assert lines[3] == "R-0002,Lost paper charts,,,,,,,,,,,,"
    assert "Their risk" not in "\n".join(lines) and len(lines) == 5
    event = AuditEvent.objects.get(action="risk.risks.exported")
    assert event.changes == {"format": [None, "csv"], "rows": [None, 3]} and event.actor == cast.auditor


def test_risk_xlsx_rows_hold_ratings_citations_and_the_owner(cast: Cast) -> None:
    register_of(cast)
    response = client_for(cast.owner).get(page("risk_export"), {"format": "xlsx"})
    rows = xlsx_rows(body(response))
    assert rows[0] == RISK_HEADER.split(",")
    assert rows[1][6:] == [
        "Nightly backups; offline",
        "4",
        "5",
        "'-EDR everywhere",
        "2",
        "5",
        "164.308(a)(1)(ii)(A); 164.308(a)(1)(ii)(B)",
        "so@clinic.test",
    ]
    assert [row[0] for row in rows[1:]] == ["R-0001", "R-0002", "R-0003"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
@pytest.mark.parametrize("analysis_state", ["draft", "approved", "none"])
def test_an_exported_register_imports_back_as_updates_that_change_nothing(
    cast: Cast, django_capture_on_commit_callbacks: Capture, file_format: str, analysis_state: str
) -> None:
    analysis = register_of(cast)
    if analysis_state == "approved":
        RiskAnalysis.objects.filter(pk=analysis.pk).update(status=RiskAnalysis.Status.APPROVED)
    elif analysis_state == "none":
        Risk.objects.update(analysis=None)
        RiskAnalysis.objects.filter(pk=analysis.pk).update(status=RiskAnalysis.Status.APPROVED)
    # The owner has since left: an unchanged owner is kept, as the risk pages keep it.
    Membership.objects.filter(user=cast.official).update(is_active=False)
    before = state_of_register()
    data = body(client_for(cast.owner).get(page("risk_export"), {"format": file_format}))
    done = len(actions())
    job = checked(cast, django_capture_on_commit_callbacks, SimpleUploadedFile(f"risks.{file_format}", data), "risks")
    assert job.state == ImportJob.State.READY, job.errors
    assert [(row["action"], row["changes"]) for row in job.preview] == [("update", [])] * 3
    job = committed(cast, django_capture_on_commit_callbacks, job)
    assert (job.state, job.created_count, job.updated_count) == (ImportJob.State.COMMITTED, 0, 3)
    assert state_of_register() == before
    assert AuditEvent.objects.get(action="risk.import.committed").changes["unchanged"] == [None, 3]
    assert actions()[done:] == ["risk.import.started", "risk.import.mapped", "risk.import.committed"]


def test_an_edited_register_reassesses_only_the_edited_risk(
    cast: Cast, django_capture_on_commit_callbacks: Capture
) -> None:
    register_of(cast)
    text = body(client_for(cast.owner).get(page("risk_export"))).decode("utf-8")
    edited = text.replace("R-0002,Lost paper charts,,,,,,,,", "R-0002,Lost paper charts,EHR,,,,,Likely,Minor,")
    job = checked(cast, django_capture_on_commit_callbacks, SimpleUploadedFile("risks.csv", edited.encode()), "risks")
    assert [row["changes"] for row in job.preview] == [[], ["assets", "likelihood", "impact"], []]
    committed(cast, django_capture_on_commit_callbacks, job)
    assessed = AuditEvent.objects.get(action="risk.assessed")
    assert assessed.changes["assets"] == [[], ["EHR"]]
    assert (assessed.changes["likelihood"], assessed.changes["impact"]) == ([None, 4], [None, 2])


@pytest.mark.parametrize(("who", "status"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404)])
def test_risk_download_page_matrix(cast: Cast, who: str, status: int) -> None:
    register_of(cast)
    user = {"owner": cast.owner, "auditor": cast.auditor, "workforce": cast.workforce, "outsider": cast.outsider}[who]
    before = audit_count()
    response = client_for(user).get(page("risk_export"), {"format": "xlsx"})
    assert response.status_code == status
    assert audit_count() == before + (1 if status == 200 else 0)


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 200), ("auditor", 200), ("workforce", 403), ("outsider", 404), ("anonymous", 401)]
)
def test_api_risk_download_matrix(cast: Cast, who: str, status: int) -> None:
    register_of(cast)
    before = audit_count()
    response = client_as(cast, who).get(API.format(org="clinic", path="risks/export"), {"format": "csv"})
    assert response.status_code == status
    if status == 200:
        assert body(response).decode().splitlines()[0] == "\ufeff" + RISK_HEADER
        assert audit_count() == before + 1
    else:
        assert audit_count() == before


def test_api_risk_download_refuses_unknown_formats(cast: Cast) -> None:
    refused = client_as(cast, "owner").get(API.format(org="clinic", path="risks/export"), {"format": "pdf"})
    assert refused.status_code == 400 and list(error_of(refused)["fields"]) == ["format"]
    assert not actions("risk.risks.exported")


def test_another_organizations_register_is_never_exported(cast: Cast) -> None:
    register_of(cast)
    theirs = body(client_for(cast.outsider).get(page("risk_export", org="other"))).decode()
    assert "Their risk" in theirs and "Ransomware" not in theirs
    assert client_for(cast.owner).get(page("risk_export", org="other")).status_code == 404


def test_risk_download_queries_do_not_grow_with_risks(cast: Cast) -> None:
    client = client_for(cast.owner)
    ehr = asset(cast, "EHR", owner=cast.official)
    actor = Actor(user=cast.official)

    def add(count: int) -> None:
        for _ in range(count):
            risk_create(organization=cast.org, actor=actor, analysis=None, title="R", assets=[ehr], owner=cast.owner)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            body(client.get(page("risk_export")))
            body(client.get(page("risk_export"), {"format": "xlsx"}))
        return len(captured)

    add(3)
    queries()
    few = queries()
    add(27)
    assert queries() == few
