"""An access review as a workbook: sheets Summary, Items (one row per account reviewed), Findings and
Attestations.

Written in openpyxl's write-only mode and read in chunks, so a campaign of a hundred thousand accounts is written
in flat memory with a query count that does not grow with it. Text a spreadsheet could take for a formula is
neutralised with a leading apostrophe.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from io import BytesIO
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from safeguard.access.models import Finding, ReviewCampaign, ReviewItem
from safeguard.access.reports import review_data as data
from safeguard.core.tabular import neutralise

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_CELL_TEXT = 32_767  # Excel's limit; longer text makes it "repair" the file

Column = tuple[str, int]  # header, width in characters

SUMMARY_COLUMNS: Sequence[Column] = (("Fact", 34), ("Value", 60), ("Detail", 70))
ITEM_COLUMNS: Sequence[Column] = (
    ("System", 22),
    ("Username", 22),
    ("Display name", 24),
    ("Person", 24),
    ("Employee id", 12),
    ("Department", 16),
    ("Job role", 16),
    ("Person status", 12),
    ("Account status", 10),
    ("Classification", 14),
    ("Roles", 30),
    ("Privileged", 9),
    ("MFA", 7),
    ("Last login", 17),
    ("Findings", 30),
    ("Reviewer", 26),
    ("Reviewer basis", 13),
    ("Decision", 9),
    ("Comment", 40),
    ("Decided by", 26),
    ("Decided at", 17),
    ("Revoke by", 12),
    ("Revoked at", 17),
    ("Revoked by", 26),
    ("Revocation note", 30),
)
FINDING_COLUMNS: Sequence[Column] = (
    ("System", 22),
    ("Username", 22),
    ("Kind", 34),
    ("Detail", 80),
    ("Decision", 9),
    ("Comment", 40),
)
ATTESTATION_COLUMNS: Sequence[Column] = (
    ("Reviewer", 28),
    ("Items", 8),
    ("Signed at", 17),
    ("Signer role", 18),
    ("Meaning", 10),
    ("Signature SHA-256", 68),
    ("Statement", 60),
)
KINDS = dict(Finding.Kind.choices)


def review_workbook(campaign: ReviewCampaign, today: date | None = None) -> bytes:
    """The campaign as XLSX bytes."""
    today = today or timezone.localdate()
    book = Workbook(write_only=True)
    _write_sheet(book, "Summary", SUMMARY_COLUMNS, _summary_rows(campaign, today))
    _write_sheet(book, "Items", ITEM_COLUMNS, (_item_row(item) for item in data.stream(data.item_rows(campaign))))
    _write_sheet(book, "Findings", FINDING_COLUMNS, _finding_rows(campaign))
    _write_sheet(book, "Attestations", ATTESTATION_COLUMNS, _attestation_rows(campaign))
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
        text = neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
        return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 20] + " … (text cut here)"
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


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("Yes" if value else "No")


# --- rows -------------------------------------------------------------------------------------------------------


def _summary_rows(campaign: ReviewCampaign, today: date) -> Iterable[list[Any]]:
    counts = data.tally(campaign, today)
    yield ["Organization", campaign.organization.name, ""]
    yield ["Review", campaign.title, str(campaign.public_id)]
    yield ["Status", campaign.get_status_display(), ""]
    yield ["Scope", data.scope_label(campaign), ""]
    yield ["Roster as of", campaign.roster_as_of, ""]
    yield ["Inactive after (days)", campaign.inactive_days, ""]
    yield ["Due on", campaign.due_on, ""]
    yield ["Started", campaign.started_at, data.email(campaign.started_by)]
    yield ["Closed", campaign.closed_at, data.email(campaign.closed_by)]
    yield ["Frozen record SHA-256", data.frozen_sha256(campaign), "Canonical JSON of what the review froze"]
    yield ["Items", counts.items, ""]
    yield ["Kept", counts.kept, ""]
    yield ["Revoked", counts.revoked, f"{counts.revocations_done} carried out, {counts.revocations_overdue} overdue"]
    yield ["Undecided", counts.undecided, ""]
    for kind, label, count in data.finding_counts(campaign):
        yield [f"Findings: {label}", count, kind]
    for frozen in data.frozen_snapshots(campaign):
        yield [
            f"Snapshot: {frozen.system}",
            frozen.sha256,
            f"{frozen.file_name}, taken {_local(frozen.taken_at)}, {frozen.account_count} accounts, "
            f"{frozen.items} reviewed",
        ]


def _local(moment: datetime | None) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}" if moment else ""


def _item_row(item: ReviewItem) -> list[Any]:
    person = data.person_fields(item)
    return [
        item.system.asset.name,
        item.username,
        item.display_name,
        person["name"],
        person["employee_id"],
        person["department"],
        person["job_role"],
        person["status"],
        item.get_status_display(),
        item.get_classification_display(),
        "; ".join(str(role) for role in item.roles or []),
        _yes_no(item.privileged),
        _yes_no(item.mfa_enabled),
        item.last_login_at,
        "; ".join(KINDS.get(finding.kind, finding.kind) for finding in item.findings.all()),
        data.email(item.reviewer),
        item.reviewer_basis,
        item.get_decision_display() if item.decision else "",
        item.comment,
        data.email(item.decided_by),
        item.decided_at,
        item.revoke_due_on,
        item.revoked_at,
        data.email(item.revoked_by),
        item.revocation_note,
    ]


def _finding_rows(campaign: ReviewCampaign) -> Iterable[list[Any]]:
    findings = (
        Finding.objects.filter(campaign=campaign)
        .select_related("item__system__asset")
        .order_by("kind", "item__system__asset__name", "item__username", "pk")
    )
    for finding in findings.iterator(chunk_size=data.CHUNK):
        item = finding.item
        yield [
            item.system.asset.name if item else "",
            item.username if item else "",
            KINDS.get(finding.kind, finding.kind),
            finding.detail,
            item.get_decision_display() if item and item.decision else "",
            item.comment if item else "",
        ]


def _attestation_rows(campaign: ReviewCampaign) -> Iterable[list[Any]]:
    for attestation in data.attestations(campaign):
        signature = attestation.signature
        yield [
            attestation.reviewer.email,
            attestation.item_count,
            attestation.signed_at,
            signature.signer_role,
            signature.get_meaning_display(),
            signature.content_sha256,
            signature.statement,
        ]
