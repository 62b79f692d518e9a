"""The risk register as a workbook: sheets Register, Actions, Acceptances and Method.

Written in openpyxl's write-only mode, so memory stays flat however long the register is, and read from the
database in chunks with everything each chunk needs prefetched, so the query count does not grow with rows.

Cell text that a spreadsheet could take for a formula (it starts with = + - @, a tab or a carriage return) is
stored as text with the quote-prefix flag, the mark Excel itself sets when someone types a leading apostrophe:
the text reads exactly as entered, and neither opening nor editing the cell evaluates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from safeguard.core.models import Organization
from safeguard.core.roles import Role
from safeguard.core.tabular import FORMULA_STARTS
from safeguard.risk.models import MitigationAction, Risk, RiskAcceptance, RiskAnalysis, Treatment
from safeguard.risk.queries import acceptance_state, acceptances_in_force
from safeguard.risk.scoring import Method, label_of
from safeguard.risk.services.method import current_method

CHUNK = 500
MAX_CELL_TEXT = 32_767  # Excel's limit; longer text makes it "repair" the file
OPEN_ACTION = (MitigationAction.Status.OPEN, MitigationAction.Status.IN_PROGRESS)
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ACCEPTANCE_STATES = {"in_force": "Active", "expired": "Expired", "withdrawn": "Withdrawn"}

Column = tuple[str, int]  # header, width in characters

REGISTER_COLUMNS: Sequence[Column] = (
    ("Reference", 11),
    ("Title", 40),
    ("Status", 9),
    ("Assets", 30),
    ("Threat", 28),
    ("Vulnerability", 28),
    ("Description", 40),
    ("Existing controls", 40),
    ("Likelihood", 11),
    ("Impact", 9),
    ("Inherent score", 10),
    ("Inherent level", 12),
    ("Planned controls", 40),
    ("Residual likelihood", 11),
    ("Residual impact", 10),
    ("Residual score", 10),
    ("Residual level", 12),
    ("Treatment", 12),
    ("Owner", 28),
    ("Open actions", 9),
    ("Next action due", 13),
    ("Accepted until", 13),
    ("Linked requirements", 28),
    ("Analysis", 30),
)
ACTION_COLUMNS: Sequence[Column] = (
    ("Risk", 11),
    ("Risk title", 36),
    ("Action", 40),
    ("Owner", 28),
    ("Due on", 12),
    ("Status", 12),
    ("Overdue", 9),
    ("Acceptance criteria", 44),
    ("Completed on", 12),
    ("Completed by", 28),
    ("Completion note", 40),
)
ACCEPTANCE_COLUMNS: Sequence[Column] = (
    ("Risk", 11),
    ("Risk title", 36),
    ("State", 10),
    ("Rationale", 50),
    ("Accepted at", 17),
    ("Expires on", 12),
    ("Signed by", 28),
    ("Signer role", 18),
    ("Withdrawn at", 17),
)
METHOD_COLUMNS: Sequence[Column] = (("Part", 22), ("Value", 12), ("Label", 20), ("Definition", 80))


def register_workbook(organization: Organization, today: date | None = None) -> bytes:
    """The whole register of `organization` as XLSX bytes."""
    today = today or timezone.localdate()
    book = Workbook(write_only=True)
    _write_sheet(book, "Register", REGISTER_COLUMNS, _register_rows(organization, today))
    _write_sheet(book, "Actions", ACTION_COLUMNS, _action_rows(organization, today))
    _write_sheet(book, "Acceptances", ACCEPTANCE_COLUMNS, _acceptance_rows(organization, today))
    _write_sheet(book, "Method", METHOD_COLUMNS, _method_rows(current_method(organization)))
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- writing ----------------------------------------------------------------------------------------------------


def _write_sheet(book: Workbook, title: str, columns: Sequence[Column], rows: Iterable[list[Any]]) -> None:
    # Any: openpyxl's stubs leave out the column and filter settings write-only sheets share with normal ones.
    sheet: Any = book.create_sheet(title)
    # Write-only sheets take their view and column settings before the first row is written.
    sheet.freeze_panes = "A2"
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header = []
    for name, _width in columns:
        cell = WriteOnlyCell(sheet, name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, str):
        text = ILLEGAL_CHARACTERS_RE.sub("", value)
        if len(text) > MAX_CELL_TEXT:
            text = text[: MAX_CELL_TEXT - 20] + " … (text cut here)"
        if not text.startswith(FORMULA_STARTS) and "\n" not in text:
            return text
        cell = WriteOnlyCell(sheet, text)
        if text.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True
        if "\n" in text:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell
    if isinstance(value, datetime):
        # Excel has no time zones: show the local time, as the pages do.
        cell = WriteOnlyCell(sheet, timezone.localtime(value).replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet)
        cell.value = value
        cell.number_format = "yyyy-mm-dd"
        return cell
    return value


# --- rows -------------------------------------------------------------------------------------------------------


def _email(user: Any) -> str:
    return "" if user is None else str(user.email)


def _register_rows(organization: Organization, today: date) -> Iterable[list[Any]]:
    current = current_method(organization)
    # One query for every analysis's title and frozen method, instead of joining them onto each risk row.
    analyses = {
        analysis.pk: analysis
        for analysis in RiskAnalysis.objects.filter(organization=organization).only("pk", "title", "method")
    }
    risks = (
        Risk.objects.filter(organization=organization)
        .select_related("threat", "vulnerability", "owner")
        .prefetch_related(
            "assets",
            "requirements",
            Prefetch("actions", queryset=MitigationAction.objects.filter(status__in=OPEN_ACTION).order_by("due_on")),
            # "Accepted until" shows only an acceptance in force: an expired one no longer covers the risk.
            Prefetch(
                "acceptances",
                queryset=RiskAcceptance.objects.filter(acceptances_in_force(today)).order_by("-expires_on"),
            ),
        )
        .order_by("number")
    )
    for risk in risks.iterator(chunk_size=CHUNK):
        analysis = analyses.get(risk.analysis_id) if risk.analysis_id else None
        method = analysis.method if analysis is not None else current
        yield _register_row(risk, method, analysis)


def _register_row(risk: Risk, method: Method, analysis: RiskAnalysis | None) -> list[Any]:
    open_actions = list(risk.actions.all())
    acceptances = list(risk.acceptances.all())
    return [
        risk.reference,
        risk.title,
        risk.get_status_display(),
        "; ".join(sorted(asset.name for asset in risk.assets.all())),
        risk.threat.name if risk.threat else "",
        risk.vulnerability.name if risk.vulnerability else "",
        risk.description,
        risk.existing_controls,
        risk.likelihood,
        risk.impact,
        risk.inherent_score,
        label_of(method, risk.inherent_level) if risk.inherent_level else "",
        risk.planned_controls,
        risk.residual_likelihood,
        risk.residual_impact,
        risk.residual_score,
        label_of(method, risk.residual_level) if risk.residual_level else "",
        Treatment(risk.treatment).label if risk.treatment in Treatment.values else risk.treatment,
        _email(risk.owner),
        len(open_actions),
        open_actions[0].due_on if open_actions else None,
        acceptances[0].expires_on if acceptances else None,
        "; ".join(sorted(requirement.citation for requirement in risk.requirements.all())),
        analysis.title if analysis is not None else "",
    ]


def _action_rows(organization: Organization, today: date) -> Iterable[list[Any]]:
    actions = (
        MitigationAction.objects.filter(organization=organization)
        .select_related("risk", "owner", "completed_by")
        .order_by("risk__number", "due_on", "pk")
    )
    for action in actions.iterator(chunk_size=CHUNK):
        overdue = action.status in OPEN_ACTION and action.due_on < today
        yield [
            action.risk.reference,
            action.risk.title,
            action.title,
            _email(action.owner),
            action.due_on,
            action.get_status_display(),
            "Yes" if overdue else "No",
            action.acceptance_criteria,
            action.completed_on,
            _email(action.completed_by),
            action.completion_note,
        ]


def _acceptance_rows(organization: Organization, today: date) -> Iterable[list[Any]]:
    acceptances = (
        RiskAcceptance.objects.filter(organization=organization)
        .select_related("risk", "signature__signer")
        .order_by("risk__number", "-accepted_at", "pk")
    )
    roles = dict(Role.choices)
    for acceptance in acceptances.iterator(chunk_size=CHUNK):
        signature = acceptance.signature
        yield [
            acceptance.risk.reference,
            acceptance.risk.title,
            ACCEPTANCE_STATES[acceptance_state(acceptance, today)],
            acceptance.rationale,
            acceptance.accepted_at,
            acceptance.expires_on,
            _email(signature.signer),
            roles.get(signature.signer_role, signature.signer_role),
            acceptance.withdrawn_at,
        ]


def _method_rows(method: Method) -> Iterable[list[Any]]:
    for level in method["likelihood_levels"]:
        yield ["Likelihood", level["value"], level["label"], level.get("definition", "")]
    for level in method["impact_levels"]:
        yield ["Impact", level["value"], level["label"], level.get("definition", "")]
    for threshold in method["thresholds"]:
        yield ["Risk level", threshold["min_score"], threshold["label"], f"Score {threshold['min_score']} or more"]
    treatment = label_of(method, str(method["treatment_threshold"]))
    yield ["Treatment threshold", "", treatment, f"Risks rated {treatment} or higher must have a treatment."]
    if "reanalysis_months" in method:
        months = method["reanalysis_months"]
        yield ["Re-analysis interval", months, f"{months} months", "The analysis is redone at least this often."]
