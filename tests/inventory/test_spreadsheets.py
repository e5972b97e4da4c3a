"""Reading uploaded sheets: file checks, header detection, values, and the value parsers.

Pure tests: no database, no network. Workbooks are built in memory, with openpyxl or, where
the XML itself matters (a million rows, shared strings, prefixes), written by hand.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook

from inventory import spreadsheets
from inventory.spreadsheets import (
    Column,
    SpreadsheetError,
    header_normalise,
    parse_date,
    parse_decimal,
    parse_text,
    sheet_read,
)

COLUMNS = [
    Column(
        key="serial",
        label="Serial number",
        aliases=(
            "S/N",
            "Serial No.",
            "Серийный номер",
            "Зав. №",
            "Заводской номер",
            "Рақами силсилавӣ",
        ),
        required=True,
    ),
    Column(key="model", label="Model", aliases=("Модель", "Модели таҷҳизот")),
    Column(key="office", label="Office", aliases=("Отдел ЗАГС", "Шӯъбаи САҲШ")),
    Column(key="value", label="Value", aliases=("Стоимость", "Арзиш", "Price")),
    Column(key="warranty_end", label="Warranty end", aliases=("Гарантия до", "Кафолат то")),
    Column(key="notes", label="Notes", aliases=("Примечание", "Эзоҳ")),
]
MB = 1024 * 1024
HEADER = ["Serial number", "Model", "Office", "Value", "Warranty end", "Notes"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def xlsx(rows, *, setup=None) -> bytes:
    """Return a workbook whose first sheet holds ``rows`` (None leaves a cell empty)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if setup is not None:
        setup(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read(data: bytes, *, columns=COLUMNS, max_bytes=5 * MB, max_rows=1000, filename="upload"):
    return sheet_read(
        file=io.BytesIO(data),
        filename=filename,
        columns=columns,
        max_bytes=max_bytes,
        max_rows=max_rows,
    )


def error(data: bytes, **kwargs) -> SpreadsheetError:
    with pytest.raises(SpreadsheetError) as caught:
        read(data, **kwargs)
    return caught.value


# --- hand-written xlsx ---------------------------------------------------------------------

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"


def _content_types(sheets: int, parts: dict[str, str]) -> str:
    parts = {f"worksheets/sheet{n}.xml": "worksheet" for n in range(1, sheets + 1)} | parts
    overrides = "".join(
        f'<Override PartName="/xl/{name}" ContentType="application/'
        f'vnd.openxmlformats-officedocument.spreadsheetml.{kind}+xml"/>'
        for name, kind in parts.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f"{overrides}</Types>"
    )


def handmade_xlsx(
    sheet_xml: str | list[bytes] | None = None,
    *,
    sheets: list[tuple[str, str]] | None = None,
    shared_strings: list[str] | None = None,
    styles: str | None = None,
    workbook_pr: str = "",
    prefix: str = "",
    head: str = "",
) -> bytes:
    """Return a minimal xlsx written by hand.

    ``sheet_xml`` is what a single worksheet holds: its <sheetData> and anything before it (a
    list of byte chunks is streamed, for huge sheets); ``sheets`` gives (state, content) per
    sheet instead.
    ``prefix`` writes the spreadsheet namespace with a prefix ("x:") as some generators do;
    ``head`` goes before the worksheet's root element.
    """
    if sheets is None:
        sheets = [("visible", sheet_xml)]
    p = prefix
    ns_decl = f'xmlns{":" + p[:-1] if p else ""}="{_NS}"'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        parts = {}
        if shared_strings is not None:
            parts["sharedStrings.xml"] = "sharedStrings"
        if styles is not None:
            parts["styles.xml"] = "styles"
        archive.writestr("[Content_Types].xml", _content_types(len(sheets), parts))
        archive.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        sheet_entries = "".join(
            f'<{p}sheet name="Sheet{n}" sheetId="{n}" state="{state}" r:id="rId{n}"/>'
            for n, (state, _data) in enumerate(sheets, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><{p}workbook {ns_decl} xmlns:r="{_REL}">'
            f"{workbook_pr}<{p}sheets>{sheet_entries}</{p}sheets></{p}workbook>",
        )
        rels = [
            f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
            for n in range(1, len(sheets) + 1)
        ]
        if shared_strings is not None:
            rels.append(
                f'<Relationship Id="rIdS" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            )
            archive.writestr(
                "xl/sharedStrings.xml",
                f"<{p}sst {ns_decl}>{''.join(shared_strings)}</{p}sst>",
            )
        if styles is not None:
            rels.append(f'<Relationship Id="rIdT" Type="{_REL}/styles" Target="/xl/styles.xml"/>')
            archive.writestr("xl/styles.xml", f"<{p}styleSheet {ns_decl}>{styles}</{p}styleSheet>")
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_PKG_REL}">{"".join(rels)}</Relationships>',
        )
        for n, (_state, data) in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{n}.xml", "w") as part:
                part.write(f'<?xml version="1.0"?>{head}<{p}worksheet {ns_decl}>'.encode())
                chunks = [data] if isinstance(data, str) else data
                for chunk in chunks:
                    part.write(chunk.encode() if isinstance(chunk, str) else chunk)
                part.write(f"</{p}worksheet>".encode())
    return buffer.getvalue()


def inline_row(number: int, *texts: str) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'
        for i, text in enumerate(texts)
    )
    return f'<row r="{number}">{cells}</row>'


