"""Reading and writing tables: CSV dialects and encodings, XLSX, refusals by content, limits, formula neutering."""

from __future__ import annotations

import io
import zipfile

import pytest

from safeguard.core import tabular
from safeguard.core.tabular import Row, TabularError
from tests.test_risk_import_support import xlsx_data, xlsx_rows


def read(data: bytes, name: str = "file.csv") -> tabular.Table:
    return tabular.read_table(data, tabular.sniff_format(data, name))


def test_csv_with_a_byte_order_mark_reads_the_first_header_cleanly() -> None:
    table = read("\ufeffname,kind\nEHR,application\n".encode())
    assert table.headers == ["name", "kind"]
    assert table.rows == [Row(2, ["EHR", "application"])]


@pytest.mark.parametrize("separator", [";", "\t", ","])
def test_csv_separator_is_sniffed_from_the_header_line(separator: str) -> None:
    text = separator.join(["name", "kind", "description"]) + "\n"
    text += separator.join(["EHR", "application", '"Notes, with; every\tseparator"']) + "\n"
    table = read(text.encode())
    assert table.headers == ["name", "kind", "description"]
    assert table.rows[0].cells == ["EHR", "application", "Notes, with; every\tseparator"]


def test_blank_rows_are_skipped_but_row_numbers_stay_those_of_the_file() -> None:
    table = read(b"name,kind\nEHR,application\n\n,\nPACS,server\n")
    assert [(row.number, row.cells[0]) for row in table.rows] == [(2, "EHR"), (5, "PACS")]


def test_short_rows_are_padded_and_long_rows_cut_to_the_header() -> None:
    table = read(b"name,kind,hosting\nEHR\nPACS,server,room 1,extra\n")
    assert [row.cells for row in table.rows] == [["EHR", "", ""], ["PACS", "server", "room 1"]]


def test_xlsx_reads_the_first_sheet_with_values_as_typed() -> None:
    data = xlsx_data([["Name", "Kind", "Encrypted", "Count"], ["EHR", "application", True, 12.0], [None], ["PACS"]])
    table = read(data, "inventory.xlsx")
    assert table.headers == ["Name", "Kind", "Encrypted", "Count"]
    assert table.rows == [Row(2, ["EHR", "application", "true", "12"]), Row(4, ["PACS", "", "", ""])]


def test_a_csv_name_on_binary_content_is_refused() -> None:
    with pytest.raises(TabularError, match="named .csv but its content is not UTF-8 text"):
        tabular.sniff_format(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "assets.csv")


def test_a_workbook_named_csv_is_refused_by_its_content() -> None:
    with pytest.raises(TabularError, match="named .csv"):
        tabular.sniff_format(xlsx_data([["name"]]), "assets.csv")


def test_text_named_xlsx_and_a_zip_that_is_no_workbook_are_refused() -> None:
    with pytest.raises(TabularError, match="not an Excel workbook"):
        tabular.sniff_format(b"name,kind\n", "assets.xlsx")
    with pytest.raises(TabularError, match="not an Excel workbook"):
        tabular.sniff_format(b"PK\x03\x04 not really a zip", "assets.xlsx")


def test_other_extensions_and_other_encodings_are_refused() -> None:
    with pytest.raises(TabularError, match="Upload a .csv or .xlsx file"):
        tabular.sniff_format(b"name\n", "assets.txt")
    with pytest.raises(TabularError, match="not UTF-8"):
        tabular.sniff_format("name\nCafé\n".encode("latin-1"), "assets.csv")


def test_a_file_over_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tabular, "MAX_BYTES", 10)
    with pytest.raises(TabularError, match="larger than"):
        tabular.sniff_format(b"name,kind\nEHR,application\n", "assets.csv")


def test_too_many_rows_are_refused() -> None:
    data = ("name\n" + "".join(f"asset {n}\n" for n in range(6))).encode()
    assert len(tabular.read_table(data, "csv", max_rows=6).rows) == 6
    with pytest.raises(TabularError, match="more than 5 rows"):
        tabular.read_table(data, "csv", max_rows=5)


def test_the_default_row_limit_is_fifty_thousand() -> None:
    assert tabular.MAX_ROWS == 50_000
    assert tabular.MAX_BYTES == 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"\n\nEHR\n", "first row must name the columns"),
        (b"name,Name\nEHR,EHR\n", "Two columns are headed 'Name'"),
    ],
)
def test_header_rows_that_cannot_be_mapped_are_refused(text: bytes, message: str) -> None:
    with pytest.raises(TabularError, match=message):
        tabular.read_headers(text, "csv")


def test_written_csv_neutralises_formulas_and_reads_back_as_written() -> None:
    dangerous = ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tTab", "plain"]
    text = "".join(tabular.csv_lines(["name", "note"], [[value, "ok"] for value in dangerous]))
    assert text.startswith("\ufeffname,note\r\n")
    assert "'=HYPERLINK" in text and "'+1" in text and "'-2" in text and "'@SUM" in text
    table = read(text.encode())
    assert [tabular.restore(row.cells[0]) for row in table.rows] == dangerous


def test_written_xlsx_holds_text_cells_never_formulas() -> None:
    data = tabular.xlsx_bytes(["name", "note"], [["=1+2", "-3"], ["EHR", "bell\x07"]], sheet_title="Assets")
    assert xlsx_rows(data) == [["name", "note"], ["'=1+2", "'-3"], ["EHR", "bell"]]
    assert b"<f>" not in _sheet_xml(data)


def _sheet_xml(data: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read("xl/worksheets/sheet1.xml")


def test_restore_only_removes_an_apostrophe_that_guards_a_formula() -> None:
    assert tabular.restore("'=1") == "=1"
    assert tabular.restore("'quoted'") == "'quoted'"
    assert tabular.restore("O'Brien") == "O'Brien"
