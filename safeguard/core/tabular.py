"""Tables in and out of CSV and XLSX files: headers plus rows of strings, nothing about what the columns mean.

Reading decides the format from the content, not the file name: an XLSX file is a zip holding a workbook; a
CSV file is UTF-8 text (with or without a byte-order mark) separated by commas, semicolons or tabs. An importer
may also accept JSON (UTF-8 text starting with { or [), which it turns into a table itself. Anything else, or a
file past the size and row limits, is refused with a sentence saying why.

Writing neutralises formulas: a cell that starts with = + - @ (or a tab or carriage return) would be run by a
spreadsheet, so it gets a leading apostrophe, as the audit trail's CSV export does. Reading takes that
apostrophe off again (`restore`) so an exported file imports back unchanged.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from xml.parsers.expat import ExpatError

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.utils.exceptions import InvalidFileException

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 200
FORMATS = ("csv", "xlsx")
JSON = "json"
DELIMITERS = (",", ";", "\t")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_PARTS = ("[Content_Types].xml", "xl/workbook.xml")
BOM = codecs.BOM_UTF8
CHUNK = 1024 * 1024  # bytes decoded at a time when checking or sniffing text
LEADING_SPACE = re.compile(rb"\s*")
NOT_UTF8 = "The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."


class TabularError(Exception):
    """The file cannot be read as a table; the message says why in a sentence for a person."""


@dataclass(frozen=True)
class Row:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: list[str]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[Row]


# ---- what kind of file ---------------------------------------------------------------------------------------


def extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def sniff_format(data: bytes, name: str, *, formats: tuple[str, ...] = FORMATS, max_bytes: int | None = None) -> str:
    """ "csv", "xlsx" (or "json" when `formats` allows it), judged by the content; the file name's extension must
    agree with it. `max_bytes` defaults to MAX_BYTES."""
    limit = MAX_BYTES if max_bytes is None else max_bytes
    if len(data) > limit:
        raise TabularError(f"The file is larger than {limit // (1024 * 1024)} MB.")
    claimed = extension(name)
    if claimed not in formats:
        raise TabularError(f"Upload a {allowed_text(formats)} file.")
    if claimed == JSON:
        found = JSON if is_json_text(data) else ""
    else:
        found = "xlsx" if _is_workbook(data) else "csv" if _is_text(data) else ""
    if found != claimed:
        expected = {"xlsx": "an Excel workbook (.xlsx)", JSON: "JSON text (UTF-8)"}.get(claimed, "UTF-8 text (CSV)")
        raise TabularError(f"The file is named .{claimed} but its content is not {expected}.")
    return found


def allowed_text(formats: tuple[str, ...]) -> str:
    """ ".csv or .xlsx", ".csv, .xlsx or .json": the extensions a person may upload, in words."""
    names = [f".{name}" for name in formats]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def is_json_text(data: bytes) -> bool:
    """UTF-8 text whose first character (after a byte-order mark and white space) opens a JSON object or array."""
    if b"\x00" in data or _first_bad_byte(data) is not None:
        return False
    start = len(BOM) if data.startswith(BOM) else 0
    first = LEADING_SPACE.match(data, start)
    at = first.end() if first else start
    return data[at : at + 1] in (b"{", b"[")


def _is_workbook(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return False
    return all(part in names for part in XLSX_PARTS)


def _is_text(data: bytes) -> bool:
    return b"\x00" not in data and _first_bad_byte(data) is None


def _first_bad_byte(data: bytes) -> int | None:
    """Where the bytes stop being UTF-8, or None: checked a chunk at a time, so a large file is never held twice as
    text (a Python string of a 100 MB file can take 400 MB)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        try:
            decoder.decode(view[start : start + CHUNK], final=start + CHUNK >= len(data))
        except UnicodeDecodeError as error:
            return start + error.start
    return None


# ---- reading ---------------------------------------------------------------------------------------------------


def read_headers(data: bytes, file_format: str) -> list[str]:
    """The first row, cheaply: the rest of the file is read when the rows are checked."""
    return _headers(next(_raw_rows(data, file_format), []))