def sheet_data(*rows: str, before: str = "") -> str:
    return f"{before}<sheetData>{''.join(rows)}</sheetData>"


# --- header_normalise ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Серийный  номер:", "серийный номер"),
        ("серийный номер", "серийный номер"),
        ("  Serial No. ", "serial no"),
        ("S/N", "s n"),
        ("Зав. №", "зав"),
        ("№ п/п", "п п"),
        ("ＳＥＲＩＡＬ\u00a0NUMBER*", "serial number"),
        ("Warranty_end (date)", "warranty end date"),
        ("Value\n(USD)", "value usd"),
        ("Рақами   СИЛСИЛАВӢ", "рақами силсилавӣ"),
        ("\ufeffSerial\u200b number", "serial number"),
    ],
)
def test_header_normalise(text, expected):
    assert header_normalise(text) == expected


def test_conflicting_aliases_are_a_programming_error():
    columns = [Column("serial", "Serial", ("SN",)), Column("tag", "Tag", ("S/N",))]
    with pytest.raises(ValueError, match="both 'serial' and 'tag'"):
        read(b"Serial\nX\n", columns=columns)


# --- headers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        ["Serial number", "Model", "Office", "Value", "Warranty end", "Notes"],
        ["  SERIAL NUMBER ", "model:", "office*", "Value (USD)", "Warranty-end", "NOTES."],
        ["S/N", "Модель", "Отдел  ЗАГС", "Стоимость, ", "Гарантия до:", "Примечание"],
        ["SN", "модель", "отдел загс", "СТОИМОСТЬ", "гарантия до", "примечание"],
        ["Зав. №", "Model", "Office", "Price", "Warranty end", "Notes"],
        ["Зав.№", "Model", "Office", "Value [TJS]", "Warranty end", "Notes"],
        ["ЗАВОДСКОЙ  НОМЕР:", "Model", "Office", "Value", "Warranty end", "Notes"],
        ["Рақами силсилавӣ", "Модели таҷҳизот", "Шӯъбаи САҲШ", "Арзиш", "Кафолат то", "Эзоҳ"],
        # typed on a Russian keyboard: и у х к г ч for ӣ ӯ ҳ қ ғ ҷ
        ["Раками силсилави", "Модели тачхизот", "Шуъбаи САХШ", "Арзиш", "Кафолат то", "Эзох"],
        ["serial_number", "MODEL", "Office", "value", "warranty_end", "notes"],
    ],
)
def test_header_aliases_in_three_languages(header):
    data = xlsx([header, ["SN-1", "M404", "Vahdat", 420, "31.12.2027", "ok"]])

    sheet = read(data)

    assert sheet.columns == ["serial", "model", "office", "value", "warranty_end", "notes"]
    assert sheet.ignored_headers == []
    assert sheet.rows[0].values["serial"] == "SN-1"


def test_title_rows_above_the_header_are_skipped_and_row_numbers_are_the_files():
    def merge_title(workbook):
        workbook.active.merge_cells("A1:F1")

    data = xlsx(
        [
            ["Annex 2 to the Grant Agreement No. 15 — equipment delivered"],
            ["Donor: UNDP", None, None, "Date:", dt.datetime(2025, 3, 1)],
            [],
            ["№", "Serial number", "Model", "Office", "Value", "Total"],
            [1, "SN-1", "M404", "Vahdat", 420, 840],
            [],
            [None, None, None, None, None, "not imported"],
            [2, "SN-2", "M404", "Rasht", 420, 840],
            [None, "  ", "\u00a0", None, None, None],
            [3, "SN-3", None, None, None, None],
        ],
        setup=merge_title,
    )

    sheet = read(data, filename="annex.xlsx")

    assert sheet.filename == "annex.xlsx"
    assert sheet.header_row == 4
    assert sheet.columns == ["serial", "model", "office", "value"]
    assert sheet.ignored_headers == ["№", "Total"]
    assert [row.number for row in sheet.rows] == [5, 8, 10]
    assert sheet.rows[0].values == {
        "serial": "SN-1",
        "model": "M404",
        "office": "Vahdat",
        "value": 420,
    }
    assert sheet.rows[2].values == {"serial": "SN-3", "model": None, "office": None, "value": None}


def test_the_header_is_the_row_naming_most_columns():
    data = xlsx(
        [
            ["Notes"],  # a title that happens to be a column name
            ["Serial number", "Model", "Notes"],
            ["SN-1", "M404", "x"],
        ]
    )

    sheet = read(data)

    assert sheet.header_row == 2
    assert [row.number for row in sheet.rows] == [3]


def test_values_are_stripped_and_empty_strings_are_none():
    data = xlsx([HEADER, ["  SN-1\u00a0", "\tM404 ", "", "\u200b", None, " two  spaces "]])

    (row,) = read(data).rows

    assert row.values == {
        "serial": "SN-1",
        "model": "M404",
        "office": None,
        "value": None,
        "warranty_end": None,
        "notes": "two  spaces",
    }


