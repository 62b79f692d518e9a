"""The register workbook, read back with openpyxl: sheets, headers, one row per record, the values an auditor
filters on, formula injection neutralised, and a query count that does not grow with the register."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook

from safeguard.catalog.models import Requirement
from safeguard.risk.models import MitigationAction, Risk, RiskAcceptance, RiskMethod
from safeguard.risk.reports.register_xlsx import (
    ACCEPTANCE_COLUMNS,
    ACTION_COLUMNS,
    REGISTER_COLUMNS,
    register_workbook,
)
from tests.conftest import Cast
from tests.test_risk_reports_support import add_risks, make_analysis

TODAY = timezone.localdate()


def workbook(cast: Cast) -> Workbook:
    return load_workbook(BytesIO(register_workbook(cast.org)))


def rows(book: Workbook, sheet: str) -> list[dict[str, Any]]:
    values = list(book[sheet].iter_rows(values_only=True))
    header = [str(name) for name in values[0]]
    return [dict(zip(header, row, strict=True)) for row in values[1:]]


def test_the_workbook_has_its_four_sheets_with_headers_frozen_and_filtered(cast: Cast) -> None:
    make_analysis(cast.org, cast.official, risks=3)

    book = workbook(cast)

    assert book.sheetnames == ["Register", "Actions", "Acceptances", "Method"]
    for name, columns, count in (
        ("Register", REGISTER_COLUMNS, 3),
        ("Actions", ACTION_COLUMNS, 3),
        ("Acceptances", ACCEPTANCE_COLUMNS, 1),
    ):
        sheet = book[name]
        assert [cell.value for cell in sheet[1]] == [header for header, _width in columns]
        assert all(cell.font.b for cell in sheet[1])
        assert sheet.freeze_panes == "A2"
        assert sheet.max_row == count + 1
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(len(columns))}{count + 1}"
        assert sheet.column_dimensions["B"].width == columns[1][1]


def test_a_register_row_holds_the_risk_its_ratings_and_its_treatment(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=2)
    risk = Risk.objects.get(organization=cast.org, number=1)
    risk.requirements.add(*Requirement.objects.filter(citation__in=["164.308(a)(1)(ii)(A)", "164.312(a)(1)"]))
    MitigationAction.objects.create(
        organization=cast.org,
        risk=risk,
        title="Buy a new firewall",
        owner=cast.official,
        due_on=TODAY + timedelta(days=3),
        acceptance_criteria="Installed",
    )
    MitigationAction.objects.create(
        organization=cast.org,
        risk=risk,
        title="Old task",
        owner=cast.official,
        due_on=TODAY - timedelta(days=90),
        acceptance_criteria="Gone",
        status=MitigationAction.Status.CANCELLED,
    )

    first = rows(workbook(cast), "Register")[0]

    assert first["Reference"] == "R-0001"
    assert first["Title"] == "Ransomware encrypts records 1"
    assert first["Status"] == "Open"
    assert first["Assets"] == "EHR"
    assert (first["Threat"], first["Vulnerability"]) == ("Ransomware", "Unpatched servers")
    assert first["Existing controls"] == "Nightly backups\nEndpoint protection"
    assert (first["Likelihood"], first["Impact"], first["Inherent score"], first["Inherent level"]) == (
        2,
        3,
        6,
        "Medium",
    )
    assert (first["Residual likelihood"], first["Residual impact"], first["Residual score"]) == (1, 3, 3)
    assert first["Residual level"] == "Low"
    assert (first["Treatment"], first["Owner"]) == ("Mitigate", "so@clinic.test")
    assert first["Open actions"] == 2  # the cancelled one does not count
    assert first["Next action due"].date() == TODAY + timedelta(days=3)
    assert first["Accepted until"].date() == TODAY + timedelta(days=180)
    assert first["Linked requirements"] == "164.308(a)(1)(ii)(A); 164.312(a)(1)"
    assert first["Analysis"] == analysis.title


def test_actions_acceptances_and_method_sheets(cast: Cast) -> None:
    make_analysis(cast.org, cast.official, risks=2)
    MitigationAction.objects.filter(risk__number=2).update(due_on=TODAY - timedelta(days=1))
    RiskMethod.objects.create(
        organization=cast.org,
        likelihood_levels=[{"value": 1, "label": "Low", "definition": "Seldom"}, {"value": 2, "label": "High"}],
        impact_levels=[{"value": 1, "label": "Small"}, {"value": 2, "label": "Large"}],
        thresholds=[
            {"level": "low", "label": "Low", "min_score": 1},
            {"level": "high", "label": "High", "min_score": 3},
        ],
        treatment_threshold="high",
        methodology="Ours",
        reanalysis_months=6,
    )
    book = workbook(cast)

    actions = rows(book, "Actions")
    assert [(a["Risk"], a["Action"], a["Overdue"], a["Status"]) for a in actions] == [
        ("R-0001", "Patch servers monthly (1)", "No", "Open"),
        ("R-0002", "Patch servers monthly (2)", "Yes", "Open"),
    ]
    [acceptance] = rows(book, "Acceptances")
    assert acceptance["Risk"] == "R-0001" and acceptance["State"] == "Active"
    assert (acceptance["Signed by"], acceptance["Signer role"]) == ("so@clinic.test", "Security official")
    assert acceptance["Rationale"] == "Replacement planned next year"
    method = [tuple(row.values()) for row in rows(book, "Method")]
    assert ("Likelihood", 1, "Low", "Seldom") in method
    assert ("Impact", 2, "Large", None) in method  # an empty cell reads back as None
    assert ("Risk level", 3, "High", "Score 3 or more") in method
    assert ("Treatment threshold", None, "High", "Risks rated High or higher must have a treatment.") in method
    assert ("Re-analysis interval", 6, "6 months", "The analysis is redone at least this often.") in method


def test_a_risk_outside_any_analysis_is_labelled_by_the_current_method(cast: Cast) -> None:
    add_risks(cast.org, cast.official, None, 1)

    [row] = rows(workbook(cast), "Register")

    assert (row["Inherent level"], row["Analysis"]) == ("Medium", None)


def test_text_a_spreadsheet_would_run_as_a_formula_is_stored_as_text(cast: Cast) -> None:
    make_analysis(cast.org, cast.official, risks=1)
    Risk.objects.filter(organization=cast.org).update(
        title='=HYPERLINK("http://evil.test","click")',
        description="+1+cmd|' /C calc'!A0",
        existing_controls="-2+3",
        planned_controls="@SUM(A1:A2)",
    )
    MitigationAction.objects.filter(organization=cast.org).update(title="=1+1", acceptance_criteria="\t=2")

    book = workbook(cast)

    register = book["Register"]
    cells = {cell.value: cell for row in register.iter_rows(min_row=2) for cell in row if isinstance(cell.value, str)}
    for text in ('=HYPERLINK("http://evil.test","click")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)"):
        assert cells[text].data_type == "s"
        assert cells[text].quotePrefix is True
    plain = cells["Ransomware"]
    assert plain.quotePrefix is False
    every_cell = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in every_cell if cell.data_type == "f"]


def test_characters_a_workbook_cannot_hold_are_dropped(cast: Cast) -> None:
    make_analysis(cast.org, cast.official, risks=1)
    # NUL never reaches a text column on PostgreSQL; the other control characters can.
    Risk.objects.filter(organization=cast.org).update(title="Bell\x07 and\x1b escape")

    [row] = rows(workbook(cast), "Register")

    assert row["Title"] == "Bell and escape"


def test_the_query_count_does_not_grow_with_the_register(cast: Cast) -> None:
    analysis = make_analysis(cast.org, cast.official, risks=5)
    with CaptureQueriesContext(connection) as small:
        register_workbook(cast.org)
    add_risks(cast.org, cast.official, analysis, 45)
    with CaptureQueriesContext(connection) as large:
        book = load_workbook(BytesIO(register_workbook(cast.org)))

    assert book["Register"].max_row == 51
    assert len(large.captured_queries) == len(small.captured_queries)


def test_another_organizations_register_is_not_in_the_workbook(cast: Cast) -> None:
    make_analysis(cast.org, cast.official, risks=2)
    make_analysis(cast.other_org, cast.outsider, risks=1, title="Their analysis")

    book = workbook(cast)

    assert [row["Reference"] for row in rows(book, "Register")] == ["R-0001", "R-0002"]
    assert len(rows(book, "Actions")) == 2 and len(rows(book, "Acceptances")) == 1


def test_an_acceptance_expiring_today_is_expired_and_no_longer_accepts_the_risk(cast: Cast) -> None:
    make_analysis(cast.org, cast.official, risks=1)
    RiskAcceptance.objects.update(expires_on=TODAY)

    book = workbook(cast)

    [risk] = rows(book, "Register")
    [acceptance] = rows(book, "Acceptances")
    assert risk["Accepted until"] is None
    assert acceptance["State"] == "Expired"


def test_accepted_until_leaves_out_withdrawn_and_expired_acceptances(cast: Cast) -> None:
    make_analysis(cast.org, cast.official, risks=1)
    RiskAcceptance.objects.update(expires_on=TODAY + timedelta(days=1))

    [risk] = rows(workbook(cast), "Register")
    assert risk["Accepted until"].date() == TODAY + timedelta(days=1)

    RiskAcceptance.objects.update(withdrawn_at=timezone.now())
    [risk] = rows(workbook(cast), "Register")
    assert risk["Accepted until"] is None
