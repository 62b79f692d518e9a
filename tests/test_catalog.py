"""The catalog: every Security Rule standard and specification, exact citations, loaded idempotently."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from safeguard.catalog.loader import CATALOG_FILE, CatalogError, catalog_load
from safeguard.catalog.models import Requirement
from safeguard.tracker.registry import all_checks

pytestmark = pytest.mark.django_db


def test_catalog_has_every_standard_and_specification(catalog: None) -> None:
    assert Requirement.objects.filter(kind=Requirement.Kind.STANDARD).count() == 22
    assert Requirement.objects.filter(kind=Requirement.Kind.SPECIFICATION).count() == 46
    specs = Requirement.objects.filter(kind=Requirement.Kind.SPECIFICATION)
    assert specs.filter(required=True).count() == 24
    assert specs.filter(required=False).count() == 22


@pytest.mark.parametrize(
    ("safeguard", "standards", "specs"),
    [
        ("administrative", 9, 21),
        ("physical", 4, 8),
        ("technical", 5, 7),
        ("organizational", 2, 7),
        ("documentation", 2, 3),
    ],
)
def test_counts_per_safeguard(catalog: None, safeguard: str, standards: int, specs: int) -> None:
    rows = Requirement.objects.filter(safeguard=safeguard)
    assert rows.filter(kind=Requirement.Kind.STANDARD).count() == standards
    assert rows.filter(kind=Requirement.Kind.SPECIFICATION).count() == specs


def test_citations_are_exact(catalog: None) -> None:
    contract = Requirement.objects.get(citation="164.308(b)(3)")
    assert contract.parent is not None and contract.parent.citation == "164.308(b)(1)"
    assert not Requirement.objects.filter(citation="164.308(b)(4)").exists()
    clearance = Requirement.objects.get(citation="164.308(a)(3)(ii)(B)")
    assert clearance.is_addressable
    assert Requirement.objects.get(citation="164.312(a)(2)(ii)").required
    # Standards without specifications are assessed themselves.
    leaves = set(Requirement.objects.leaves().values_list("citation", flat=True))
    assert {"164.308(a)(2)", "164.308(a)(8)", "164.310(b)", "164.312(b)", "164.312(d)"} <= leaves
    assert "164.308(a)(1)" not in leaves
    assert len(leaves) == 46 + 7


def test_proposed_rule_changes_are_flagged(catalog: None) -> None:
    risk_analysis = Requirement.objects.get(citation="164.308(a)(1)(ii)(A)")
    assert "12 months" in risk_analysis.nprm_2025_change
    assert Requirement.objects.exclude(nprm_2025_change="").count() > 40


def test_loading_twice_changes_nothing(catalog: None) -> None:
    result = catalog_load()
    assert (result.created, result.updated, result.unchanged) == (0, 0, 68)


def test_command_reports_counts(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("catalog_load")
    assert "68 created" in capsys.readouterr().out


def test_broken_catalog_names_the_entry_and_writes_nothing(db: None, tmp_path: Path) -> None:
    document = yaml.safe_load(CATALOG_FILE.read_text())
    document["entries"][3]["requirement"] = "optional"
    broken = tmp_path / "catalog.yaml"
    broken.write_text(yaml.safe_dump(document))
    with pytest.raises(CatalogError, match=r"entry 4 \(164\.308\(a\)\(1\)\(ii\)\(C\)\): requirement must be"):
        catalog_load(broken)
    with pytest.raises(CommandError, match="entry 4"):
        call_command("catalog_load", "--file", str(broken))
    assert Requirement.objects.count() == 0


def test_every_registered_check_names_a_catalog_citation() -> None:
    citations = {entry["id"] for entry in yaml.safe_load(CATALOG_FILE.read_text())["entries"]}
    registered = set(all_checks())
    assert registered, "the core registers checks"
    assert registered <= citations, f"checks registered against unknown citations: {registered - citations}"