def test_no_known_column():
    data = xlsx([["Name", "Quantity"], ["Printer", 2]])

    assert str(error(data)) == (
        "No known column was found. The header row must name columns such as “Serial number”."
    )


def test_no_known_column_without_required_columns_names_the_first_three():
    columns = [Column(c.key, c.label, c.aliases) for c in COLUMNS]

    message = error(b"Name;Quantity\nPrinter;2\n", columns=columns).message

    assert message == (
        "No known column was found. The header row must name columns such as "
        "“Serial number”, “Model”, “Office”."
    )


def test_lazy_labels_are_matched_and_shown():
    columns = [Column("serial", gettext_lazy("Serial number"), required=True)]

    assert read(b"serial number\nSN-1\n", columns=columns).rows[0].values == {"serial": "SN-1"}
    assert error(b"Model\nM404\n", columns=columns).message == (
        "No known column was found. The header row must name columns such as “Serial number”."
    )


def test_required_column_missing():
    columns = [*COLUMNS[:2], Column("office", "Office", required=True)]
    data = xlsx([["Model", "Notes"], ["M404", "x"]])

    failure = error(data, columns=columns)

    assert failure.code == "missing_column"
    assert failure.message == "Required column missing: “Serial number”, “Office”."


def test_two_headers_for_one_column():
    data = xlsx([["S/N", "Model", "Серийный номер"], ["A", "M", "B"]])

    assert error(data).message == (
        "Two columns mean “Serial number”: “S/N” (A), “Серийный номер” (C)."
    )


# --- format detection and whole-file errors -----------------------------------------------

NOT_A_SPREADSHEET = "This is not a spreadsheet: upload an .xlsx workbook or a .csv file."


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(64), id="png"),
        pytest.param(b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\n", id="pdf"),
        pytest.param(b"GIF89a\x01\x00\x01\x00", id="gif"),
        pytest.param(_zip({"readme.txt": b"Serial number\nSN-1\n"}), id="zip"),
        pytest.param(
            _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), id="docx"
        ),
        pytest.param(
            _zip({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"}), id="ods"
        ),
        pytest.param(bytes(range(256)) * 4, id="binary"),
        pytest.param(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), id="ole2-other"),
        pytest.param(
            b"<html><body><table><tr><td>Serial number</td></tr></table></body></html>",
            id="html-saved-as-xls",
        ),
    ],
)
@pytest.mark.parametrize("filename", ["equipment.xlsx", "equipment.csv"])
def test_not_a_spreadsheet_whatever_its_name(data, filename):
    failure = error(data, filename=filename)

    assert failure.code == "not_spreadsheet"
    assert failure.message == NOT_A_SPREADSHEET


def _ole2(*streams: str) -> bytes:
    names = b"".join(name.encode("utf-16-le") + b"\x00\x00" for name in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504) + names + bytes(512)


def test_password_protected_workbook():
    data = _ole2("Root Entry", "EncryptionInfo", "EncryptedPackage")

    assert error(data, filename="list.xlsx").message == (
        "The workbook is password-protected. Remove the password in Excel "
        "(File → Info → Protect Workbook) and upload it again."
    )


def test_old_excel_file():
    data = _ole2("Root Entry", "Workbook", "\x05SummaryInformation")

    assert error(data, filename="list.xlsx").message == (
        "Old Excel 97–2003 (.xls) files are not supported. Save the file as .xlsx and upload "
        "it again."
    )


DAMAGED = (
    "The workbook could not be read; it may be damaged. Open it in Excel, save it as .xlsx "
    "and upload it again."
)


def test_cut_off_workbook_is_damaged():
    data = xlsx([HEADER, ["SN-1"]])

    assert error(data[: len(data) // 2]).message == DAMAGED


def test_broken_sheet_xml_is_damaged():
    data = handmade_xlsx(sheet_data(inline_row(1, "Serial number")) + "<row><c>")

    assert error(data).message == DAMAGED


def test_xml_with_a_dtd_is_refused():
    bomb = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
    data = handmade_xlsx(sheet_data(inline_row(1, "Serial number")), head=bomb)

    assert error(data).message == DAMAGED


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="zero-bytes"),
        pytest.param(b"  \r\n\t\n", id="whitespace"),
        pytest.param(b"\xef\xbb\xbf", id="bom"),
        pytest.param(b"\xef\xbb\xbf \r\n", id="bom-and-newline"),
        pytest.param(b";;;;\r\n;;;;\r\n", id="csv-of-delimiters"),
        pytest.param(xlsx([]), id="workbook-without-cells"),
        pytest.param(xlsx([[None, "  "], [""]]), id="workbook-of-blank-cells"),
    ],
)
def test_empty_file(data):
    failure = error(data)

    assert failure.code == "empty"
    assert failure.message == "The file is empty."


