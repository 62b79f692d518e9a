"""`manage.py risk_import` and `risk_export`: the same checks as the pages, errors by row and column, exit status."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.core.models import AuditEvent
from safeguard.risk.models import Asset, AssetKind, DataFlow, Risk, RiskAnalysis
from tests.conftest import Cast
from tests.test_risk_import_support import ASSET_HEADER, actions, asset, flow, inventory, xlsx_data, xlsx_rows


def run(name: str, *args: str) -> str:
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def write(tmp_path: Path, text: str, name: str = "assets.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_clean_file_is_committed_as_the_system(cast: Cast, tmp_path: Path) -> None:
    asset(cast, "EHR", hosting="Room 1")
    path = write(tmp_path, "name;kind;hosting\nEHR;application;Room 2\nPACS;Server;\n")
    output = run("risk_import", "--org", "clinic", "--kind", "assets", path)
    assert output.strip() == "Committed: 1 created, 1 updated."
    assert Asset.objects.get(name="EHR").hosting == "Room 2"
    event = AuditEvent.objects.get(action="risk.import.committed")
    assert (event.actor_label, event.object_repr) == ("system:cli", "Assets import of assets.csv")
    assert event.changes["created"] == [None, 1]


def test_errors_are_printed_by_row_and_column_and_nothing_is_committed(cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, "name,kind\nEHR,application\nToaster,appliance\nehr,server\n")
    out = StringIO()
    with pytest.raises(CommandError, match=r"^Nothing committed: 2 errors in 2 rows\.$") as refused:
        call_command("risk_import", "--org", "clinic", "--kind", "assets", path, stdout=out)
    assert refused.value.returncode == 1
    assert out.getvalue().splitlines() == [
        "row 3, column kind: 'appliance' is not a kind of asset: use one of " + ", ".join(AssetKind.values) + ".",
        "row 4, column name: Duplicates row 2: each asset appears once in a file.",
    ]
    assert inventory() == (0, 0)
    assert actions() == []


def test_dry_run_checks_and_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    asset(cast, "EHR")
    path = write(tmp_path, "name,kind\nEHR,application\nPACS,server\n")
    output = run("risk_import", "--org", "clinic", "--kind", "assets", "--dry-run", path)
    assert output.strip() == "Dry run: 2 rows are clean (1 would be created, 1 updated). Nothing committed."
    assert Asset.objects.count() == 1
    assert actions() == []


def test_dry_run_with_errors_exits_with_status_one(cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, "source,destination,ephi,transport,encrypted_in_transit\nEHR,Ghost,Claims,tls,maybe\n")
    out = StringIO()
    with pytest.raises(CommandError, match="Nothing committed: 3 errors in 1 row"):
        call_command("risk_import", "--org", "clinic", "--kind", "data_flows", "--dry-run", path, stdout=out)
    assert out.getvalue().splitlines() == [
        "row 2, column source: No asset named 'EHR' in the inventory: add it first, or fix the name.",
        "row 2, column destination: No asset named 'Ghost' in the inventory: add it first, or fix the name.",
        "row 2, column encrypted_in_transit: 'maybe' does not say whether it is encrypted: use yes or no.",
    ]


def test_map_overrides_the_guess_and_as_names_the_actor(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "assets.xlsx"
    path.write_bytes(xlsx_data([["System", "Category", "Owner"], ["EHR", "Application", "so@clinic.test"]]))
    output = run(
        "risk_import",
        "--org",
        "clinic",
        "--kind",
        "assets",
        "--map",
        "name=System",
        "--map",
        "kind=Category",
        "--as",
        "SO@clinic.test",
        str(path),
    )
    assert output.strip() == "Committed: 1 created, 0 updated."
    assert Asset.objects.get().owner == cast.official
    assert AuditEvent.objects.get(action="risk.asset.created").actor == cast.official


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--as", "auditor@firm.test"], "is not a current member of clinic who may manage the program"),
        (["--map", "colour=Name"], "write FIELD=HEADER with FIELD one of name, kind"),
        (["--map", "kind=Nope"], "kind: The file has no column headed 'Nope'"),
    ],
)
def test_refusals_before_any_row_is_read(cast: Cast, tmp_path: Path, extra: list[str], message: str) -> None:
    path = write(tmp_path, "name,kind\nEHR,application\n")
    with pytest.raises(CommandError, match=message):
        run("risk_import", "--org", "clinic", "--kind", "assets", *extra, path)
    assert inventory() == (0, 0)


def test_unknown_organization_and_unreadable_files_are_refused(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "assets.csv"
    path.write_bytes(b"\x00\x01binary")
    with pytest.raises(CommandError, match="No organization with slug 'nowhere'"):
        run("risk_import", "--org", "nowhere", "--kind", "assets", str(path))
    with pytest.raises(CommandError, match="content is not UTF-8 text"):
        run("risk_import", "--org", "clinic", "--kind", "assets", str(path))
    with pytest.raises(CommandError, match="Cannot read"):
        run("risk_import", "--org", "clinic", "--kind", "assets", str(tmp_path / "missing.csv"))


def test_export_then_import_changes_nothing(cast: Cast, tmp_path: Path) -> None:
    ehr = asset(cast, "EHR", owner=cast.official, description="=SUM(A1)")
    flow(cast, ehr, asset(cast, "Lab", AssetKind.SERVER), "Orders")
    out = tmp_path / "assets.xlsx"
    assert run("risk_export", "--org", "clinic", "--kind", "assets", "--format", "xlsx", str(out)).strip() == (
        f"Wrote 2 assets to {out}."
    )
    assert xlsx_rows(out.read_bytes())[0] == ASSET_HEADER.split(",")
    flows = tmp_path / "flows.csv"
    run("risk_export", "--org", "clinic", "--kind", "data_flows", "--format", "csv", str(flows))
    assert "EHR,Lab,Orders,hl7,yes," in flows.read_text(encoding="utf-8")
    assert run("risk_import", "--org", "clinic", "--kind", "assets", str(out)).strip() == (
        "Committed: 0 created, 2 updated (2 of them already up to date)."
    )
    run("risk_import", "--org", "clinic", "--kind", "data_flows", str(flows))
    assert Asset.objects.get(name="EHR").description == "=SUM(A1)"
    assert DataFlow.objects.count() == 1
    assert [a for a in actions() if a.endswith((".created", ".updated"))] == []
    assert actions("risk.assets.exported") == ["risk.assets.exported"]


# ---- risks -------------------------------------------------------------------------------------------------------


def test_risks_are_imported_into_the_register_and_exported_back_unchanged(cast: Cast, tmp_path: Path) -> None:
    asset(cast, "EHR")
    path = write(tmp_path, "Risk;Systems;Likelihood;Impact\nRansomware;EHR;Likely;5\nFlood;;1;1\n", "risks.csv")
    assert run("risk_import", "--org", "clinic", "--kind", "risks", path).strip() == "Committed: 2 created, 0 updated."
    assert list(Risk.objects.values_list("number", "inherent_score", "analysis")) == [(1, 20, None), (2, 1, None)]
    out = tmp_path / "register.xlsx"
    exported = run("risk_export", "--org", "clinic", "--kind", "risks", "--format", "xlsx", str(out))
    assert exported.strip() == f"Wrote 2 risks to {out}."
    assert xlsx_rows(out.read_bytes())[1][:3] == ["R-0001", "Ransomware", "EHR"]
    assert run("risk_import", "--org", "clinic", "--kind", "risks", str(out)).strip() == (
        "Committed: 0 created, 2 updated (2 of them already up to date)."
    )
    assert actions("risk.risks.exported") == ["risk.risks.exported"]


def test_risk_errors_are_printed_by_row_and_column_with_exit_status_one(cast: Cast, tmp_path: Path) -> None:
    path = write(tmp_path, "reference,title,likelihood,requirements\nR-1,A,7,\nr-0001,B,2,164.999\n", "risks.csv")
    out = StringIO()
    with pytest.raises(CommandError, match=r"^Nothing committed: 3 errors in 2 rows\.$") as refused:
        call_command("risk_import", "--org", "clinic", "--kind", "risks", "--dry-run", path, stdout=out)
    assert refused.value.returncode == 1
    assert out.getvalue().splitlines() == [
        "row 2, column likelihood: likelihood 7 is outside the 5×5 matrix (1–5).",
        "row 3, column reference: Duplicates row 2: each risk appears once in a file.",
        "row 3, column requirements: Not a citation of the catalog: '164.999' (e.g. 164.308(a)(1)(ii)(A)).",
    ]
    assert not Risk.objects.exists()
    assert actions() == []


def test_risks_are_refused_while_the_open_analysis_is_in_review(cast: Cast, tmp_path: Path) -> None:
    RiskAnalysis.objects.create(
        organization=cast.org,
        title="2026 analysis",
        method={},
        methodology="How",
        started_by=cast.official,
        status=RiskAnalysis.Status.IN_REVIEW,
    )
    path = write(tmp_path, "title\nFlood\n", "risks.csv")
    for extra in ([], ["--dry-run"]):
        with pytest.raises(CommandError, match="^Nothing committed: “2026 analysis” is in review") as refused:
            run("risk_import", "--org", "clinic", "--kind", "risks", *extra, path)
        assert refused.value.returncode == 1
    assert not Risk.objects.exists()