def read_table(data: bytes, file_format: str, *, max_rows: int = MAX_ROWS, unread: Collection[str] = ()) -> Table:
    """Every non-blank row under the header, each padded or cut to the header's width. The cells of the columns
    headed as in `unread` (case ignored) are dropped as each row is read, and come out blank: what must never be
    kept (e.g. what people typed into a phishing page) is not held even while the file is checked."""
    raw = _raw_rows(data, file_format)
    headers = _headers(next(raw, []))
    width = len(headers)
    skipped = [index for index, header in enumerate(headers) if header.lower() in {name.lower() for name in unread}]
    rows: list[Row] = []
    for number, cells in enumerate(raw, start=2):
        for index in skipped:
            if index < len(cells):
                cells[index] = ""
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) == max_rows:
            raise TabularError(f"The file has more than {max_rows:,} rows: split it into smaller files.")
        rows.append(Row(number, (cells + [""] * width)[:width]))
    return Table(headers, rows)


def _headers(cells: list[str]) -> list[str]:
    headers = [cell.strip() for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    if not headers:
        raise TabularError("The first row must name the columns, and it is empty.")
    if len(headers) > MAX_COLUMNS:
        raise TabularError(f"The file has more than {MAX_COLUMNS} columns.")
    seen: set[str] = set()
    for header in headers:
        if header and header.lower() in seen:
            raise TabularError(f"Two columns are headed {header!r}: give each column its own name.")
        seen.add(header.lower())
    return headers


def _raw_rows(data: bytes, file_format: str) -> Iterator[list[str]]:
    if file_format == "xlsx":
        return _xlsx_rows(data)
    if file_format == "csv":
        return _csv_rows(data)
    raise TabularError("Upload a .csv or .xlsx file.")


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    delimiter = delimiter_of(header_line(data))
    # Decoded as it is read, not held whole: a StringIO of a large file would cost four bytes per character.
    lines = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise TabularError(f"Line {reader.line_num} cannot be read as CSV: {error}.") from None
    except UnicodeDecodeError:
        # The wrapper decodes ahead of the reader, a block at a time: the bad byte is at or a little after the line.
        raise TabularError(
            f"The file stops being UTF-8 text after line {reader.line_num}: save it as “CSV UTF-8” and upload it again."
        ) from None


def header_line(data: bytes) -> str:
    """The start of the file as text, enough for its first line (delimiter_of stops at its end): the rest of the
    file is not decoded to find the separator."""
    try:
        return codecs.getincrementaldecoder("utf-8-sig")().decode(data[:CHUNK], final=len(data) <= CHUNK)
    except UnicodeDecodeError:
        raise TabularError(NOT_UTF8) from None


def delimiter_of(text: str) -> str:
    """The separator the header line uses most, outside quotes; a comma when it uses none."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in text:
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            break
        elif char in counts and not quoted:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda candidate: counts[candidate])
    return best if counts[best] else ","


def _xlsx_rows(data: bytes) -> Iterator[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ExpatError, ValueError, OSError):
        raise TabularError("The workbook cannot be opened: it may be damaged or password-protected.") from None
    try:
        if not workbook.worksheets:
            raise TabularError("The workbook has no sheets.")
        sheet = workbook.worksheets[0]
        # Some programs write a wrong sheet size; without it every row is read.
        sheet.reset_dimensions()
        for values in sheet.iter_rows(values_only=True):
            cells = [cell_text(value) for value in values[: MAX_COLUMNS + 1]]
            while cells and not cells[-1]:
                cells.pop()
            yield cells
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """A spreadsheet value as the text a person typed: whole numbers without ".0", dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


# ---- writing ---------------------------------------------------------------------------------------------------


def neutralise(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def restore(text: str) -> str:
    """Undo `neutralise`: the apostrophe an export put before a formula-like value."""
    return text[1:] if text.startswith("'") and text[1:].startswith(FORMULA_STARTS) else text


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """The CSV text line by line, starting with a byte-order mark so spreadsheets read it as UTF-8."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(header) for header in headers])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def xlsx_bytes(headers: Sequence[str], rows: Iterable[Sequence[str]], *, sheet_title: str) -> bytes:
    """A one-sheet workbook where every cell is text (never a formula)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title[:31])

    def text_cells(values: Sequence[str]) -> list[Cell]:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", neutralise(value)))
            cell.data_type = "s"
            cells.append(cell)
        return cells

    sheet.append(text_cells(headers))
    for row in rows:
        sheet.append(text_cells(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