def test_file_over_the_size_limit():
    data = b"Serial number\n" + b"SN-000001\n" * 160_000  # 1.5 MB

    assert error(data, max_bytes=MB).message == (
        "The file is 1.6 MB; the largest accepted is 1 MB."
    )


class _Stream(io.RawIOBase):
    """An upload that cannot seek or tell its size, and counts what is read of it."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        self.left -= n
        self.read_bytes += n
        return b"a" * n


def test_size_limit_reads_at_most_one_byte_more_than_the_limit():
    stream = _Stream(50 * MB)

    with pytest.raises(SpreadsheetError) as caught:
        sheet_read(file=stream, filename="x.csv", columns=COLUMNS, max_bytes=2 * MB, max_rows=10)

    assert stream.read_bytes == 2 * MB + 1
    assert caught.value.message == "The file is 2.1 MB; the largest accepted is 2 MB."


def test_size_limit_uses_the_uploads_declared_size():
    upload = io.BytesIO(b"Serial number\nSN-1\n")
    upload.size = 12 * MB  # as Django's UploadedFile tells it

    with pytest.raises(SpreadsheetError) as caught:
        sheet_read(file=upload, filename="x.csv", columns=COLUMNS, max_bytes=10 * MB, max_rows=5)
    assert caught.value.message == "The file is 12 MB; the largest accepted is 10 MB."


def test_too_many_rows():
    data = xlsx([HEADER] + [[f"SN-{n}"] for n in range(6)])

    failure = error(data, max_rows=5)

    assert failure.code == "too_many_rows"
    assert failure.message == "The sheet has more than 5 rows. Split it into smaller files."
    assert len(read(data, max_rows=6).rows) == 6


# The project groups thousands with a no-break space in every language (config/formats).
TOO_MANY_10K = "The sheet has more than 10\u00a0000 rows. Split it into smaller files."


def test_too_many_rows_names_the_limit_with_grouping():
    data = b"Serial number\n" + b"SN\n" * 10_001

    assert error(data, max_rows=10_000).message == TOO_MANY_10K


def test_empty_rows_do_not_count_towards_the_limit_but_are_not_scanned_forever(monkeypatch):
    monkeypatch.setattr(spreadsheets, "EMPTY_ROWS_ALLOWED", 50)
    data = b"Serial number\n" + b"SN\n\n\n" * 20

    assert len(read(data, max_rows=20).rows) == 20
    assert error(data + b"\n" * 30, max_rows=20).code == "too_many_rows"


def _count_rows_read(monkeypatch) -> list[int]:
    """Count the rows the reader takes from the file (it must stop near max_rows)."""
    counted = [0]
    for name in ("_worksheet_rows", "_csv_rows"):
        original = getattr(spreadsheets, name)

        def counting(*args, _original=original, **kwargs):
            for row in _original(*args, **kwargs):
                counted[0] += 1
                yield row

        monkeypatch.setattr(spreadsheets, name, counting)
    return counted


def test_million_row_workbook_is_refused_without_reading_it(monkeypatch):
    started = time.perf_counter()
    rows = b"<row><c><v>7</v></c><c><v>420.5</v></c></row>" * 10_000
    data = handmade_xlsx(
        [
            f"<sheetData>{inline_row(1, 'Serial number', 'Value')}".encode(),
            *([rows] * 100),
            b"</sheetData>",
        ]
    )
    built = time.perf_counter()
    counted = _count_rows_read(monkeypatch)

    failure = error(data, max_bytes=20 * MB, max_rows=10_000)

    refused = time.perf_counter()
    print(
        f"1M-row xlsx: {len(data) / MB:.1f} MB built in {built - started:.2f} s, "
        f"refused in {refused - built:.2f} s"
    )
    assert (
        failure.message == "The sheet has more than 10\u00a0000 rows. Split it into smaller files."
    )
    assert counted[0] <= 10_002


def test_million_line_csv_is_refused_without_reading_it(monkeypatch):
    data = "Серийный номер;Модель\r\n".encode("cp1251") + b"SN-1;M404\r\n" * 1_000_000
    counted = _count_rows_read(monkeypatch)
    started = time.perf_counter()

    failure = error(data, max_bytes=20 * MB, max_rows=10_000)

    print(f"1M-line CSV: {len(data) / MB:.1f} MB refused in {time.perf_counter() - started:.2f} s")
    assert (
        failure.message == "The sheet has more than 10\u00a0000 rows. Split it into smaller files."
    )
    # the delimiter is chosen from the top of the file: three tries of a few rows each
    assert counted[0] <= 10_002 + 3 * 31


def test_a_wrong_declared_dimension_is_not_trusted():
    rows = [inline_row(n, f"SN-{n}") for n in range(2, 7)]
    data = handmade_xlsx(
        sheet_data(inline_row(1, "Serial number"), *rows, before='<dimension ref="A1:A2"/>')
    )

    assert [row.values["serial"] for row in read(data).rows] == [f"SN-{n}" for n in range(2, 7)]
    assert error(data, max_rows=4).code == "too_many_rows"


def test_a_huge_declared_dimension_is_refused_at_once(monkeypatch):
    counted = _count_rows_read(monkeypatch)
    data = handmade_xlsx(
        sheet_data(
            inline_row(1, "Serial number"),
            inline_row(2, "SN-1"),
            before='<dimension ref="A1:F1048576"/>',
        )
    )

    assert error(data, max_rows=10_000).code == "too_many_rows"
    assert counted[0] == 0
    assert len(read(data, max_rows=1_000_000).rows) == 1


def test_a_zip_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(spreadsheets, "UNPACKED_RATIO", 2)
    padding = f"<!-- {'x' * 1_200_000} -->"  # 1.2 MB of XML, a few KB zipped
    data = handmade_xlsx(sheet_data(inline_row(1, "Serial number"), before=padding))

    assert error(data, max_bytes=MB // 2).message == (
        "The workbook unpacks to more than 1 MB. Split it into smaller files."
    )


# --- formulas ------------------------------------------------------------------------------


FORMULAS = (
    "Cells hold formulas ({cells}). Paste the values instead (Paste Special → Values) "
    "and upload again."
)


def test_formulas_are_refused_naming_the_cells():
    data = xlsx(
        [
            ["Serial number", "Model", "Qty", "Value"],
            ["SN-1", "M404", 2, "=C2*210"],
            ["SN-2", "M404", 1, "=C3*210"],
            ["SN-3", "M404", 1, 210],
        ]
    )

    failure = error(data)

    assert failure.code == "formulas"
    assert failure.message == FORMULAS.format(cells="D2, D3")


def test_formulas_name_at_most_five_cells():
    data = xlsx([["Serial number", "Value"]] + [[f"SN-{n}", f"=1+{n}"] for n in range(2, 12)])

    assert error(data).message == FORMULAS.format(cells="B2, B3, B4, B5, B6, …")


def test_a_formula_row_below_the_data_is_refused():
    data = xlsx([["Serial number", "Value"], ["SN-1", 1], ["Total", "=SUM(B2:B2)"]])

    assert error(data).message == FORMULAS.format(cells="B3")


def test_formulas_outside_the_imported_columns_are_ignored():
    data = xlsx(
        [
            ["=TODAY()"],  # a title row
            ["Serial number", "Qty", "Price", "Line total"],
            ["SN-1", 2, 210, "=B3*C3"],
        ]
    )

    sheet = read(data)

    assert sheet.ignored_headers == ["Qty", "Line total"]
    assert sheet.rows[0].values == {"serial": "SN-1", "value": 210}


def test_neutralised_formula_text_is_not_a_formula():
    data = xlsx([["Serial number", "Notes"], ["SN-1", "'=HYPERLINK(x)"]])

    (row,) = read(data).rows

    assert parse_text(row.values["notes"]) == "=HYPERLINK(x)"


# --- worksheets and cell values ------------------------------------------------------------


def test_only_the_first_visible_worksheet_is_read_even_if_another_is_active():
    def more_sheets(workbook):
        workbook.create_sheet("Notes").append(["Serial number"])
        workbook["Notes"].append(["FROM-SECOND-SHEET"])
        workbook.active = 1

    data = xlsx([["Serial number"], ["FROM-FIRST-SHEET"]], setup=more_sheets)

    assert read(data).rows[0].values["serial"] == "FROM-FIRST-SHEET"


def test_a_hidden_first_worksheet_is_skipped():
    data = handmade_xlsx(
        sheets=[
            ("hidden", sheet_data(inline_row(1, "Serial number"), inline_row(2, "HIDDEN"))),
            ("visible", sheet_data(inline_row(1, "Serial number"), inline_row(2, "SHOWN"))),
        ]
    )

    assert read(data).rows[0].values["serial"] == "SHOWN"


def openpyxl_values(data: bytes) -> list[tuple]:
    """Return the data rows (below row 1) as openpyxl's read-only mode gives them."""
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    try:
        return [
            tuple(value.strip() or None if isinstance(value, str) else value for value in row)
            for row in workbook.worksheets[0].iter_rows(min_row=2, values_only=True)
        ]
    finally:
        workbook.close()


def test_cell_types_come_out_as_openpyxl_reads_them():
    def number_formats(workbook):
        sheet = workbook.active
        sheet["C2"].number_format = "DD.MM.YYYY"
        sheet["D2"].number_format = "#,##0.00"
        sheet["F3"].number_format = "[h]:mm"

    rows = [
        ["Serial number", "Model", "Warranty end", "Value", "Office", "Notes"],
        ["SN-1", "M404", dt.datetime(2027, 12, 31), 1234.5, True, "Многострочный\nтекст"],
        ["  SN-2 ", 404, dt.date(2026, 1, 2), 10**15, False, dt.timedelta(hours=30)],
        ["SN-3", 0.1, dt.datetime(2026, 1, 2, 13, 45), -7, "#N/A", dt.time(9, 30)],
    ]
    data = xlsx(rows, setup=number_formats)

    sheet = read(data)

    got = [tuple(row.values.values()) for row in sheet.rows]
    assert got == openpyxl_values(data)
    assert got[0][2] == dt.datetime(2027, 12, 31)
    assert got[1][1] == 404 and isinstance(got[1][3], int)


def test_shared_strings_rich_text_and_phonetic_runs():
    strings = [
        "<si><t>Serial number</t></si>",
        "<si><t>Notes</t></si>",
        '<si><r><rPr><b/></rPr><t xml:space="preserve">SN-</t></r><r><t>001</t></r></si>',
        "<si><t>機器</t><rPh sb='0' eb='2'><t>キキ</t></rPh></si>",
        "<si><t xml:space='preserve'>  padded  </t></si>",
        "<si><t>line_x000D_\nnext, _x005F_x000D_ kept</t></si>",
    ]
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="str"><v>text result</v></c></row>'
        '<row r="4"><c r="A4" t="s"><v>2</v></c><c r="B4" t="s"><v>5</v></c></row>'
    )
    data = handmade_xlsx(sheet_data(rows), shared_strings=strings)

    sheet = read(data)

    assert [row.values for row in sheet.rows] == [
        {"serial": "SN-001", "notes": "機器"},
        {"serial": "padded", "notes": "text result"},
        {"serial": "SN-001", "notes": "line\r\nnext, _x000D_ kept"},
    ]
    # openpyxl leaves the "_x000D_" escapes in; otherwise it reads the same
    assert [tuple(row.values.values()) for row in sheet.rows][:2] == openpyxl_values(data)[:2]


@pytest.mark.filterwarnings("ignore:Workbook contains no default style")  # openpyxl, not us
def test_prefixed_namespace_missing_references_and_1904_dates():
    styles = (
        '<x:numFmts count="1"><x:numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></x:numFmts>'
        '<x:cellXfs count="3"><x:xf numFmtId="0"/><x:xf numFmtId="164"/>'
        '<x:xf numFmtId="14"/></x:cellXfs>'
    )
    rows = (
        '<x:row><x:c t="inlineStr"><x:is><x:t>S/N</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>Warranty end</x:t></x:is></x:c>'
        '<x:c t="inlineStr"><x:is><x:t>Value</x:t></x:is></x:c></x:row>'
        '<x:row><x:c t="inlineStr"><x:is><x:t>SN-1</x:t></x:is></x:c>'
        '<x:c s="1"><x:v>1</x:v></x:c><x:c s="2"><x:v>2</x:v></x:c></x:row>'
    )
    data = handmade_xlsx(
        f"<x:sheetData>{rows}</x:sheetData>",
        styles=styles,
        workbook_pr='<x:workbookPr date1904="1"/>',
        prefix="x:",
    )

    (row,) = read(data).rows

    assert row.number == 2
    assert row.values == {
        "serial": "SN-1",
        "warranty_end": dt.datetime(1904, 1, 2),
        "value": dt.datetime(1904, 1, 3),
    }
    assert [tuple(row.values.values())] == openpyxl_values(data)


def test_handmade_workbook_is_one_openpyxl_reads():
    data = handmade_xlsx(sheet_data(inline_row(1, "Serial number"), inline_row(2, "SN-1")))
    workbook = load_workbook(io.BytesIO(data), read_only=True)

    assert list(workbook.active.values) == [("Serial number",), ("SN-1",)]
    workbook.close()


# --- CSV -----------------------------------------------------------------------------------


def test_windows_1251_csv_with_semicolons():
    text = (
        "Приложение 2; Донор: ПРООН, 2025\r\n"
        "\r\n"
        "Серийный номер;Модель;Отдел ЗАГС;Стоимость;Гарантия до;Примечание\r\n"
        "SN-1;HP LaserJet;ЗАГС района Рудаки;1 234,50;31.12.2027;новый\r\n"
        ";;;;;\r\n"
        "SN-2;Canon;ЗАГС г. Вахдат;420;15.06.2026;\r\n"
    )

    sheet = read(text.encode("cp1251"), filename="список.csv")

    assert sheet.header_row == 3
    assert [row.number for row in sheet.rows] == [4, 6]
    assert sheet.rows[0].values == {
        "serial": "SN-1",
        "model": "HP LaserJet",
        "office": "ЗАГС района Рудаки",
        "value": "1 234,50",
        "warranty_end": "31.12.2027",
        "notes": "новый",
    }
    assert sheet.rows[1].values["notes"] is None
    assert parse_decimal(sheet.rows[0].values["value"]) == Decimal("1234.50")


def test_utf8_bom_csv_with_commas_and_quoted_fields():
    text = (
        "Serial number,Model,Notes,Value\r\n"
        'SN-1,"HP LaserJet M404, duplex","line one\r\nline two",420.50\r\n'
        'SN-2, "Canon ""i-SENSYS""" ,,"1,234.00"\r\n'
    )

    sheet = read(b"\xef\xbb\xbf" + text.encode())

    assert sheet.columns == ["serial", "model", "notes", "value"]
    assert [row.values for row in sheet.rows] == [
        {
            "serial": "SN-1",
            "model": "HP LaserJet M404, duplex",
            "notes": "line one\r\nline two",
            "value": "420.50",
        },
        {"serial": "SN-2", "model": 'Canon "i-SENSYS"', "notes": None, "value": "1,234.00"},
    ]
    assert [row.number for row in sheet.rows] == [2, 3]  # Excel's rows, not the text lines


def test_semicolon_csv_whose_title_and_values_hold_commas():
    text = "Annex 2, UNDP, 2025\nSerial number;Value;Notes\nSN-1;1,5;a, b, c\n"

    sheet = read(text.encode())

    assert sheet.rows[0].values == {"serial": "SN-1", "value": "1,5", "notes": "a, b, c"}


def test_tab_separated_utf16_text_from_excel():
    text = "Serial number\tModel\r\nSN-1\tM404\r\n"

    sheet = read(b"\xff\xfe" + text.encode("utf-16-le"))

    assert sheet.rows[0].values == {"serial": "SN-1", "model": "M404"}


def test_excel_sep_line_is_obeyed_and_not_a_row():
    sheet = read(b"sep=,\nSerial number,Notes\nSN-1,a;b\n")

    assert sheet.header_row == 1
    assert sheet.rows[0].values == {"serial": "SN-1", "notes": "a;b"}


def test_csv_with_old_mac_line_ends():
    sheet = read(b"Serial number,Model\rSN-1,M404\r\rSN-2,M405\r")

    assert [(row.number, row.values["serial"]) for row in sheet.rows] == [(2, "SN-1"), (4, "SN-2")]


def test_csv_with_a_runaway_quote():
    limit = csv.field_size_limit()
    csv.field_size_limit(100)
    try:
        data = b'Serial number,Notes\nSN-1,"never closed\n' + b"x" * 500 + b"\n"
        failure = error(data)
    finally:
        csv.field_size_limit(limit)

    assert failure.message == "Row 2 of the CSV file cannot be read: check its quotation marks."


# --- parse_date ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        (dt.date(2025, 3, 1), dt.date(2025, 3, 1)),
        (dt.datetime(2025, 3, 1, 14, 30), dt.date(2025, 3, 1)),
        ("01.03.2025", dt.date(2025, 3, 1)),
        ("1.3.2025", dt.date(2025, 3, 1)),
        (" 31.12.2027 г.", dt.date(2027, 12, 31)),
        ("01/03/2025", dt.date(2025, 3, 1)),
        ("01-03-2025", dt.date(2025, 3, 1)),
        ("2025-03-01", dt.date(2025, 3, 1)),
        ("2025-03-01 00:00:00", dt.date(2025, 3, 1)),
        ("2025-03-01T08:15", dt.date(2025, 3, 1)),
        ("01.03.2025 10:00", dt.date(2025, 3, 1)),
        (45366, dt.date(2024, 3, 15)),
        (45366.75, dt.date(2024, 3, 15)),
        (Decimal("45366"), dt.date(2024, 3, 15)),
        ("45366", dt.date(2024, 3, 15)),
        ("45366.0", dt.date(2024, 3, 15)),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


DATE_FORMS = (
    "Write it as DD.MM.YYYY (31.12.2025), DD/MM/YYYY or YYYY-MM-DD, or use an Excel date cell."
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("next year", "next year"),
        ("2024", "2024"),  # a year, not Excel's day 2024 (1905)
        (2024, "2024"),
        ("12.03.24", "12.03.24"),  # two-digit years are ambiguous
        ("12.03", "12.03"),
        ("2025/03/01", "2025/03/01"),
        (99999999, "99999999"),
        (float("nan"), "nan"),
        (True, "TRUE"),
        (dt.time(9, 30), "09:30:00"),
    ],
)
def test_parse_date_refuses(value, shown):
    with pytest.raises(ValueError) as caught:
        parse_date(value)

    assert str(caught.value) == f"“{shown}” is not a date. {DATE_FORMS}"


@pytest.mark.parametrize("value", ["31.02.2025", "03.25.2025", "2025-13-01", "0.1.2025"])
def test_parse_date_names_impossible_dates(value):
    with pytest.raises(ValueError) as caught:
        parse_date(value)

    assert str(caught.value) == f"“{value}” is not a valid date: check the day and the month."


def test_dates_from_excel_cells_text_and_serial_numbers_agree():
    def date_format(workbook):
        workbook.active["B2"].number_format = "DD.MM.YYYY"

    data = xlsx(
        [
            ["Serial number", "Warranty end"],
            ["SN-1", dt.date(2027, 12, 31)],
            ["SN-2", "31.12.2027"],
            ["SN-3", 46752],  # a date cell whose format was lost: the serial number
            ["SN-4", "2027-12-31"],
        ],
        setup=date_format,
    )

    values = [row.values["warranty_end"] for row in read(data).rows]

    assert values[0] == dt.datetime(2027, 12, 31)
    assert [parse_date(value) for value in values] == [dt.date(2027, 12, 31)] * 4


# --- parse_decimal -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (" \u00a0", None),
        (420, Decimal("420")),
        (420.1, Decimal("420.1")),
        (0.1 + 0.2, Decimal("0.30000000000000004")),
        (Decimal("12.30"), Decimal("12.30")),
        ("1234.5", Decimal("1234.5")),
        ("1234,5", Decimal("1234.5")),
        ("1 234,50", Decimal("1234.50")),
        ("1\u00a0234,50", Decimal("1234.50")),
        ("1\u202f234\u202f567,5", Decimal("1234567.5")),
        ("1,234.50", Decimal("1234.50")),
        ("1.234,50", Decimal("1234.50")),
        ("1,234,567", Decimal("1234567")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("1'234.50", Decimal("1234.50")),
        ("1 234,500", Decimal("1234.500")),
        ("0.125", Decimal("0.125")),
        ("1234,567", Decimal("1234.567")),
        ("USD 420", Decimal("420")),
        ("420$", Decimal("420")),
        ("$1,234.00", Decimal("1234.00")),
        ("420 сомонӣ", Decimal("420")),
        ("1 200 руб.", Decimal("1200")),
        ("TJS\u00a01\u00a0200,00", Decimal("1200.00")),
        ("-15,5", Decimal("-15.5")),
        ("\u221215,5", Decimal("-15.5")),
        ("+7", Decimal("7")),
        ("420.", Decimal("420")),
    ],
)
def test_parse_decimal(value, expected):
    result = parse_decimal(value)

    assert result == expected
    if expected is not None:
        assert result.as_tuple() == expected.as_tuple()  # no float rounding, scale kept


AMOUNT_FORMS = (
    "Write digits with a comma or a dot before the decimals, such as 1234.50 or 1 234,50."
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("abc", "abc"),
        ("USD", "USD"),
        ("12 34", "12 34"),
        ("1.2.3,4,5", "1.2.3,4,5"),
        ("1,23,456", "1,23,456"),
        ("15%", "15%"),
        ("420 / 500", "420 / 500"),
        ("(420)", "(420)"),
        ("4 2 0", "4 2 0"),
        (" 12a34 ", "12a34"),
        (True, "TRUE"),
        (float("inf"), "inf"),
        (dt.date(2025, 1, 1), "2025-01-01"),
    ],
)
def test_parse_decimal_refuses(value, shown):
    with pytest.raises(ValueError) as caught:
        parse_decimal(value)

    assert str(caught.value) == f"“{shown}” is not an amount. {AMOUNT_FORMS}"


@pytest.mark.parametrize("value", ["1,234", "420.000", "12,500", "USD 999.999"])
def test_parse_decimal_refuses_ambiguous_separators(value):
    with pytest.raises(ValueError) as caught:
        parse_decimal(value)

    assert str(caught.value) == (
        f"“{value}” is ambiguous: the separator may mark thousands or decimals. Write the "
        "amount without thousands separators, such as 1234 or 1234.50."
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("40.283", Decimal("40.283")),
        ("68,787", Decimal("68.787")),
        ("-12.5", Decimal("-12.5")),
        ("7", Decimal("7")),
        (38.5597, Decimal("38.5597")),
        ("", None),
    ],
)
def test_parse_decimal_without_thousands(value, expected):
    assert parse_decimal(value, thousands=False) == expected


@pytest.mark.parametrize("value", ["1,234.5", "1 234", "40.2.83", "north"])
def test_parse_decimal_without_thousands_refuses(value):
    with pytest.raises(ValueError) as caught:
        parse_decimal(value, thousands=False)

    assert str(caught.value) == (
        f"“{value}” is not a number. Write digits with a comma or a dot before the decimals, "
        "such as 40.2833 or 40,2833."
    )


# --- parse_text ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  SN 1\u00a0", "SN 1"),
        ("\ufeffabc\u200b", "abc"),
        (12345, "12345"),
        (12345.0, "12345"),
        (1e16, "10000000000000000"),
        (12.5, "12.5"),
        (Decimal("1.50"), "1.50"),
        (True, "TRUE"),
        (dt.datetime(2025, 3, 1), "2025-03-01"),
        (dt.datetime(2025, 3, 1, 9, 5), "2025-03-01 09:05:00"),
        (dt.date(2025, 3, 1), "2025-03-01"),
        ("'=SUM(A1:A3)", "=SUM(A1:A3)"),
        ("'+992 900 00 00 00", "+992 900 00 00 00"),
        ("'-5", "-5"),
        ("'@user", "@user"),
        ("  '=1+1 ", "=1+1"),
        ("'00123", "'00123"),
        ("''=x", "''=x"),
        ("'\tindented", "indented"),  # exports also neutralise a leading tab or return
        ("=A1", "=A1"),
    ],
)
def test_parse_text(value, expected):
    assert parse_text(value) == expected


# --- messages ------------------------------------------------------------------------------


def test_messages_go_through_gettext(monkeypatch):
    monkeypatch.setattr(spreadsheets, "_", lambda message: f"[{message}]")

    assert error(b"").message == "[The file is empty.]"
    with pytest.raises(ValueError, match=r"^\[“x” is not a date\."):
        parse_date("x")
    with pytest.raises(ValueError, match=r"^\[“x” is not an amount\."):
        parse_decimal("x")


def test_spreadsheet_error_is_its_message():
    failure = SpreadsheetError("The file is empty.", code="empty")

    assert str(failure) == failure.message == "The file is empty."
    assert failure.code == "empty"
